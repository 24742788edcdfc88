"""Run the ``policyqa`` CLI and SIGKILL it at one chosen step of a write — deterministically.

    python -m tools.kill_at POINT policyqa-args…

POINT is where the process kills itself (``kill -9`` of its own pid), just before:

* ``write`` — the records are written into the fresh staging directory;
* ``fsync`` — the staging directory is synced (the first ``os.fsync`` of a staged file);
* ``rename`` — staging is renamed to its version directory (``Path.rename``);
* ``symlink`` — the temporary link to the new version is made;
* ``replace`` — the temporary link replaces ``home/<name>`` (the atomic swap);
* ``prune`` — old versions are pruned (the swap has happened);
* ``add-rename`` — ``corpus add`` renames the staged copy of a new document into place;
* ``add-replace`` — ``corpus add --replace`` replaces the manifest of a stored document with
  the staged one (its source file is already replaced: the middle of the swap).

The points are armed by wrapping public functions (``corpus.build.write_jsonl``,
``corpus.storage.prune``) and the ``os`` / ``pathlib`` calls the swap makes on its staged
paths; then the installed ``policyqa`` executable runs in this process.
"""

from __future__ import annotations

import os
import pathlib
import runpy
import signal
import sys

from tools.common import offline_environment, policyqa_executable

POINTS = ("write", "fsync", "rename", "symlink", "replace", "prune", "add-rename", "add-replace")


def _die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def _die_on(original, staged: str):
    """``original``, except that a call on a staged path (name ending in ``staged``) kills."""

    def wrapper(*args, **kwargs):
        if any(str(a).endswith(staged) for a in args):
            _die()
        return original(*args, **kwargs)

    return wrapper


def _die_on_staged_file(original, staged_dir: str, name: str):
    """``original``, except that a call on the file ``name`` of a staging directory (name
    ending in ``staged_dir``) as its first argument kills."""

    def wrapper(*args, **kwargs):
        first = pathlib.Path(str(args[0])) if args else None
        if first is not None and first.name == name and first.parent.name.endswith(staged_dir):
            _die()
        return original(*args, **kwargs)

    return wrapper


def _die_on_staged_fsync(original):
    """``os.fsync``, except that syncing a file inside a ``.partial`` staging directory kills
    (where the file behind a descriptor cannot be told, any fsync does)."""

    def wrapper(fd, *args, **kwargs):
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except (OSError, TypeError):
            path = ".partial"
        if ".partial" in path:
            _die()
        return original(fd, *args, **kwargs)

    return wrapper


def arm(point: str) -> None:
    import importlib

    # (``corpus.build`` is also the name of the build function: go by module name.)
    build = importlib.import_module("corpus.build")
    storage = importlib.import_module("corpus.storage")
    if point == "write":
        build.write_jsonl = _die
    elif point == "fsync":
        os.fsync = _die_on_staged_fsync(os.fsync)
    elif point == "rename":
        pathlib.Path.rename = _die_on(pathlib.Path.rename, ".partial")
    elif point == "add-rename":
        pathlib.Path.rename = _die_on(pathlib.Path.rename, ".tmp")
    elif point == "add-replace":
        os.replace = _die_on_staged_file(os.replace, ".tmp", "manifest.json")
    elif point == "symlink":
        os.symlink = _die_on(os.symlink, ".link")
    elif point == "replace":
        os.replace = _die_on(os.replace, ".link")
    elif point == "prune":
        storage.prune = _die
    else:
        raise SystemExit(f"unknown point {point!r}; choose one of {', '.join(POINTS)}")


def main(argv: list[str] | None = None) -> None:
    """Arm ``argv[0]``, then run the ``policyqa`` executable with ``argv[1:]`` in this process."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0 if argv else 2)
    offline_environment()
    arm(argv[0])
    executable = policyqa_executable()
    sys.argv = [executable, *argv[1:]]
    runpy.run_path(executable, run_name="__main__")


if __name__ == "__main__":
    main()
