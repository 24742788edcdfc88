"""Shared fixtures: the plan built once per session into a temporary home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus.config import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

#: The read-only shared material beside the repository (the lawrefbook corpus).
SHARED = Settings().shared  # POLICYQA_SHARED, ../shared, or the one beside the repository cloned from
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


# ---------------------------------------------------------------- index fixtures
#: The embedding model the index tests use: the one `make model` builds (or POLICYQA_MODEL).
MODEL_PATH = Settings().model_path


def clone_home(settings: Settings, dest: Path) -> Settings:
    """A private copy of a built home (corpus, index and their version symlinks).

    Building in the copy re-uses the original's vectors, so a test that changes the
    corpus or breaks the index embeds only what it adds.
    """
    import shutil
    from dataclasses import replace

    shutil.copytree(settings.home, dest, symlinks=True)
    return replace(settings, home=dest)


@pytest.fixture(scope="session")
def encoder():
    """The sentence-transformers model, loaded once (index.build caches it per path)."""
    from index.build import get_encoder

    return get_encoder(Settings(model=MODEL_PATH))


def build_index_seeded(settings: Settings, encoder, request, name: str) -> dict:
    """``build_index`` with the vectors of the previous test session's build of ``name``.

    The last good index of each home kind is kept in pytest's cache (``.pytest_cache``),
    never taken from the developer's own ``.policyqa/``; it is copied in as the home's
    "previous" index, so ``build_index`` re-uses every vector whose key (model fingerprint +
    exact text) is unchanged and embeds the rest. A clean checkout or ``--cache-clear``
    embeds everything.
    """
    import os
    import shutil

    from index.build import build_index

    cache = request.config.cache
    seed = cache.mkdir(f"policyqa-index-{name}") / "index"
    if (seed / "manifest.json").is_file() and not settings.index_dir.exists():
        shutil.copytree(seed, settings.home / "index-seed")
        os.symlink("index-seed", settings.index_dir)
    manifest = build_index(settings, encoder)
    shutil.rmtree(seed, ignore_errors=True)
    shutil.copytree(settings.index_dir.resolve(), seed)
    return manifest


@pytest.fixture(scope="session")
def indexed_home(tmp_path_factory, encoder, request):
    """The one factory of indexed homes: ``indexed_home(name, paths=(), **settings)`` builds
    the shipped plan plus ``paths`` into a fresh home, indexes it (seeded from pytest's
    cache, see :func:`build_index_seeded`) and returns its Settings; the same name gives the
    same home for the whole session. Read-only: tests that change a home use :func:`clone_home`."""
    import corpus

    homes: dict[str, Settings] = {}

    def make(name: str, paths=(), **overrides) -> Settings:
        if name not in homes:
            settings = Settings(home=tmp_path_factory.mktemp(name), model=MODEL_PATH, **overrides)
            corpus.build(settings, paths=list(paths))
            build_index_seeded(settings, encoder, request, name)
            homes[name] = settings
        return homes[name]

    return make


@pytest.fixture(scope="session")
def index_settings(indexed_home) -> Settings:
    """A home with the plan built and indexed (clause and sentence vectors)."""
    return indexed_home("plan")


@pytest.fixture(scope="session")
def plan_index(index_settings, encoder):
    from index.hybrid import HybridIndex

    return HybridIndex.load(index_settings.index_dir, encoder)
