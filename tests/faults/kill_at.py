#!/usr/bin/env python
"""Run the ``policyqa`` CLI and SIGKILL it at one chosen step of a write — deterministically.

    python tests/faults/kill_at.py POINT policyqa-args…

POINT is where the process kills itself (``kill -9`` of its own pid), just before:

* ``write`` — the records are written into the fresh staging directory;
* ``fsync`` — the staging directory is synced;
* ``rename`` — staging is renamed to its version directory (``Path.rename``);
* ``symlink`` — the temporary link to the new version is made;
* ``replace`` — the temporary link replaces ``home/<name>`` (the atomic swap);
* ``prune`` — old versions are pruned (the swap has happened);
* ``add-rename`` — ``corpus add`` renames the new copy of a document into place (the old
  copy of the same document is already deleted).
"""

from __future__ import annotations

import os
import pathlib
import signal
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def _die_on(original, staged: str):
    """``original``, except that a call on a staged path (name ending in ``staged``) kills."""

    def wrapper(*args, **kwargs):
        if any(str(a).endswith(staged) for a in args):
            _die()
        return original(*args, **kwargs)

    return wrapper


def arm(point: str) -> None:
    import importlib

    # (``corpus.build`` is also the name of the build function: go by module name.)
    build = importlib.import_module("corpus.build")
    storage = importlib.import_module("corpus.storage")
    if point == "write":
        build.write_jsonl = _die
    elif point == "fsync":
        storage._fsync_tree = _die
    elif point == "rename":
        pathlib.Path.rename = _die_on(pathlib.Path.rename, ".partial")
    elif point == "add-rename":
        pathlib.Path.rename = _die_on(pathlib.Path.rename, ".tmp")
    elif point == "symlink":
        os.symlink = _die_on(os.symlink, ".link")
    elif point == "replace":
        os.replace = _die_on(os.replace, ".link")
    elif point == "prune":
        storage.prune = _die
    else:
        raise SystemExit(f"unknown point {point!r}")


if __name__ == "__main__":
    arm(sys.argv[1])
    from app.cli import main

    main(sys.argv[2:])
