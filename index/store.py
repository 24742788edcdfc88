"""The on-disk index: a folder of named files plus ``manifest.json``.

``manifest.json``: ``schema_version``, ``corpus_hash`` (sha256 of the records it was
built from), ``model`` {id, dim, fingerprint, backend}, ``settings`` that shape the index,
``libraries`` (versions), ``created_at``, ``counts``, and ``files`` {name: sha256}.
Only JSON, NumPy (``allow_pickle=False``) and FAISS-native files are written, so
loading a shared index never runs code. Checksums are verified on every load.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path

from corpus.errors import PolicyError

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
FIX = "run `policyqa index build`"


class IndexProblem(PolicyError):
    """The index cannot be used as it is; the message says why, ``fix`` how to fix it."""

    code = "index_problem"

    def __init__(self, message: str, fix: str = FIX):
        super().__init__(self.code, message, fix)


class MissingIndex(IndexProblem):
    code = "missing_index"


class CorruptIndex(IndexProblem):
    code = "corrupt_index"


class StaleIndex(IndexProblem):
    code = "stale_index"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: The libraries whose versions shape an index (recorded in its manifest).
INDEX_LIBRARIES = ("bm25s", "faiss-cpu", "sentence-transformers", "jieba", "numpy", "torch", "onnxruntime")


def library_versions(names=INDEX_LIBRARIES) -> dict[str, str]:
    """{package: installed version or "not installed"}."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class ModelInfo:
    id: str
    dim: int
    fingerprint: str
    #: Encoder backend the vectors were made with ("torch" or "onnx-int8"); queries must use
    #: the same one. Manifests written before backends existed were torch.
    backend: str = "torch"


@dataclass(frozen=True)
class IndexSettings:
    """The settings that shape an index: a change makes it stale."""

    bm25_bigrams: bool
    sentence_vectors: bool
    hnsw_threshold: int


@dataclass(frozen=True)
class IndexCounts:
    records: int
    sentence_vectors: int
    embedded: int
    reused: int


@dataclass(frozen=True)
class IndexManifest:
    """``manifest.json`` of an index folder (see the module docstring)."""

    corpus_hash: str
    model: ModelInfo
    settings: IndexSettings
    counts: IndexCounts
    schema_version: int = SCHEMA_VERSION
    libraries: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> IndexManifest:
        try:
            return cls(corpus_hash=data["corpus_hash"], model=ModelInfo(**data["model"]),
                       settings=IndexSettings(**data["settings"]), counts=IndexCounts(**data["counts"]),
                       schema_version=data["schema_version"], libraries=dict(data.get("libraries", {})),
                       created_at=data.get("created_at", ""), files=dict(data.get("files", {})))
        except (KeyError, TypeError) as exc:
            raise CorruptIndex(f"index manifest is missing or has unknown fields ({exc})") from exc


def write_manifest(folder: Path, draft: IndexManifest) -> IndexManifest:
    """Checksum every file of ``folder`` and write the completed manifest; return it."""
    files = {
        str(p.relative_to(folder)): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = replace(draft, schema_version=SCHEMA_VERSION, libraries=library_versions(),
                       created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), files=files)
    (folder / MANIFEST).write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    return manifest


def read_manifest(folder: Path, verify: bool = True) -> IndexManifest:
    """The manifest, after checking the schema version and every file's checksum."""
    path = folder / MANIFEST
    if not path.is_file():
        raise MissingIndex(f"no index at {folder}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"index manifest {path} is unreadable ({exc})") from exc
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise CorruptIndex(
            f"index at {folder} has schema version {manifest.get('schema_version')!r}, "
            f"this policyqa reads {SCHEMA_VERSION}"
        )
    if verify:
        for name, expected in manifest.get("files", {}).items():
            file = folder / name
            if not file.is_file():
                raise CorruptIndex(f"index file {name} is missing")
            if sha256_file(file) != expected:
                raise CorruptIndex(f"index file {name} does not match its checksum")
    return IndexManifest.from_dict(manifest)
