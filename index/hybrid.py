"""``HybridIndex``: BM25 + dense search over clause records, fused, filtered, cited.

>>> idx = HybridIndex.load(settings.index_dir, encoder)          # doctest: +SKIP
>>> [h.record.path for h in idx.search("托位数要达到多少", k=3)]   # doctest: +SKIP
['二¶2', '三(一)3', '三(二)2']
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import replace
from pathlib import Path

import numpy as np

from corpus.config import DEFAULT_DENSE_WEIGHT, DEFAULT_FUSION, MODES, Fusion, Mode
from corpus.departments import load_dictionary
from corpus.errors import PolicyError
from corpus.law_vocabulary import normalize_law_body, sector_of
from corpus.records import Record, Sentence
from corpus.tokenize import tokenize_for_search
from index.dense import Encoder, VectorIndex
from index.fusion import fuse
from index.hits import (
    Filters,
    Hit,
    Retrieval,
    _masked,
    search_text,
    short_title,
    top_rows,
    vector_key,
)
from index.hybrid_store import build_hybrid, load_hybrid, save_hybrid, vectors_by_key
from index.query import ARTICLE_PATH_RE, PLAN_PATH_RE, Query, compact, ordinal_paths
from index.sparse import SparseIndex
from index.store import IndexManifest

#: Fused candidates the second stage re-scores (the reranker was trained on this many).
RERANK_TOP = 30

#: Re-exported for callers that parse references themselves (qa.intent).
__all__ = ["ARTICLE_PATH_RE", "PLAN_PATH_RE", "RERANK_TOP", "Filters", "Hit", "HybridIndex", "Query", "Retrieval",
           "ordinal_paths", "search_text", "top_rows", "vector_key"]


class HybridIndex:
    def __init__(self, records: list[Record], sparse: SparseIndex, clauses: VectorIndex,
                 sentences: VectorIndex | None, sentence_rows: np.ndarray,
                 sentence_index: np.ndarray, manifest: IndexManifest, encoder: Encoder | None = None):
        self.records = records
        self.sparse = sparse
        self.clauses = clauses
        self.sentences = sentences
        self.sentence_rows = sentence_rows  # sentence vector → record row
        self.sentence_index = sentence_index  # sentence vector → index into record.sentences
        self.manifest = manifest
        self.encoder = encoder
        self._by_id = {r.id: i for i, r in enumerate(records)}
        # Look-up tables, so a query never loops over every record in Python.
        self._short_titles = {r.doc_id: short_title(r.doc_title) for r in records}
        self._rows_by_path: dict[str, list[int]] = {}
        self._rows_by_article: dict[str, list[int]] = {}
        # Filter row sets, so a filter is a few set intersections, not a loop over records.
        self._rows_by_doc: dict[str, list[int]] = {}
        self._rows_by_domain: dict[str, list[int]] = {}
        self._rows_by_dept: dict[tuple[str, str], list[int]] = {}
        for row, r in enumerate(records):
            self._rows_by_path.setdefault(r.path, []).append(row)
            self._rows_by_doc.setdefault(r.doc_id, []).append(row)
            for domain in r.domains:
                self._rows_by_domain.setdefault(domain, []).append(row)
            for role, names in (("lead", r.departments.lead), ("co", r.departments.co),
                                ("implementers", r.departments.implementers)):
                for name in names:
                    self._rows_by_dept.setdefault((role, name), []).append(row)
            if r.level == "article":
                self._rows_by_article.setdefault(r.path.rsplit("/", 1)[-1], []).append(row)
        # paths in sorted order (a section's clauses are one contiguous run: a prefix look-up by
        # bisection) and the documents' short titles by their first two characters (a title
        # named in a question is found without testing every title)
        self._sorted_paths = sorted(self._rows_by_path)
        self._titles_by_start: dict[str, list[tuple[str, str]]] = {}
        for doc, title in self._short_titles.items():
            if title:
                self._titles_by_start.setdefault(title[:2], []).append((doc, title))
        self._sentence_terms: dict[int, list[set[str]]] = {}  # filled lazily by evidence()
        self._query_cache: dict[str, np.ndarray] = {}
        self._query_cache_lock = threading.Lock()  # the web app answers from several threads
        self._sentence_start = np.searchsorted(sentence_rows, np.arange(len(records) + 1))

    # ------------------------------------------------------------ build / persist (index.hybrid_store)
    @classmethod
    def build(cls, records: list[Record], encoder: Encoder, **options) -> HybridIndex:
        """Index ``records`` (options: see :func:`index.hybrid_store.build_hybrid`)."""
        return build_hybrid(cls, records, encoder, **options)

    def save(self, folder: Path) -> dict:
        return save_hybrid(self, folder)

    @classmethod
    def load(cls, folder: Path, encoder: Encoder | None = None, verify: bool = True) -> HybridIndex:
        return load_hybrid(folder, encoder, verify, cls)

    def vectors_by_key(self, folder: Path) -> dict[str, np.ndarray]:
        """key → vector for every stored vector (for re-use by the next build)."""
        return vectors_by_key(self, folder)

    # ------------------------------------------------------------ search
    def record(self, record_id: str) -> Record | None:
        row = self._by_id.get(record_id)
        return None if row is None else self.records[row]

    @property
    def doc_ids(self) -> list[str]:
        """Documents in the index, in record order."""
        return list(self._rows_by_doc)

    def opening_records(self) -> list[Record]:
        """Each document's first record (a plan's 前言, a law's 第一条), in record order."""
        return [self.records[rows[0]] for rows in self._rows_by_doc.values()]

    def department_rows(self, name: str, role: str) -> list[int]:
        """Rows where the canonical department ``name`` has ``role`` (lead/co/implementers)."""
        return self._rows_by_dept.get((role, name), [])

    def resolve_departments(self, name: str) -> list[str]:
        """The canonical names a department, alias or sector word stands for here: the
        plan's dictionary first (卫健委 → 省卫生健康委), then a body named in a law
        (国务院民政部门), and for a sector word without a level (民政部门, 人社部门) also
        every body of that sector at any level. Unknown → a :class:`PolicyError`."""
        cleaned = (name or "").strip()
        named = {n for _, n in self._rows_by_dept}
        found: list[str] = []
        canonical = load_dictionary().resolve(cleaned)
        if canonical:
            found.append(canonical)
        law = normalize_law_body(cleaned) if cleaned else None
        for candidate in (cleaned, law):
            if candidate and candidate in named and candidate not in found:
                found.append(candidate)
        sector = sector_of(cleaned) if cleaned else None
        if sector and (not canonical or cleaned.endswith(("部门", "机构"))):
            found += sorted(n for n in named if n not in found and sector_of(n) == sector)
        if not found:
            raise PolicyError("unknown_department", f"未找到部门“{cleaned}”",
                              "请从列表中选择，或输入常用简称（如 卫健委、人社部门）")
        return found

    def department_names(self) -> list[str]:
        """Every department some record names, in dictionary order, then the others."""
        named = {name for _, name in self._rows_by_dept}
        listed = [n for n in load_dictionary().names if n in named]
        return listed + sorted(named - set(listed))

    def allowed_rows(self, filters: Filters | None) -> np.ndarray | None:
        """Rows passing ``filters`` (None = all); an unknown document, department or
        domain is a :class:`PolicyError` (the one place filters are checked)."""
        if not filters:
            return None
        sets: list[set[int]] = []
        if filters.doc:
            if filters.doc not in self._rows_by_doc:
                raise PolicyError("unknown_document", f"未找到文件“{filters.doc}”",
                                  "请从文件列表中选择（policyqa corpus docs 列出文件编号）")
            sets.append(set(self._rows_by_doc[filters.doc]))
        if filters.domain:
            known = sorted(self._rows_by_domain)
            if filters.domain not in self._rows_by_domain:
                raise PolicyError("unknown_domain", f"没有标注为“{filters.domain}”领域的条款",
                                  "可选领域：" + "、".join(known))
            sets.append(set(self._rows_by_domain[filters.domain]))
        if filters.dept:
            if filters.dept_role not in ("lead", "co", "any"):
                raise PolicyError("bad_role", f"未知的角色“{filters.dept_role}”", "用 lead、co 或 any")
            names = self.resolve_departments(filters.dept)
            roles = ("lead", "co", "implementers") if filters.dept_role == "any" else (filters.dept_role,)
            sets.append({row for name in names for role in roles for row in self.department_rows(name, role)})
        if filters.section:
            section = compact(filters.section)
            sets.append(set(self._rows_under(section)))
        rows = set.intersection(*sets) if sets else set()
        return np.array(sorted(rows), dtype=np.int64)

    def lookup(self, query: Query, allowed: np.ndarray | None = None) -> list[int]:
        """Rows a query names by number (``三(五)1``, ``四（三）``, ``第十二条``), in order."""
        if not query.names_clause:
            return []
        text = compact(query.text)
        wanted: list[int] = []
        allowed_set = None if allowed is None else set(allowed.tolist())
        for path in query.refs:
            if path[-1].isdigit():
                wanted += self._rows_by_path.get(path, [])
            else:  # a part or a section: every clause under it, in order
                wanted += sorted(self._rows_under(path))
        named_docs = self._named_documents(text) if query.articles else set()
        for article in query.articles:
            wanted += [row for row in self._rows_by_article.get(article, [])
                       if not named_docs or self.records[row].doc_id in named_docs]
        return [row for row in dict.fromkeys(wanted) if allowed_set is None or row in allowed_set]

    def _rows_under(self, prefix: str) -> list[int]:
        """Rows whose path starts with ``prefix`` (``三(二)`` → 三(二)1, 三(二)2 …)."""
        rows: list[int] = []
        for i in range(bisect_left(self._sorted_paths, prefix), len(self._sorted_paths)):
            path = self._sorted_paths[i]
            if not path.startswith(prefix):
                break
            rows += self._rows_by_path[path]
        return rows

    def _named_documents(self, text: str) -> set[str]:
        """Documents whose short title appears in ``text``."""
        return {doc for i in range(len(text) - 1) for doc, title in self._titles_by_start.get(text[i:i + 2], ())
                if text.startswith(title, i)}

    def encode_query(self, query: str) -> np.ndarray:
        """The query's e5 vector; the last few are cached (the evaluation tab and the
        eval's three modes search with the same question)."""
        if self.encoder is None:
            raise RuntimeError("this index was loaded without an encoder; dense search needs one")
        cached = self._query_cache.get(query)
        if cached is None:
            vector = self.encoder.encode_query([query], convert_to_numpy=True, normalize_embeddings=True)
            cached = np.asarray(vector, dtype=np.float32)[0]
            with self._query_cache_lock:
                while len(self._query_cache) >= 256:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[query] = cached
        return cached

    def clear_query_cache(self) -> None:
        with self._query_cache_lock:
            self._query_cache.clear()

    def search(self, query: Query | str, k: int = 10, mode: Mode = "hybrid",
               filters: Filters | None = None, fusion: Fusion = DEFAULT_FUSION,
               dense_weight: float = DEFAULT_DENSE_WEIGHT, candidates: int = 100, rerank: bool = False) -> list[Hit]:
        """The best ``k`` records for ``query``; a clause named by number comes first."""
        return self.retrieve(query, k, mode, filters, fusion, dense_weight, candidates, rerank).hits

    def retrieve(self, query: Query | str, k: int = 10, mode: Mode = "hybrid",
                 filters: Filters | None = None, fusion: Fusion = DEFAULT_FUSION,
                 dense_weight: float = DEFAULT_DENSE_WEIGHT, candidates: int = 100, rerank=False) -> Retrieval:
        """:meth:`search`, plus what abstention needs, in the same pass: the best dense
        similarity and — with ``rerank`` (hybrid mode) — the second stage's probability.
        ``rerank`` is True for the shipped weights, or a ``Reranker`` to score with (the
        evaluation scores a dev question with the fold model that did not see it).

        The second stage (:mod:`index.rerank`) re-orders the first :data:`RERANK_TOP` fused
        candidates by the calibrated probability that each answers the question; clauses named
        by number stay first. Each hit's ``score`` is then that probability."""
        if mode not in MODES:
            raise PolicyError("bad_mode", f"未知的检索模式“{mode}”", "可选：" + "、".join(MODES))
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise PolicyError("bad_k", f"返回条数必须是正整数，而不是 {k!r}", "用 1 到 100 之间的整数")
        if not isinstance(query, Query):
            query = Query.parse(query)
        allowed = self.allowed_rows(filters)
        if allowed is not None and len(allowed) == 0:
            return Retrieval([], 0.0)
        n = len(self.records)
        bm25_all = np.zeros(n, np.float32)
        bm25_rows = dense_rows = np.zeros(0, np.int64)
        bm25_top = dense_top = np.zeros(0, np.float32)
        dense_by_row: dict[int, float] = {}
        query_vector = None
        if mode in ("bm25", "hybrid"):
            bm25_all = self.sparse.scores(query.text, query.search_tokens)
            pool = bm25_all if allowed is None else _masked(bm25_all, allowed)
            bm25_rows = top_rows(pool, candidates)
            bm25_rows = bm25_rows[pool[bm25_rows] > 0]
            bm25_top = bm25_all[bm25_rows]
        if mode in ("dense", "hybrid"):
            query_vector = self.encode_query(query.text)
            scores, rows = self.clauses.search(query_vector, candidates, allowed)
            dense_by_row = {int(r): float(s) for r, s in zip(rows, scores)}
            if self.sentences is not None:
                sentence_allowed = None
                if allowed is not None:
                    sentence_allowed = np.flatnonzero(np.isin(self.sentence_rows, allowed))
                scores, rows = self.sentences.search(query_vector, candidates * 3, sentence_allowed)
                for s, r in zip(scores, self.sentence_rows[rows]):
                    dense_by_row[int(r)] = max(dense_by_row.get(int(r), -1.0), float(s))
            ordered = sorted(dense_by_row.items(), key=lambda kv: -kv[1])[:candidates]
            dense_rows = np.array([r for r, _ in ordered], dtype=np.int64)
            dense_top = np.array([s for _, s in ordered], dtype=np.float32)
        if mode == "bm25":
            fused = {int(r): float(s) for r, s in zip(bm25_rows, bm25_top)}
        elif mode == "dense":
            fused = {int(r): float(s) for r, s in zip(dense_rows, dense_top)}
        elif fusion == "rrf":
            fused = fuse(bm25_rows, bm25_top, dense_rows, dense_top, fusion, dense_weight)
        else:
            # each side's candidates with both of their scores: a record BM25 ranks first but
            # the dense search's top N missed (健身房年卡卷钱跑了 → 三(七)4's 预付消费“跑路”) keeps
            # its cosine, and a dense candidate its BM25 — instead of 0 for the side that cut it
            union = np.union1d(bm25_rows, dense_rows).astype(np.int64)
            self._complete_dense(dense_by_row, query_vector, union)
            fused = fuse(union, bm25_all[union], union,
                         np.array([dense_by_row[int(r)] for r in union], np.float32), fusion, dense_weight)
        named = self.lookup(query, allowed)
        top_score = max(fused.values(), default=0.0)
        order = named + [r for r, _ in sorted(fused.items(), key=lambda kv: -kv[1]) if r not in named]
        second_stage = bool(rerank) and mode == "hybrid"
        pool = order[: max(k, RERANK_TOP)] if second_stage else order[:k]

        def hit(rank: int, row: int, score: float) -> Hit:
            return Hit(rank=rank, record=self.records[row], score=score,
                       bm25=float(bm25_all[row]) if mode != "dense" else None,
                       dense=dense_by_row.get(row) if mode != "bm25" else None,
                       evidence=self.evidence(row, query, query_vector), lookup=row in named)

        hits = [hit(rank, row, fused.get(row, top_score) if row not in named
                    else max(top_score, fused.get(row, 0.0))) for rank, row in enumerate(pool, 1)]
        best_dense = max(dense_by_row.values(), default=0.0)
        if not second_stage or not hits:
            return Retrieval(hits[:k], best_dense, query_vector)
        from index.rerank import default_reranker  # (it imports this module)

        scorer = rerank if hasattr(rerank, "score") else default_reranker()
        probabilities = scorer.score(self, query, hits, query.intent, query.departments)
        by_row = {h.record.id: float(p) for h, p in zip(hits, probabilities)}
        ranked = [h for h in hits if h.lookup] + sorted(
            (h for h in hits if not h.lookup), key=lambda h: -by_row[h.record.id])
        hits = [replace(h, rank=rank, score=by_row[h.record.id]) for rank, h in enumerate(ranked[:k], 1)]
        unnamed = [by_row[h.record.id] for h in ranked if not h.lookup]
        return Retrieval(hits, best_dense, query_vector, max(unnamed, default=0.0))

    def _complete_dense(self, dense_by_row: dict[int, float], query_vector: np.ndarray, rows: np.ndarray) -> None:
        """Set ``dense_by_row`` of each of ``rows`` to its exact best cosine (clause or one of its
        sentences), from the stored vectors: a row the dense search cut had none, and one it
        found through its clause lacks sentences outside the sentence top N."""
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return
        best = self.clauses.vectors[rows] @ query_vector
        if self.sentences is not None:
            starts, ends = self._sentence_start[rows], self._sentence_start[rows + 1]
            has = ends > starts
            if has.any():
                spans = [np.arange(a, b) for a, b in zip(starts[has], ends[has])]
                sims = self.sentences.vectors[np.concatenate(spans)] @ query_vector
                offsets = np.cumsum([0] + [len(x) for x in spans[:-1]])
                best[has] = np.maximum(best[has], np.maximum.reduceat(sims, offsets))
        dense_by_row.update(zip(rows.tolist(), best.astype(float).tolist()))

    def evidence(self, row: int, query: Query, query_vector: np.ndarray | None, limit: int = 2) -> list[Sentence]:
        """The record's sentences that best support ``query``, in text order."""
        record = self.records[row]
        if len(record.sentences) <= 1:
            return list(record.sentences)
        terms = set(query.tokens)
        if row not in self._sentence_terms:
            self._sentence_terms[row] = [set(tokenize_for_search(s.text)) for s in record.sentences]
        lexical = np.array([len(terms & words) / (len(terms) or 1) for words in self._sentence_terms[row]],
                           dtype=np.float32)
        score = lexical
        if query_vector is not None and self.sentences is not None:
            start, end = self._sentence_start[row], self._sentence_start[row + 1]
            if end > start:
                dense = self.sentences.vectors[start:end] @ query_vector
                order = self.sentence_index[start:end]
                dense_full = np.zeros(len(record.sentences), np.float32)
                dense_full[order] = dense
                score = lexical + dense_full
        best = sorted(np.argsort(-score)[:limit].tolist())
        return [record.sentences[i] for i in best]
