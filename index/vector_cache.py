"""Vectors keyed by ``vector_key``, appended to a folder chunk by chunk, so a long embedding
run that is stopped (Ctrl-C, SIGTERM, out of memory, kill -9) resumes where it stopped.

A chunk is two files: ``chunk-NNNNN[-writer].npy`` (float32 rows, NumPy format, no pickles)
and ``chunk-NNNNN[-writer].keys.json`` (a JSON list of the rows' keys). Each is written to a
temporary name and renamed into place, the matrix first: the keys file marks a chunk
complete. On opening, a chunk whose keys file is missing, whose matrix is missing, truncated
or unreadable, or whose row count disagrees with its keys is ignored, never loaded. Each
writer names its chunks with a random suffix, so two writers never replace each other's files.

Used by ``policyqa index build`` (``<home>/.vector-cache/``, removed after a successful
build) and by the benchmark (``tools/bench.py``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

import numpy as np

_CHUNK = re.compile(r"chunk-(\d+)(?:-[0-9a-f]+)?\.keys\.json")


class VectorCache:
    """key → float32 vector, persisted in atomic chunks under ``folder`` (created on the
    first :meth:`add`)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.vectors: dict[str, np.ndarray] = {}
        self.ignored: list[str] = []  # chunks found incomplete or corrupt
        self._writer = uuid.uuid4().hex[:8]
        self._next = 0
        if self.folder.is_dir():
            self._load()

    def _load(self) -> None:
        for keys_file in sorted(self.folder.glob("chunk-*.keys.json")):
            match = _CHUNK.fullmatch(keys_file.name)
            if not match:
                continue
            self._next = max(self._next, int(match.group(1)) + 1)
            npy = keys_file.with_name(keys_file.name[: -len(".keys.json")] + ".npy")
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                matrix = np.load(npy, allow_pickle=False)
            except (OSError, ValueError, EOFError):  # missing, truncated, not JSON / NumPy
                self.ignored.append(keys_file.name)
                continue
            if (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
                    or matrix.ndim != 2 or len(keys) != len(matrix) or matrix.dtype != np.float32
                    or not np.isfinite(matrix).all()):
                self.ignored.append(keys_file.name)
                continue
            self.vectors.update(zip(keys, matrix))

    def add(self, keys: list[str], matrix: np.ndarray) -> None:
        """Append one chunk (``len(keys)`` rows); durable once this returns."""
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or len(keys) != len(matrix):
            raise ValueError(f"{len(keys)} keys for a matrix of shape {matrix.shape}")
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f"chunk-{self._next:05d}-{self._writer}"
        self._next += 1
        tmp_npy, tmp_keys = Path(f"{stem}.tmp.npy"), Path(f"{stem}.keys.json.tmp")
        with open(tmp_npy, "wb") as out:
            np.save(out, matrix, allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_npy, f"{stem}.npy")
        with open(tmp_keys, "w", encoding="utf-8") as out:
            out.write(json.dumps(list(keys)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_keys, f"{stem}.keys.json")  # the keys file marks the chunk complete
        self.vectors.update(zip(keys, matrix))

    def get(self, key: str, default: np.ndarray | None = None) -> np.ndarray | None:
        return self.vectors.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.vectors

    def __len__(self) -> int:
        return len(self.vectors)

    def clear(self) -> None:
        """Forget every vector and remove the folder."""
        self.vectors.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
