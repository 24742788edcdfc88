"""Atomic, versioned artifact directories.

``home/<name>`` is a symlink to ``home/<name>-<stamp>``. A build writes a fresh
versioned directory, then swaps the symlink with one ``os.replace`` (atomic on
POSIX), so a reader sees the old version or the new one, never a half-written
one; a build that fails or is killed leaves the last good version serving.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEEP_VERSIONS = 2


@contextmanager
def replaced_dir(dest: Path) -> Iterator[Path]:
    """Yield an empty staging directory beside ``dest``; on success it replaces ``dest`` (the
    previous one is set aside as ``.<name>.old`` until the rename is done), on failure it is
    removed. For large unversioned artifacts (the model, its ONNX export) where
    :func:`atomic_dir`'s kept versions would cost gigabytes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    old = dest.with_name(f".{dest.name}.old")
    staging.mkdir()
    try:
        yield staging
        staging.chmod(0o755)
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            dest.rename(old)  # an interrupted swap leaves the previous one here
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_dir(link: Path) -> Iterator[Path]:
    """Yield a new empty directory; on success make ``link`` point at it.

    >>> with atomic_dir(home / "index") as tmp:   # doctest: +SKIP
    ...     (tmp / "manifest.json").write_text("{}")
    """
    link.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    target = link.parent / f"{link.name}-{stamp}"
    staging = link.parent / f".{link.name}-{stamp}.partial"
    staging.mkdir()
    try:
        yield staging
        _fsync_tree(staging)
        staging.rename(target)
        tmp_link = link.parent / f".{link.name}-{stamp}.link"
        os.symlink(target.name, tmp_link)
        if link.exists() and not link.is_symlink():
            # An artifact from before versioning: keep it aside rather than lose it.
            link.rename(link.parent / f"{link.name}-legacy-{stamp}")
        os.replace(tmp_link, link)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    prune(link)


def prune(link: Path, keep: int = KEEP_VERSIONS) -> None:
    """Delete old versions (keeping ``keep`` including the current) and dead staging dirs."""
    current = link.resolve() if link.exists() else None
    # Oldest first by creation, not by name: several builds can share a second-resolution stamp.
    versions = sorted((p for p in link.parent.glob(f"{link.name}-*") if p.is_dir()),
                      key=lambda p: p.stat().st_mtime_ns)
    for old in versions[:-keep]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)
    for partial in link.parent.glob(f".{link.name}-*.partial"):
        if time.time() - partial.stat().st_mtime > 3600:
            shutil.rmtree(partial, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
