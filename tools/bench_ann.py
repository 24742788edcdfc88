"""Exact vs approximate dense search on real clause vectors (``reports/perf.md``, "Exact vs
approximate dense search").

* exact ``IndexFlatIP`` single-query p50 on the first 10k … all vectors;
* ``IndexHNSWFlat`` over an (M, efConstruction) × efSearch grid at full size, and with the
  index's own constants at every size;
* ``IndexIVFFlat`` over an nprobe sweep at full size (the alternative if HNSW misses);
* the switch point: the largest size at which exact search still meets the ANN latency goal.

Recall@10 is the overlap of the approximate top 10 with the exact top 10, over real questions.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

import numpy as np

from tools.common import latency_summary, loadavg, percentile

#: The ANN goals of issue #12 at full size.
GOAL_RECALL = 0.97
GOAL_P50_MS = 2.0
#: (M, efConstruction) pairs and efSearch values tried at full size.
HNSW_GRID = ((32, 80), (32, 200), (48, 200))
EF_SEARCH = (64, 128, 256, 512)
IVF_NLIST = 1024
IVF_NPROBE = (16, 32, 64, 128)
#: Sizes (vectors) at which exact search is timed; "all" is added.
EXACT_SIZES = (10_000, 20_000, 50_000, 100_000)
#: The switch point is rounded down to a multiple of this.
THRESHOLD_STEP = 5_000


def recall_at_k(exact: np.ndarray, approx: np.ndarray) -> float:
    """Mean overlap of each row of ``approx`` with the same row of ``exact`` (ids; -1 = none)."""
    if len(exact) == 0:
        return 0.0
    hits = sum(len(set(e.tolist()) & set(a.tolist()) - {-1}) for e, a in zip(exact, approx))
    return hits / exact.size


def choose_threshold(exact_p50_ms: dict[int, float], budget_ms: float, step: int = THRESHOLD_STEP) -> int:
    """Largest vector count at which exact search still takes ≤ ``budget_ms`` (p50), from a
    least-squares line p50 = a + b·n through the measured sizes, rounded down to ``step``
    (at least ``step``). Exact search cost is a scan: linear in n, so the line is the model."""
    sizes = np.array(sorted(exact_p50_ms), dtype=np.float64)
    times = np.array([exact_p50_ms[int(n)] for n in sizes], dtype=np.float64)
    if len(sizes) == 1:
        slope, intercept = times[0] / sizes[0], 0.0
    else:
        slope, intercept = np.polyfit(sizes, times, 1)
    if slope <= 0:
        return int(sizes[-1])  # no growth measured: exact is fine at every measured size
    n = (budget_ms - intercept) / slope
    return max(step, int(n // step) * step)


def timed_search(index, queries: np.ndarray, k: int = 10, threads: int | None = None
                 ) -> tuple[np.ndarray, list[float]]:
    """Ids of the top ``k`` for each query, one query per call (as the product searches, with its
    FAISS search threads), and the wall time of each call."""
    import faiss

    from index.dense import SEARCH_THREADS

    faiss.omp_set_num_threads(threads or SEARCH_THREADS)
    ids, times = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, rows = index.search(q[None, :], k)
        times.append(time.perf_counter() - t0)
        ids.append(rows[0])
    return np.array(ids), times


def bench_exact(vectors: np.ndarray, queries: np.ndarray, sizes: Sequence[int], threads: int | None = None) -> dict:
    """Exact single-query p50 by size, with the index's search threads (or ``threads``)."""
    import faiss

    out = {}
    for n in sizes:
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors[:n])
        _, times = timed_search(flat, queries, threads=threads)
        out[int(n)] = latency_summary(times)
    return out


def build_hnsw(vectors: np.ndarray, m: int, ef_construction: int):
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # as VectorIndex.build
    t0 = time.perf_counter()
    index.add(vectors)
    return index, time.perf_counter() - t0


def sweep_hnsw(vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray) -> list[dict]:
    from tqdm import tqdm

    rows = []
    for m, efc in tqdm(HNSW_GRID, desc=f"hnsw grid {len(vectors)}", file=sys.stderr):
        index, build_s = build_hnsw(vectors, m, efc)
        for ef in EF_SEARCH:
            index.hnsw.efSearch = ef
            approx, times = timed_search(index, queries)
            rows.append({"M": m, "efConstruction": efc, "efSearch": ef, "build_s": round(build_s, 1),
                         "recall_at_10": round(recall_at_k(exact, approx), 4),
                         "p50_ms": round(percentile(times, 50) * 1000, 3),
                         "p95_ms": round(percentile(times, 95) * 1000, 3)})
        del index
    return rows


def sweep_ivf(vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray) -> list[dict]:
    import faiss

    quantizer = faiss.IndexFlatIP(vectors.shape[1])
    index = faiss.IndexIVFFlat(quantizer, vectors.shape[1], IVF_NLIST, faiss.METRIC_INNER_PRODUCT)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    t0 = time.perf_counter()
    index.train(vectors)
    index.add(vectors)
    build_s = time.perf_counter() - t0
    rows = []
    for nprobe in IVF_NPROBE:
        index.nprobe = nprobe
        approx, times = timed_search(index, queries)
        rows.append({"nlist": IVF_NLIST, "nprobe": nprobe, "build_s": round(build_s, 1),
                     "recall_at_10": round(recall_at_k(exact, approx), 4),
                     "p50_ms": round(percentile(times, 50) * 1000, 3),
                     "p95_ms": round(percentile(times, 95) * 1000, 3)})
    return rows


def product_hnsw_by_size(vectors: np.ndarray, queries: np.ndarray, sizes: Sequence[int]) -> list[dict]:
    """The index's own HNSW constants (index/dense.py) at each size, against exact."""
    import faiss

    from index.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

    rows = []
    for n in sizes:
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors[:n])
        _, exact = flat.search(queries, 10)
        index, build_s = build_hnsw(vectors[:n], HNSW_M, HNSW_EF_CONSTRUCTION)
        index.hnsw.efSearch = HNSW_EF_SEARCH
        approx, times = timed_search(index, queries)
        rows.append({"vectors": int(n), "build_s": round(build_s, 1),
                     "recall_at_10": round(recall_at_k(exact, approx), 4), **latency_summary(times)})
    return rows


def product_row_from_grid(grid: list[dict], n: int) -> dict | None:
    """The index's own settings at full size, when the grid already measured them (one HNSW
    build of 151k vectors saved)."""
    from index.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

    for row in grid:
        if (row["M"], row["efConstruction"], row["efSearch"]) == (HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH):
            return {"vectors": n, "build_s": row["build_s"], "recall_at_10": row["recall_at_10"],
                    "p50_ms": row["p50_ms"], "p95_ms": row["p95_ms"], "from": "the grid row"}
    return None


def best_meeting_goals(rows: list[dict]) -> dict | None:
    """The fastest row with recall ≥ the goal and p50 ≤ the goal, else None."""
    ok = [r for r in rows if r["recall_at_10"] >= GOAL_RECALL and r["p50_ms"] <= GOAL_P50_MS]
    return min(ok, key=lambda r: r["p50_ms"]) if ok else None


def bench_ann(vectors: np.ndarray, queries: np.ndarray, current_threshold: int) -> dict:
    """Every figure of the "exact vs approximate" section, on ``vectors`` (real, normalized)."""
    import faiss

    from index.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, SEARCH_THREADS

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    n = len(vectors)
    sizes = sorted({s for s in EXACT_SIZES if s < n} | {n})
    exact = bench_exact(vectors, queries, sizes)
    # what the same scans cost with OpenMP's default (every core) — why the index searches with one
    all_cores = bench_exact(vectors, queries, sorted({min(10_000, n), n}), threads=os.cpu_count() or 1)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, exact_ids = flat.search(queries, 10)
    hnsw = sweep_hnsw(vectors, queries, exact_ids)
    ivf = sweep_ivf(vectors, queries, exact_ids)
    by_size = product_hnsw_by_size(vectors, queries, [s for s in sizes if s in (10_000, 100_000)])
    by_size.append(product_row_from_grid(hnsw, n) or product_hnsw_by_size(vectors, queries, [n])[0])
    threshold = choose_threshold({s: v["p50_ms"] for s, v in exact.items()}, GOAL_P50_MS)
    # the fit carries the load's noise: a setting within one rounding step of it agrees
    agrees = abs(threshold - current_threshold) <= THRESHOLD_STEP
    return {
        "vectors": n, "queries": len(queries), "exact": exact, "hnsw_grid": hnsw, "ivf": ivf,
        "exact_all_cores": all_cores, "cores": os.cpu_count(), "search_threads": SEARCH_THREADS,
        "product": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH,
                    "by_size": by_size},
        "best_hnsw": best_meeting_goals(hnsw), "best_ivf": best_meeting_goals(ivf),
        "goal_recall": GOAL_RECALL, "goal_p50_ms": GOAL_P50_MS,
        "threshold_measured": threshold, "threshold_setting": current_threshold, "threshold_step": THRESHOLD_STEP,
        "threshold_agrees": agrees,
        "loadavg": loadavg(),
    }  # fmt: skip
