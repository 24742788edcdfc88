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
3. Writes ``index/data/domain.json``, ``eval/domain-folds.json`` (out-of-fold probabilities, for
   ``eval.choose_abstention``) and ``eval/report-domain.md`` (test figures, never used).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from corpus.config import REPO_ROOT, Settings
from corpus.normalize import normalize_text
from eval.train_scope import (
    LIBRARY_HOME,
    choose,
    document_of,
    encode,
    fit,
    held_out_documents,
    save_folds,
)
from index.scope import DOMAIN_PATH

DOMAIN_FILE = REPO_ROOT / "eval" / "questions" / "domain.jsonl"
#: Each dev question's out-of-fold P(off domain), and each in-scope library question's from a gate
#: fitted without its document's questions (read by eval.choose_abstention).
FOLDS_PATH = REPO_ROOT / "eval" / "domain-folds.json"
REPORT = REPO_ROOT / "eval" / "report-domain.md"
C_GRID = (1.0, 3.0, 10.0, 30.0)
NGRAM_WEIGHTS = (0.5, 1.0, 2.0)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)
#: The gate answers before any evidence is weighed, so it may refuse almost no policy question.
MAX_FALSE = 0.005
#: A far out-of-scope question that names a policy document is still a policy question.
NAMES_A_DOCUMENT = re.compile(r"《[^》]*(法|条例|方案|规划|办法|意见|通知|决定|规定|报告)》|方案|条例|规划|工作报告|政策|"
                              r"(?<![好个的啥么])办法")  # 有什么哄睡的好办法 is a way, not a document


class Labelled(NamedTuple):
    """One question and its label: off domain (no policy question at all) or not."""

    text: str
    off_domain: bool
    split: str
    source: str  # "domain" or the question file's name
    gold: dict  # in scope: record id → grade (a library question's); {} otherwise


def domain_questions(path: Path = DOMAIN_FILE) -> list[Labelled]:
    """The questions of ``domain.jsonl``; a bad line is an error naming it."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            label, split = obj["label"], obj["split"]
            if label not in ("policy", "other") or split not in ("dev", "test"):
                raise ValueError(f"label {label!r} / split {split!r}")
            out.append(Labelled(normalize_text(obj["question"]), label == "other", split, "domain", {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: {exc} — each line needs question, label (policy|other), "
                             "split (dev|test)") from exc
    return out


def library_questions(items, oos_flags: dict[str, bool]) -> list[Labelled]:
    """The project's question sets, labelled: in scope and near
    out of scope → policy; far → not, unless it names a policy document. Out-of-scope questions
    without a near/far flag (plan.jsonl's) are left out: they were not written for this."""
    out = []
    for item in items:
        if item.in_scope:
            out.append(Labelled(item.text, False, item.split, item.file, item.gold))
        elif item.key in oos_flags:
            far = not oos_flags[item.key] and not NAMES_A_DOCUMENT.search(item.text)
            out.append(Labelled(item.text, far, item.split, item.file, item.gold))
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
    from sklearn.metrics import roc_auc_score

    from eval.rerank_questions import QUESTIONS_DIR, read_items
    from eval.train_rerank import load_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=LIBRARY_HOME, help="library home (records + index)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    index = load_index(args.home)
    library = library_questions(read_items(index, quiet=True), near_flags(QUESTIONS_DIR))
    rows = domain_questions() + library
    test = [r for r in rows if r.split == "test"]
    test_texts = {r.text for r in test}
    seen: set[str] = set()
    dev = []
    for r in rows:  # leak-free dev, each text once
        if r.split == "dev" and r.text not in test_texts and r.text not in seen:
            seen.add(r.text)
            dev.append(r)
    vectors = encode(index, [r.text for r in rows])
    dev_texts = [r.text for r in dev]
    x = np.array([vectors[t] for t in dev_texts])
    y = np.array([r.off_domain for r in dev])
    print(f"{len(dev)} dev questions ({int(y.sum())} off domain), {len(test)} test", file=sys.stderr)

    grid, (_, auc, c, w, oof) = choose(dev_texts, x, y, C_GRID, NGRAM_WEIGHTS)

    # a document added later: its in-scope questions scored by a gate that never saw any of them
    by_doc: dict[str, list[str]] = {}
    for r in library:
        if r.gold:
            by_doc.setdefault(document_of(r.gold), []).append(r.text)
    new_doc = held_out_documents(dev_texts, x, y, [document_of(r.gold) if r.gold else None for r in dev],
                                 by_doc, vectors, c, w)
    choices = []
    for t in THRESHOLDS:
        false_oof = float(np.mean(oof[~y] >= t))
        false_new = float(np.mean([new_doc[r.text] >= t for r in dev if r.gold]))
        recall = float(np.mean(oof[y] >= t))
        choices.append((t, false_oof, false_new, recall))
    allowed = [ch for ch in choices if ch[1] <= MAX_FALSE and ch[2] <= MAX_FALSE]
    threshold = min(allowed)[0] if allowed else 1.01

    # for eval.choose_abstention, as eval/scope-folds.json is for the scope model
    save_folds(FOLDS_PATH, dev_texts, oof, new_doc)
    model = fit(dev_texts, x, y, c, w)
    model.meta.update({"target": "off_domain", "threshold": threshold})
    model.save(DOMAIN_PATH)
    test_p = dict(zip((r.text for r in test), model.probabilities([r.text for r in test],
                                                                   np.array([vectors[r.text] for r in test]))))

    lines = ["# Domain gate (index/data/domain.json)", "",
             ("`python -m eval.train_domain` — is the question about public policy, law or public services at "
              "all? Logistic regression over the question's e5 vector and character 1–3-grams (index/scope.py), "
              "fitted on the leak-free dev questions of `eval/questions/domain.jsonl` and of the library's "
              "question sets (in scope and near out of scope = policy; far out of scope = not, unless it names a "
              "policy document). `qa.answer` declines a question with P(off domain) ≥ `abstain_off_domain` before "
              "any clause is judged."), "",
             (f"Dev: {len(dev)} questions, {int(y.sum())} off domain. Test: {len(test)} questions, "
             f"{sum(r.off_domain for r in test)} off domain."), "",
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
    mine = [r for r in test if r.source == "domain"]
    theirs = [r for r in test if r.source != "domain"]
    groups = [("domain.jsonl, policy", [r for r in mine if not r.off_domain]),
              ("domain.jsonl, off domain", [r for r in mine if r.off_domain]),
              ("library sets, in scope", [r for r in theirs if r.gold]),
              ("library sets, near out of scope (policy)", [r for r in theirs if not r.gold and not r.off_domain]),
              ("library sets, far out of scope", [r for r in theirs if r.off_domain])]
    for name, subset in groups:
        if subset:
            gated = sum(test_p[r.text] >= threshold for r in subset)
            lines.append(f"| {name} | {len(subset)} | {gated} | {gated / len(subset):.3f} |")
    test_y = np.array([r.off_domain for r in test])
    if test_y.any() and not test_y.all():
        lines += ["", f"Test AUC {roc_auc_score(test_y, [test_p[r.text] for r in test]):.3f}."]
    gated_policy = [r.text for r in test if not r.off_domain and test_p[r.text] >= threshold]
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
