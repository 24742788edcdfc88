"""The core object behind both faces: rebuilds that are cancelled or run past their time
budget roll back, and the served index stays (README, "Web app"; hardening issue)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core import Assistant, PolicyError
from tests.conftest import clone_home

DOC = "一、总体要求\n（一）目标。到2025年，社区助餐点覆盖率达到80%以上。鼓励社会力量举办老年食堂。\n"


@pytest.fixture()
def core(index_settings, tmp_path):
    settings = clone_home(index_settings, tmp_path / "home")
    return Assistant(settings)


def test_a_cancelled_rebuild_rolls_back_and_keeps_the_served_index(core, tmp_path):
    source = tmp_path / "助餐通知.txt"
    source.write_text(DOC, encoding="utf-8")
    before_index, before_version = core.index, core.version
    before_docs = [d.doc_id for d in core.documents()]

    def cancel_at_first_step(fraction, message):
        core.cancel_rebuild()  # as the web app's 取消 button does while the build runs

    with pytest.raises(PolicyError) as info:
        core.add(source, progress=cancel_at_first_step)
    assert info.value.code == "rebuild_cancelled"
    assert core.index is before_index and core.version == before_version
    assert [d.doc_id for d in core.documents()] == before_docs
    assert not any(core.settings.user_docs_dir.glob("*/manifest.json"))
    assert not core.build_lock.locked() and core.cancel_rebuild() is False  # nothing runs now


def test_a_rebuild_past_its_time_budget_rolls_back(core, tmp_path, monkeypatch):
    from core import library_ops

    source = tmp_path / "助餐通知.txt"
    source.write_text(DOC, encoding="utf-8")
    core.settings = replace(core.settings, rebuild_budget_s=5)
    before_index = core.index
    clock = iter([0.0, 100.0, 200.0, 300.0])  # the deadline is set at 0 s; the first step is at 100 s
    monkeypatch.setattr(library_ops.time, "monotonic", lambda: next(clock, 400.0))
    with pytest.raises(PolicyError) as info:
        core.add(source)
    assert info.value.code == "rebuild_over_budget" and "POLICYQA_REBUILD_BUDGET_S" in info.value.fix
    assert core.index is before_index
    assert not any(core.settings.user_docs_dir.glob("*/manifest.json"))


def test_an_added_document_is_served_after_the_swap(core, tmp_path):
    source = tmp_path / "助餐通知.txt"
    source.write_text(DOC, encoding="utf-8")
    version = core.version
    info = core.add(source)
    assert info.records >= 1 and core.version == version + 1
    assert info.doc_id in core.index.doc_ids
    with pytest.raises(PolicyError) as again:  # same name, other content: no silent overwrite
        other = tmp_path / "x" / "助餐通知.txt"
        other.parent.mkdir()
        other.write_text(DOC.replace("80%", "90%"), encoding="utf-8")
        core.add(other)
    assert again.value.code == "document_exists" and core.version == version + 1
