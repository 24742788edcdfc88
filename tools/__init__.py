"""tools: the programs that measure policyqa from the outside — not part of the product.

* :mod:`tools.bench` — every figure of ``reports/perf.md`` from one run (``make bench``); its
  parts: :mod:`tools.bench_scale` (the whole lawrefbook), :mod:`tools.bench_ann` (exact vs
  approximate search), :mod:`tools.bench_quality` (int8 vs fp32 encoder, second-stage cost),
  :mod:`tools.bench_startup` (cold start, serving, memory), :mod:`tools.bench_report` (the
  Markdown), :mod:`tools.bench_common`;
* :mod:`tools.load` — concurrent users on the Gradio API, also during an upload
  (``reports/load.md``);
* :mod:`tools.faults` — ``kill -9`` during builds and uploads, indexes lost
  (``reports/faults.md``); :mod:`tools.kill_at` kills the CLI at one chosen step of a write;
* :mod:`tools.encoder_backends` — torch vs the ONNX encoder backends: throughput, query
  latency, cosine to torch (``reports/encoder-backends.md``);
* :mod:`tools.common` — what they share, written once: latency summaries, percentiles,
  machine information, a free loopback port, copying a built home, a progress printer.

Run them from the repository root: ``python -m tools.bench``, ``python -m tools.load``,
``python -m tools.faults --runs 20``.

The arrows point one way: tools import the product's public API (``corpus``, ``index``,
``eval``, ``app.web``; never a ``_private`` name, never ``app.cli`` — the CLI is run as the
``policyqa`` executable) and nothing in ``corpus/``, ``index/``, ``qa/``, ``app/`` or
``eval/`` may import ``tools``.
"""
