"""Train the intent classifier of :mod:`qa.intent` and export it to JSON.

    python -m qa.intent_train              # choose C by cross-validation, evaluate, write
    python -m qa.intent_train --no-write   # evaluate only, keep qa/data/intent_model.json

Training data: ``qa/data/intent_train.jsonl`` (``{"question", "intent"}`` a line, written
for this), the ``dev`` split of ``eval/questions/*.jsonl`` whose ``type`` is an intent
(``dept_tasks``, ``department``, ``target``, ``support``, ``lookup``), and
``qa/data/intent_dev_labels.jsonl``: ``dev`` questions of the other types (paraphrase,
topical, fact, traditional) labelled by reading them. The ``test`` split is never trained
on (a question also in ``test`` is dropped from training).

Printed: 5-fold cross-validated recall per intent (own data + dev), a 20 % stratified
hold-out of the own data (model trained on the rest), and the ``test`` split of the
question sets — each against the former rule cascade (:func:`legacy_classify`).

scikit-learn is needed for training only (model fitting: :mod:`qa.intent_fit`); :mod:`qa.intent`
runs on numpy.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT
from corpus.departments import load_dictionary
from corpus.normalize import normalize_text
from index.query import ARTICLE_PATH_RE, PLAN_PATH_RE, ordinal_paths
from qa import intent as qi
from qa import intent_features as qf
from qa.intent_fit import C_GRID, SEED, Example, cross_validate, predict, stratified_folds, train

DATA_PATH = Path(qi.__file__).parent / "data" / "intent_train.jsonl"
#: ``dev`` questions whose type names no intent (paraphrase, topical, fact, traditional),
#: labelled by reading them.
DEV_LABELS_PATH = Path(qi.__file__).parent / "data" / "intent_dev_labels.jsonl"
QUESTIONS_DIR = REPO_ROOT / "eval" / "questions"
#: Question-set types that name an intent; the others (paraphrase, topical, …) are skipped.
TYPE_TO_INTENT = {t: t for t in ("dept_tasks", "department", "target", "support", "lookup")}


# ------------------------------------------------------------------ data
def load_own(path: Path = DATA_PATH) -> list[Example]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        d = json.loads(line)
        if d["intent"] not in qi.INTENTS:
            raise ValueError(f"{path}:{n}: unknown intent {d['intent']!r}")
        rows.append((d["question"], d["intent"]))
    return rows


def load_questions(split: str, files: list[Path] | None = None) -> dict[str, list[Example]]:
    """Questions of ``split`` whose type maps to an intent, by file stem."""
    out: dict[str, list[Example]] = {}
    for path in files or sorted(QUESTIONS_DIR.glob("*.jsonl")):
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            if d.get("split") == split and d.get("type") in TYPE_TO_INTENT:
                rows.append((d["question"], TYPE_TO_INTENT[d["type"]]))
        if rows:
            out[path.stem] = rows
    return out


def load_unmapped(split: str) -> dict[str, list[tuple[str, str]]]:
    """(question, type) of ``split`` whose type names no intent (paraphrase, topical, …)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(QUESTIONS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line) if line.strip() else {}
            if d.get("split") == split and d.get("type") not in TYPE_TO_INTENT:
                out.setdefault(d["type"], []).append((path.stem, d["question"]))
    return out


def dedupe(rows: list[Example], exclude: set[str] = frozenset()) -> list[Example]:
    seen = set(exclude)
    out = []
    for q, label in rows:
        key = normalize_text(q)
        if key not in seen:
            seen.add(key)
            out.append((q, label))
    return out


# ------------------------------------------------------------------ the former cascade
def legacy_classify(question: str) -> str:
    """The rule cascade ``qa.intent`` had before the classifier (for comparison)."""
    compact = question.replace("（", "(").replace("）", ")").replace(" ", "")
    refs = [m.group(0) for m in PLAN_PATH_RE.finditer(compact)]
    refs += ordinal_paths(compact)
    refs += [m.group(0) for m in ARTICLE_PATH_RE.finditer(compact)]
    departments = load_dictionary().find_in(question)
    if refs:
        return "lookup"
    if departments and qf.DEPT_TASKS_RE.search(question) and not qf.DEPARTMENT_RE.search(question):
        return "dept_tasks"
    if qf.DEPARTMENT_RE.search(question):
        return "department"
    if qf.TARGET_RE.search(question):
        return "target"
    if qf.SUPPORT_RE.search(question):
        return "support"
    return "general"


# ------------------------------------------------------------------ reporting
def per_intent(gold: list[str], pred: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for label in qi.INTENTS:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        n_gold = sum(g == label for g in gold)
        n_pred = sum(p == label for p in pred)
        if n_gold or n_pred:
            out[label] = {"n": n_gold, "precision": tp / n_pred if n_pred else float("nan"),
                          "recall": tp / n_gold if n_gold else float("nan")}
    return out


def accuracy(gold: list[str], pred: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred)) / max(len(gold), 1)


def print_comparison(title: str, gold: list[str], new: list[str], old: list[str]) -> None:
    print(f"\n{title}: {len(gold)} questions — accuracy classifier {accuracy(gold, new):.3f}, "
          f"rule cascade {accuracy(gold, old):.3f}")
    print(f"  {'intent':<11}{'n':>4}   {'P new':>6} {'R new':>6}   {'P old':>6} {'R old':>6}")
    a, b = per_intent(gold, new), per_intent(gold, old)
    for label in qi.INTENTS:
        if label not in a and label not in b:
            continue
        n = (a.get(label) or b.get(label))["n"]
        fa = a.get(label, {"precision": float("nan"), "recall": float("nan")})
        fb = b.get(label, {"precision": float("nan"), "recall": float("nan")})
        print(f"  {label:<11}{n:>4}   {fa['precision']:>6.3f} {fa['recall']:>6.3f}   "
              f"{fb['precision']:>6.3f} {fb['recall']:>6.3f}")


def _counts(c: Counter) -> str:
    return " ".join(f"{k}:{c[k]}" for k in qi.INTENTS if c[k])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m qa.intent_train", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_PATH)
    parser.add_argument("--out", type=Path, default=qi.MODEL_PATH)
    parser.add_argument("--c", type=float, help="inverse regularization (default: by CV)")
    parser.add_argument("--no-write", action="store_true", help="evaluate, do not write the model")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--skip-dev", action="append", default=[], metavar="STEM",
                        help="do not train on the dev split of eval/questions/STEM.jsonl")
    args = parser.parse_args(argv)

    own = dedupe(load_own(args.data))
    test_sets = load_questions("test")
    test_keys = {normalize_text(q) for rows in test_sets.values() for q, _ in rows}
    dev_sets = {k: v for k, v in load_questions("dev").items() if k not in args.skip_dev}
    if DEV_LABELS_PATH.exists() and "labels" not in args.skip_dev:
        dev_sets["labels"] = load_own(DEV_LABELS_PATH)
    dev = dedupe([r for rows in dev_sets.values() for r in rows],
                 exclude={normalize_text(q) for q, _ in own} | test_keys)
    own = dedupe(own, exclude=test_keys)
    rows = own + dev
    print(f"training data: {len(own)} own + {len(dev)} dev ({', '.join(sorted(dev_sets))}) = "
          f"{len(rows)} questions; "
          f"{dict(sorted(Counter(label for _, label in rows).items()))}")

    # C by 5-fold CV
    scores = {}
    for c in ([args.c] if args.c else C_GRID):
        order, pred = cross_validate(rows, c)
        gold = [rows[i][1] for i in order]
        scores[c] = (accuracy(gold, pred), order, pred)
        print(f"  C={c:<5} 5-fold CV accuracy {scores[c][0]:.3f}")
    # one-standard-error rule: the strongest regularization within one SE of the best
    best = max(v[0] for v in scores.values())
    se = float(np.sqrt(best * (1 - best) / len(rows)))
    c = min(k for k, v in scores.items() if v[0] >= best - se)
    _, order, pred = scores[c]
    gold = [rows[i][1] for i in order]
    print(f"\n5-fold cross-validation (C={c}: smallest C within one SE, {se:.3f}, of the best)")
    for label, m in per_intent(gold, pred).items():
        print(f"  {label:<11} n={m['n']:<4} recall {m['recall']:.3f}  precision {m['precision']:.3f}")
    print_comparison("5-fold CV vs rule cascade", gold, pred,
                     [legacy_classify(normalize_text(rows[i][0])) for i in order])
    if args.show_errors:
        for i, p in zip(order, pred):
            if rows[i][1] != p:
                print(f"    {rows[i][1]:>10} → {p:<10} {rows[i][0]}")

    # 20 % hold-out of the own data
    folds = stratified_folds(own, 5, seed=SEED + 1)
    held = set(folds[0])
    model = qi.Model.from_json(train([r for i, r in enumerate(own) if i not in held] + dev, c))
    hq = [own[i][0] for i in sorted(held)]
    hg = [own[i][1] for i in sorted(held)]
    hp = predict(model, hq)
    print_comparison("hold-out 20% of own data", hg, hp, [legacy_classify(normalize_text(q)) for q in hq])
    if args.show_errors:
        for q, g, p in zip(hq, hg, hp):
            if g != p:
                print(f"    {g:>10} → {p:<10} {q}")

    # the final model: all own data + dev; evaluated on the test splits
    data = train(rows, c)
    data["cv_accuracy"] = round(scores[c][0], 4)
    final = qi.Model.from_json(data)
    for name, test in sorted(test_sets.items()):
        qs = [q for q, _ in test]
        tg = [g for _, g in test]
        tp = predict(final, qs)
        print_comparison(f"test split of {name}.jsonl", tg, tp,
                         [legacy_classify(normalize_text(q)) for q in qs])
        if args.show_errors:
            for q, g, p in zip(qs, tg, tp):
                if g != p:
                    print(f"    {g:>10} → {p:<10} {q}")

    print("\ntest questions whose type names no intent: predicted intents, classifier | cascade")
    for kind, items in sorted(load_unmapped("test").items()):
        qs = list(dict.fromkeys(q for _, q in items))
        new = Counter(predict(final, qs))
        old = Counter(legacy_classify(normalize_text(q)) for q in qs)
        print(f"  {kind:<13} n={len(qs):<4} {_counts(new):<58} | {_counts(old)}")

    t0 = time.perf_counter()
    for q, _ in rows:
        qi._proba(q, final)
    per = (time.perf_counter() - t0) / len(rows) * 1000
    print(f"\ninference: {per:.3f} ms per question (normalize, slots, features, scores)")
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                            encoding="utf-8")
        qi.load_model.cache_clear()
        print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB, "
              f"{len(data['features'])} features × {len(data['labels'])} labels)")


if __name__ == "__main__":
    main()
