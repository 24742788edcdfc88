"""Train the domain gate (:func:`index.scope.default_domain_model`) and report how it holds.

    python -m eval.train_domain [--home DIR] [--report eval/report-domain.md]

The gate answers one question before any clause is judged: is this a question about public
policy, law or government services at all? Its label does not depend on the documents loaded,
so it can decline `今天兰州天气怎么样` however much 兰州 the plan mentions, without refusing a
question on a document a user adds later.

1. Questions: ``eval/questions/domain.jsonl`` (policy questions of every topic, and questions that
   are no policy question: weather, chit-chat, recipes …), plus the project's other question
   sets over the library: every in-scope question and every *near* out-of-scope one is a policy
   question; a *far* out-of-scope one (``"near": false``) is not, unless it names a policy
   document (《…条例》, another province's 方案 …). Only the leak-free **dev** split is fitted.
2. ``C`` and the n-gram weight by stratified 5-fold cross-validated log loss on dev, as
   :mod:`eval.train_scope`; the threshold ``abstain_off_domain`` is the lowest of
   :data:`THRESHOLDS` whose out-of-fold false gating is ≤ :data:`MAX_FALSE` on the dev policy
   questions **and** on the library's in-scope dev questions scored by a model fitted without
   their document's questions (a document added later).
3. Writes ``index/data/domain.json`` and ``eval/report-domain.md`` (test figures, never used).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT, Settings
from corpus.normalize import normalize_text
from eval.train_scope import LIBRARY_HOME, document_of, fit, out_of_fold
from index.scope import DOMAIN_PATH

DOMAIN_FILE = REPO_ROOT / "eval" / "questions" / "domain.jsonl"
REPORT = REPO_ROOT / "eval" / "report-domain.md"
C_GRID = (1.0, 3.0, 10.0, 30.0)
NGRAM_WEIGHTS = (0.5, 1.0, 2.0)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)
#: The gate answers before any evidence is weighed, so it may refuse almost no policy question.
MAX_FALSE = 0.005
#: A far out-of-scope question that names a policy document is still a policy question.
NAMES_A_DOCUMENT = re.compile(r"《[^》]*(法|条例|方案|规划|办法|意见|通知|决定|规定|报告)》|方案|条例|规划|工作报告|政策|办法")


def domain_questions(path: Path = DOMAIN_FILE) -> list[tuple[str, bool, str, str]]:
    """(text, off domain, split, source) of ``domain.jsonl``; a bad line is an error naming it."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            label, split = obj["label"], obj["split"]
            if label not in ("policy", "other") or split not in ("dev", "test"):
                raise ValueError(f"label {label!r} / split {split!r}")
            out.append((normalize_text(obj["question"]), label == "other", split, "domain"))
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: {exc} — each line needs question, label (policy|other), "
                             "split (dev|test)") from exc
    return out


def library_questions(items, oos_flags: dict[str, bool]) -> list[tuple[str, bool, str, str, dict]]:
    """(text, off domain, split, file, gold) of the project's question sets: in scope and near
    out of scope → policy; far → not, unless it names a policy document. Out-of-scope questions
    without a near/far flag (plan.jsonl's) are left out: they were not written for this."""
    out = []
    for item in items:
        if item.in_scope:
            out.append((item.text, False, item.split, item.file, item.gold))
        elif item.key in oos_flags:
            far = not oos_flags[item.key] and not NAMES_A_DOCUMENT.search(item.text)
            out.append((item.text, far, item.split, item.file, item.gold))
    return out


def near_flags(folder: Path) -> dict[str, bool]:
    """``file:id`` → its ``near`` flag, for the out-of-scope questions that have one."""
    flags = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line) if line.strip() else {}
            if "near" in obj:
                flags[f"{path.stem}:{obj['id']}"] = bool(obj["near"])
    return flags


def main(argv: Sequence[str] | None = None) -> int:
    from sklearn.metrics import log_loss, roc_auc_score

    from eval.rerank_questions import QUESTIONS_DIR, read_items
    from eval.train_rerank import load_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=LIBRARY_HOME, help="library home (records + index)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    index = load_index(args.home)
    library = library_questions(read_items(index, quiet=True), near_flags(QUESTIONS_DIR))
    rows = [(t, y, s, src, {}) for t, y, s, src in domain_questions()] + library
    test_texts = {r[0] for r in rows if r[2] == "test"}
    seen: set[str] = set()
    dev = []
    for r in rows:  # leak-free dev, each text once
        if r[2] == "dev" and r[0] not in test_texts and r[0] not in seen:
            seen.add(r[0])
            dev.append(r)
    test = [r for r in rows if r[2] == "test"]
    texts = sorted({r[0] for r in rows})
    encoded = index.encoder.encode_query(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
    vectors = dict(zip(texts, np.asarray(encoded, np.float64)))
    x = np.array([vectors[r[0]] for r in dev])
    y = np.array([r[1] for r in dev])
    dev_texts = [r[0] for r in dev]
    print(f"{len(dev)} dev questions ({int(y.sum())} off domain), {len(test)} test", file=sys.stderr)

    grid = []
    for c in C_GRID:
        for w in NGRAM_WEIGHTS:
            p = out_of_fold(dev_texts, x, y, c, w)
            grid.append((log_loss(y, p), roc_auc_score(y, p), c, w, p))
            print(f"  C={c:g} ngram weight={w:g}: log loss {grid[-1][0]:.4f}, AUC {grid[-1][1]:.3f}", file=sys.stderr)
    _, auc, c, w, oof = min(grid, key=lambda g: g[0])

    # a document added later: its in-scope questions scored by a gate that never saw any of them
    new_doc: dict[str, float] = {}
    by_doc: dict[str, list] = {}
    for r in library:
        if r[4]:
            by_doc.setdefault(document_of(r[4]), []).append(r[0])
    for doc, questions in sorted(by_doc.items()):
        keep = [k for k, r in enumerate(dev) if not (r[4] and document_of(r[4]) == doc)]
        without = fit([dev_texts[k] for k in keep], x[keep], y[keep], c, w)
        probabilities = without.probabilities(questions, np.array([vectors[q] for q in questions]))
        new_doc.update(zip(questions, map(float, probabilities)))
    dev_policy = ~y
    choices = []
    for t in THRESHOLDS:
        false_oof = float(np.mean(oof[dev_policy] >= t))
        false_new = float(np.mean([new_doc[r[0]] >= t for r in dev if r[4]]))
        recall = float(np.mean(oof[y] >= t))
        choices.append((t, false_oof, false_new, recall))
    allowed = [ch for ch in choices if ch[1] <= MAX_FALSE and ch[2] <= MAX_FALSE]
    threshold = min(allowed)[0] if allowed else 1.01

    model = fit(dev_texts, x, y, c, w)
    model.meta.update({"target": "off_domain", "threshold": threshold})
    model.save(DOMAIN_PATH)

    def scored(subset) -> np.ndarray:
        return model.probabilities([r[0] for r in subset], np.array([vectors[r[0]] for r in subset]))

    lines = ["# Domain gate (index/data/domain.json)", "",
             ("`python -m eval.train_domain` — is the question about public policy, law or public services at "
              "all? Logistic regression over the question's e5 vector and character 1–3-grams (index/scope.py), "
              "fitted on the leak-free dev questions of `eval/questions/domain.jsonl` and of the library's "
              "question sets (in scope and near out of scope = policy; far out of scope = not, unless it names a "
              "policy document). `qa.answer` declines a question with P(off domain) ≥ `abstain_off_domain` before "
              "any clause is judged."), "",
             (f"Dev: {len(dev)} questions, {int(y.sum())} off domain. Test: {len(test)} questions, "
             f"{sum(r[1] for r in test)} off domain."), "",
             "| C | n-gram weight | dev log loss (out of fold) | dev AUC (out of fold) |", "|---:|---:|---:|---:|"]
    lines += [f"| {g[2]:g} | {g[3]:g} | {g[0]:.4f} | {g[1]:.3f} |" for g in grid]
    lines += ["", f"Chosen: C = {c:g}, n-gram weight = {w:g} (dev AUC out of fold {auc:.3f}).", "",
              "## Threshold (dev, out of fold)", "",
              (f"The lowest threshold whose false gating is ≤ {MAX_FALSE:.1%} both on the dev policy questions and "
               "on the library's in-scope dev questions scored as on a document the gate never saw."), "",
              "| threshold | false gating (policy, out of fold) | false gating (new document) | off-domain recall |",
              "|---:|---:|---:|---:|"]
    lines += [f"| {t:g} | {fo:.3f} | {fn:.3f} | {r:.3f} |" for t, fo, fn, r in choices]
    lines += ["", f"Chosen: **abstain_off_domain = {threshold:g}**"
              + ("" if allowed else " (no threshold met the constraint: the gate is off)") + ".", "",
              "## Test (never used for a choice)", "", "| questions | n | gated | share |", "|---|---:|---:|---:|"]
    groups = [("domain.jsonl, policy", [r for r in test if r[3] == "domain" and not r[1]]),
              ("domain.jsonl, off domain", [r for r in test if r[3] == "domain" and r[1]]),
              ("library sets, in scope", [r for r in test if r[3] != "domain" and r[4]]),
              ("library sets, near out of scope (policy)", [r for r in test if r[3] != "domain" and not r[4] and not r[1]]),
              ("library sets, far out of scope", [r for r in test if r[3] != "domain" and r[1]])]
    for name, subset in groups:
        if subset:
            gated = int((scored(subset) >= threshold).sum())
            lines.append(f"| {name} | {len(subset)} | {gated} | {gated / len(subset):.3f} |")
    test_y = np.array([r[1] for r in test])
    if test_y.any() and not test_y.all():
        lines += ["", f"Test AUC {roc_auc_score(test_y, scored(test)):.3f}."]
    gated_policy = [r[0] for r in test if not r[1] and scored([r])[0] >= threshold]
    if gated_policy:
        lines += ["", "Policy test questions gated: " + "；".join(f"`{t}`" for t in gated_policy) + "."]
    lines += ["", "## A document the gate never saw", "",
              "Each library document's in-scope questions (dev and test), scored by a gate fitted without them.", "",
              "| document | questions | median P(off domain) | share gated |", "|---|---:|---:|---:|"]
    for doc, questions in sorted(by_doc.items()):
        p = np.array([new_doc[q] for q in questions])
        lines.append(f"| {doc} | {len(p)} | {np.median(p):.3f} | {np.mean(p >= threshold):.3f} |")
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    current = Settings().abstain_off_domain
    print(f"{DOMAIN_PATH}\n{args.report}\nchosen abstain_off_domain = {threshold:g} (config default {current:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
