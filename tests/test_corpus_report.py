"""The build report (corpus.report.BuildReport): report.json read and written back unchanged."""

from __future__ import annotations

import dataclasses
import json

import pytest

import corpus
from corpus.report import BuildReport


def _stored(settings) -> tuple[str, dict]:
    text = (settings.build_dir.resolve() / "report.json").read_text(encoding="utf-8")
    return text, json.loads(text)


def test_report_json_round_trips_byte_for_byte(plan_settings):
    text, data = _stored(plan_settings)
    report = corpus.load_report(plan_settings)
    assert isinstance(report, BuildReport) and report.to_dict() == data
    assert json.dumps(report.to_dict(), ensure_ascii=False, indent=1) == text
    assert report.records == sum(d.records for d in report.documents)
    assert report.document("gansu-2022-46").shape == "plan" and report.document("nope") is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.records = 0  # type: ignore[misc]


def test_a_report_of_an_older_build_still_reads(plan_settings):
    """Builds from before folder inputs and support measures wrote neither part."""
    _, data = _stored(plan_settings)
    old = {k: v for k, v in data.items() if k not in ("inputs", "measures")}
    report = BuildReport.from_dict(old)
    assert report.inputs is None and report.measures is None
    assert report.to_dict() == old and list(report.to_dict()) == list(old)


def test_only_the_scalar_fields_are_subscriptable(plan_settings):
    """``report["corpus_hash"]`` is transitional (index/build.py); the parts are attributes."""
    report = corpus.load_report(plan_settings)
    assert report["corpus_hash"] == report.corpus_hash and report["records"] == report.records
    with pytest.raises(KeyError):
        report["documents"]


def test_a_report_that_is_not_one_is_a_clear_error():
    with pytest.raises((KeyError, TypeError)):
        BuildReport.from_dict({"schema_version": 1, "documents": []})
    with pytest.raises(TypeError):
        BuildReport.from_dict([])  # type: ignore[arg-type]
