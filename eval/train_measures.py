"""Train the learned half of support-measure extraction (:mod:`corpus.measures_model`) on the
gold's dev split and say how it carries to documents it has not seen.

    python -m eval.train_measures [--out corpus/data/measures_model.json] [--report eval/report-measures/model.md]

1. ``support``: character 1–2-grams (TF-IDF, sublinear tf, n-grams in ≥ 2 units), logistic
   regression with balanced classes, on every dev sentence unit of
   ``eval/measures/gold_sentences.jsonl``; ``kind``: the same features fitted on the dev
   support units, multinomial over the gold kinds.
2. Leave-one-round-out: each blind labelling round (``eval/measures/documents.txt``; the plan
   and the twelve library laws are one more group) is left out in turn, the support model is
   fitted on the other dev rounds and scored on it — an estimate of how it holds on a document
   of a field it has not seen. The test split is never fitted nor scored here.
3. The threshold and floor of :class:`corpus.measures_model.MeasuresModel` are flags: they were
   chosen once on round eleven while it was held out (see ``eval/measures/README.md``).
4. The pure-Python scorer must reproduce scikit-learn's probabilities on every dev unit (else
   nothing is written); the JSON is written atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.config import REPO_ROOT
from corpus.measures_model import FORMAT, MODEL_PATH, load_model
from eval.measures_gold import EXTRA_DOCUMENTS, GOLD_FILE, GoldSentence, load_gold

REPORT = REPO_ROOT / "eval" / "report-measures" / "model.md"
LENGTHS = (1, 2)
MIN_DF = 2
C_SUPPORT = 10.0
C_KIND = 10.0
LIBRARY_GROUP = "library"  # the plan and the twelve laws the lexicon was first written on
_ROUND_RE = re.compile(r"^#\s*Round\s+(\S+?)[\s(]")


def doc_rounds(path: Path = EXTRA_DOCUMENTS) -> dict[str, str]:
    """``{doc_id: round}`` from the comments of ``documents.txt`` (the block before the first
    ``# Round`` comment is round six); a document id is its file name with ``(date)`` → ``-date``."""
    rounds, current = {}, "six"
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if m := _ROUND_RE.match(line):
            current = m.group(1)
        elif line.strip() and not line.startswith("#"):
            stem = Path(line.strip()).stem
            rounds[stem.replace("(", "-").replace(")", "")] = current
    return rounds


def _vectorizer(min_df: int = MIN_DF):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(min(LENGTHS), max(LENGTHS)), min_df=min_df,
                           sublinear_tf=True, lowercase=False)


def fit_support(texts: Sequence[str], labels: Sequence[bool], c: float = C_SUPPORT):
    from sklearn.linear_model import LogisticRegression

    vec = _vectorizer()
    X = vec.fit_transform(texts)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(X, np.asarray(labels, bool))
    return vec, clf


def fit_kind(texts: Sequence[str], kinds: Sequence[str], c: float = C_KIND):
    from sklearn.linear_model import LogisticRegression

    vec = _vectorizer()
    X = vec.fit_transform(texts)
    return vec, LogisticRegression(C=c, max_iter=5000).fit(X, list(kinds))


def _as_dict(vec, clf, binary: bool) -> dict:
    names = vec.get_feature_names_out()
    coef = clf.coef_
    rows = {}
    for j, gram in enumerate(names):
        col = coef[:, j]
        if np.any(np.abs(col) > 1e-6):
            rows[str(gram)] = round(float(col[0]), 6) if binary else [round(float(x), 6) for x in col]
    return {
        "lengths": list(LENGTHS),
        "idf": {str(g): round(float(v), 6) for g, v in zip(names, vec.idf_)},
        "classes": [str(c) for c in clf.classes_[1:]] if binary else [str(c) for c in clf.classes_],
        "coef": rows,
        "intercept": round(float(clf.intercept_[0]), 6) if binary else [round(float(x), 6) for x in clf.intercept_],
    }


def _prf(pred: Sequence[bool], gold: Sequence[bool]) -> dict:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(gold), "support": sum(gold), "precision": precision, "recall": recall, "f1": f1}


def leave_one_round_out(units: list[GoldSentence], threshold: float) -> list[tuple[str, dict]]:
    rounds = doc_rounds()
    group = [rounds.get(u.record_id.split("#")[0], LIBRARY_GROUP) for u in units]
    out = []
    for held in dict.fromkeys(group):
        train = [u for u, g in zip(units, group) if g != held]
        test = [u for u, g in zip(units, group) if g == held]
        vec, clf = fit_support([u.quote for u in train], [u.kind is not None for u in train])
        p = clf.predict_proba(vec.transform([u.quote for u in test]))[:, 1]
        out.append((held, _prf(list(p >= threshold), [u.kind is not None for u in test])))
    return out


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_measures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD_FILE)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--threshold", type=float, default=0.5, help="support probability that makes a measure alone")
    parser.add_argument("--floor", type=float, default=0.2, help="support probability enough when the lexicon agrees")
    args = parser.parse_args(argv)

    dev = [u for u in load_gold(args.gold) if u.split == "dev"]
    texts = [u.quote for u in dev]
    svec, sclf = fit_support(texts, [u.kind is not None for u in dev])
    positives = [u for u in dev if u.kind is not None]
    kvec, kclf = fit_kind([u.quote for u in positives], [u.kind for u in positives])
    data = {
        "format": FORMAT,
        "comment": "Written by `python -m eval.train_measures` from the dev split of "
                   "eval/measures/gold_sentences.jsonl; read by corpus/measures_model.py. Do not edit by hand.",
        "trained_on": {"units": len(dev), "support_units": len(positives)},
        "threshold": args.threshold,
        "floor": args.floor,
        "support": _as_dict(svec, sclf, binary=True),
        "kind": _as_dict(kvec, kclf, binary=False),
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    tmp = args.out.with_name(f".{args.out.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    # the plain-Python scorer must agree with scikit-learn before the file replaces the shipped one
    model = load_model(tmp)
    gap = float(np.max(np.abs(np.array([model.support_probability(t) for t in texts])
                              - sclf.predict_proba(svec.transform(texts))[:, 1])))
    kinds_agree = ([model.kind_of(u.quote) for u in positives]
                   == list(kclf.predict(kvec.transform([u.quote for u in positives]))))
    if gap > 1e-3 or not kinds_agree:
        tmp.unlink()
        print(f"train_measures: the JSON scorer disagrees with scikit-learn (max gap {gap:.2e}); nothing written",
              file=sys.stderr)
        return 1
    os.replace(tmp, args.out)

    lines = ["# Support-measure model: how the learned decision carries to unseen documents", "",
             (f"Trained on {len(dev)} dev sentence units ({len(positives)} support); threshold "
             f"{args.threshold}, floor {args.floor}; JSON scorer within {gap:.1e} of scikit-learn."), "",
             ("Leave-one-round-out, support model alone (no lexicon, no vetoes), fitted on the other "
             "dev rounds:"), "", "| left out | units | support | precision | recall | F1 |", "|---|---|---|---|---|---|"]
    for held, m in leave_one_round_out(dev, args.threshold):
        lines.append(f"| {held} | {m['n']} | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(args.report, "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out} ({len(text) // 1024} KB) and {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
