"""TREC qrels and run files, as ranx (``Qrels.from_file``/``Run.from_file``) and trec_eval
read them.

* qrels: ``qid 0 docid relevance`` — one line per gold record.
* run:   ``qid Q0 docid rank score tag`` — one line per retrieved record, best first.

Fields are separated by one space, so ids and the tag must not contain whitespace
(record ids ``doc_id#path`` never do; :func:`write_run` checks). Files are UTF-8
(record ids are Chinese); ranx opens them with the locale encoding, UTF-8 here.

Run scores: trec_eval and ranx rebuild the ranking by sorting on ``score`` and ignore
``rank``, so the score written must be strictly decreasing along the ranking. Fused
scores can tie (a clause named by number gets the top score; RRF ties), so callers
pass :func:`rank_scores` — ``k + 1 − rank`` — unless their scores are strictly ordered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

_SPACE_RE = re.compile(r"\s")


def _check_token(kind: str, value: str) -> None:
    if not value or _SPACE_RE.search(value):
        raise ValueError(f"{kind} {value!r} is empty or contains whitespace (TREC fields "
                         "are space-separated)")


def rank_scores(doc_ids: Sequence[str], k: int | None = None) -> list[tuple[str, float]]:
    """``[(doc_id, k + 1 − rank)]`` for a ranked list (``k`` defaults to its length)."""
    k = len(doc_ids) if k is None else k
    return [(doc_id, float(k + 1 - rank)) for rank, doc_id in enumerate(doc_ids, 1)]


def write_qrels(qrels: Mapping[str, Mapping[str, int]], path: str | Path) -> Path:
    """Write ``{qid: {docid: relevance}}`` as TREC qrels; return the path."""
    lines = []
    for qid, docs in qrels.items():
        _check_token("query id", qid)
        for doc_id, relevance in docs.items():
            _check_token("doc id", doc_id)
            lines.append(f"{qid} 0 {doc_id} {int(relevance)}\n")
    path = Path(path)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def write_run(run: Mapping[str, Sequence[tuple[str, float]]], path: str | Path,
              tag: str = "policyqa") -> Path:
    """Write ``{qid: [(docid, score), …] best first}`` as a TREC run; return the path.

    Queries with no results write no lines (ranx's ``make_comparable`` and trec_eval
    count them as zero). Raises ``ValueError`` if scores do not strictly decrease.
    """
    _check_token("run tag", tag)
    lines = []
    for qid, ranked in run.items():
        _check_token("query id", qid)
        previous = None
        for rank, (doc_id, score) in enumerate(ranked, 1):
            _check_token("doc id", doc_id)
            if previous is not None and not score < previous:
                raise ValueError(f"run scores of {qid} do not strictly decrease at rank {rank}; "
                                 "use rank_scores()")
            previous = score
            lines.append(f"{qid} Q0 {doc_id} {rank} {float(score)!r} {tag}\n")
    path = Path(path)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """``{qid: {docid: relevance}}`` of a TREC qrels file (the inverse of :func:`write_qrels`)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4:
            raise ValueError(f"{path}:{number}: expected 'qid 0 docid relevance'")
        qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def read_run(path: str | Path) -> dict[str, list[tuple[str, float]]]:
    """``{qid: [(docid, score)] best first}`` of a TREC run file (sorted by score)."""
    run: dict[str, list[tuple[str, float]]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 6:
            raise ValueError(f"{path}:{number}: expected 'qid Q0 docid rank score tag'")
        run.setdefault(parts[0], []).append((parts[2], float(parts[4])))
    return {qid: sorted(docs, key=lambda d: -d[1]) for qid, docs in run.items()}
