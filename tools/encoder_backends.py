"""torch vs the ONNX encoder backends on a home's corpus build: throughput, single-query
latency and the cosine of the ONNX vectors to the torch ones (reports/encoder-backends.md).

    python -m tools.encoder_backends --home H [--rounds 3]

Prints one JSON line per backend and round, then one JSON object with the sample and cosines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpus.build import load_records
from corpus.config import Settings
from index.build import get_encoder
from index.hits import search_text
from index.onnx_encoder import BACKENDS


def compare_backends(home: Path, n: int = 256, batch_size: int = 32, rounds: int = 3) -> dict:
    """torch vs the ONNX backends on ``n`` evenly spread article texts of ``home``'s corpus build:
    throughput (``encode_document``, ``batch_size``), single-query latency (p50 of 30) and the
    cosine of the ONNX vectors to the torch ones; the backends interleaved, round by round,
    with the load average before each (reports/encoder-backends.md)."""
    settings = Settings(home=home)
    texts = [search_text(r) for r in load_records(settings) if r.level == "article"]
    sample = texts[:: max(1, len(texts) // n)][:n]
    queries = ["养老服务补贴的申请条件是什么？", "托育机构备案需要提交哪些材料？", "灵活就业人员可以申请社会保险补贴吗？"]
    encoders = {b: get_encoder(Settings(home=home, encoder_backend=b)) for b in ("torch", *BACKENDS)}
    out: dict[str, Any] = {"texts": len(sample), "mean_chars": round(statistics.fmean(map(len, sample)), 1),
                           "batch_size": batch_size, "rounds": []}
    vectors = {}
    for _ in range(rounds):
        for backend, encoder in encoders.items():
            load = os.getloadavg()
            started = time.perf_counter()
            vectors[backend] = np.asarray(encoder.encode_document(
                sample, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True))
            rate = len(sample) / (time.perf_counter() - started)
            latency = []
            for query in queries * 10:
                started = time.perf_counter()
                encoder.encode_query([query], convert_to_numpy=True, normalize_embeddings=True)
                latency.append(1000 * (time.perf_counter() - started))
            out["rounds"].append({"backend": backend, "texts_per_s": round(rate, 1),
                                  "query_p50_ms": round(statistics.median(latency), 2),
                                  "loadavg": [round(x, 2) for x in load]})
    for backend in BACKENDS:
        cosine = (vectors["torch"] * vectors[backend]).sum(axis=1)
        out[f"cosine_{backend}_to_torch"] = {"min": round(float(cosine.min()), 5),
                                             "mean": round(float(cosine.mean()), 5)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.encoder_backends", description=compare_backends.__doc__)
    parser.add_argument("--home", type=Path, required=True, help="a home with a corpus build of laws")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = compare_backends(args.home, rounds=args.rounds)
    for measured in result.pop("rounds"):
        print(json.dumps(measured))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
