"""The second stage's cost on the library: hybrid + rerank p50 against bare query encoding.

    python -m tools.rerank_latency [--home .policyqa/library] [--questions 60]

Series interleaved question by question (encode, hybrid, hybrid + second stage), the query
cache cleared before each, so load hits them alike and the ratios stay meaningful. Prints one
JSON object (reports/perf.md, "Second stage on the library").
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from corpus.config import REPO_ROOT, Settings
from tools.common import latency_summary, loadavg, question_rows


def main(argv: list[str] | None = None) -> int:
    from core import Assistant
    from qa import make_query

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=REPO_ROOT / ".policyqa" / "library")
    parser.add_argument("--questions", type=int, default=60, help="per file (library-plan, library-laws)")
    args = parser.parse_args(argv)
    index = Assistant(Settings(home=args.home)).index
    settings = Settings(home=args.home)
    questions = [row["question"] for name in ("library-plan.jsonl", "library-laws.jsonl")
                 for row in question_rows(REPO_ROOT / "eval" / "questions" / name)[: args.questions]]
    options = {"k": 10, "dense_weight": settings.dense_weight, "candidates": settings.candidates}
    for q in questions[:5]:  # warm-up
        index.retrieve(make_query(q), rerank=True, **options)
    times: dict[str, list[float]] = {"encode_query": [], "hybrid": [], "hybrid_rerank": []}
    for q in questions:
        query = make_query(q)
        series = {
            "encode_query": lambda query=query: index.encoder.encode_query(
                [query.text], convert_to_numpy=True, normalize_embeddings=True),
            "hybrid": lambda query=query: index.retrieve(query, rerank=False, **options),
            "hybrid_rerank": lambda query=query: index.retrieve(query, rerank=True, **options),
        }
        for name, run in series.items():
            index.clear_query_cache()
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    out = {name: latency_summary(values) for name, values in times.items()}
    encode = out["encode_query"]["p50_ms"]
    out["hybrid_rerank_over_encode_p50"] = round(out["hybrid_rerank"]["p50_ms"] / encode, 2)
    out["hybrid_over_encode_p50"] = round(out["hybrid"]["p50_ms"] / encode, 2)
    out["records"], out["questions"], out["loadavg"] = len(index.records), len(questions), loadavg()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
