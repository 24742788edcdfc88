"""Shared fixtures: the plan built once per session into a temporary home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus.config import REPO_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

#: The read-only shared material beside the repository (the lawrefbook corpus).
SHARED = Path(os.environ.get("POLICYQA_SHARED", REPO_ROOT.parent / "shared"))
LAWS = SHARED / "corpora" / "lawrefbook"
ELDERLY_LAW = LAWS / "社会法" / "老年人权益保障法(2018-12-29).md"
POPULATION_LAW = LAWS / "行政法" / "人口与计划生育法(2021-08-20).md"


@pytest.fixture(scope="session")
def plan_settings(tmp_path_factory) -> Settings:
    """A home with the shipped plan built."""
    import corpus

    settings = Settings(home=tmp_path_factory.mktemp("home"))
    corpus.build(settings)
    return settings


@pytest.fixture(scope="session")
def plan_records(plan_settings):
    import corpus

    return {r.path: r for r in corpus.load_records(plan_settings)}


@pytest.fixture(scope="session")
def law_settings(tmp_path_factory) -> Settings:
    """A home with the plan and the two related laws."""
    import corpus

    assert ELDERLY_LAW.is_file(), f"shared corpus missing at {LAWS} (set POLICYQA_SHARED)"
    settings = Settings(home=tmp_path_factory.mktemp("laws"))
    corpus.build(settings, paths=[ELDERLY_LAW, POPULATION_LAW])
    return settings
