"""Support measures against hand-labelled gold: extraction and enterprise matching.

``python -m eval.measures [--home DIR] [--build] [--report eval/report-measures] [--show-test-errors]``

Gold (``eval/measures/``, see its README.md): the labelled sentence units and the enterprise
profiles, loaded and checked by :mod:`eval.measures_gold`.

Metrics, for the ``dev`` split (what the lexicon was tuned on), the held-out ``test`` split
and ``all``:

* sentence precision / recall / F1 — predicted measures vs gold support sentences, over the
  sentence units of the labelled records;
* kind accuracy — over sentences both call a measure;
* beneficiary F1 — micro over those sentences, items ``(sectors|entities|people, term)``;
* matching — per profile, precision and recall of the returned measures against ``expected``,
  averaged over profiles; end to end (on extracted measures) and on gold measures (the gold
  kind and beneficiaries: the matching logic alone). Precision of an empty answer is 1.

Records come from ``--home`` (default ``.policyqa/measures``); ``--build`` first builds its
corpus (plan + ``eval/library/documents.txt`` + ``eval/measures/documents.txt``, no index). Error lists in the
report cover the dev split only, so the held-out part is never tuned on
(``--show-test-errors`` lists them too).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from corpus.config import REPO_ROOT
from corpus.measures import BENEFICIARY_KINDS, Measure, extract_measures, lexicon
from corpus.records import Record
from eval.measures_gold import (
    GOLD_FILE,
    PROFILES_FILE,
    GoldError,
    GoldProfile,
    GoldSentence,
    check_gold,
    gold_measures,
    load_gold,
    load_library_records,
    load_profiles,
)
from eval.measures_report import SPLITS, TARGETS, _fmt, headline, write_report

REPORT_DIR = REPO_ROOT / "eval" / "report-measures"
#: Its own home: the gold's further documents would change the library benchmark's.
DEFAULT_HOME = REPO_ROOT / ".policyqa" / "measures"
PLAN = "gansu-2022-46"


# ---------------------------------------------------------------- metrics
def _ratio(num: float, den: float, empty: float | None = None) -> float | None:
    return num / den if den else empty


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def extraction_metrics(gold: Sequence[GoldSentence], predicted: dict[str, Measure]) -> dict:
    """Metrics of ``predicted`` (key → measure, over the labelled records) against ``gold``."""
    positives = {g.key: g for g in gold if g.kind}
    universe = {g.key for g in gold}
    pred = {k: m for k, m in predicted.items() if k in universe}
    tp = [k for k in pred if k in positives]
    fp = sorted(k for k in pred if k not in positives)
    fn = sorted(k for k in positives if k not in pred)
    precision, recall = _ratio(len(tp), len(pred)), _ratio(len(tp), len(positives))
    kind_ok = [k for k in tp if pred[k].kind == positives[k].kind]
    b_tp = b_pred = b_gold = 0
    per_kind: dict[str, dict] = {}
    ben_errors = []
    for k in tp:
        g_items = positives[k].items()
        p_items = {(b, t) for b in BENEFICIARY_KINDS for t in pred[k].beneficiaries.get(b, [])}
        b_tp += len(g_items & p_items)
        b_pred += len(p_items)
        b_gold += len(g_items)
        if g_items != p_items:
            ben_errors.append({"key": k, "missing": sorted(g_items - p_items), "extra": sorted(p_items - g_items)})
    for b in BENEFICIARY_KINDS:
        t = sum(len({x for x in positives[k].items() if x[0] == b} & {(b, v) for v in pred[k].beneficiaries.get(b, [])})
                for k in tp)
        pp = sum(len(pred[k].beneficiaries.get(b, [])) for k in tp)
        gg = sum(len(getattr(positives[k], b)) for k in tp)
        bp, br = _ratio(t, pp, 1.0), _ratio(t, gg, 1.0)
        per_kind[b] = {"precision": bp, "recall": br, "f1": _f1(bp, br)}
    bp, br = _ratio(b_tp, b_pred, 1.0), _ratio(b_tp, b_gold, 1.0)
    confusion = Counter((positives[k].kind, pred[k].kind) for k in tp if pred[k].kind != positives[k].kind)
    return {
        "sentences": len(universe), "gold_measures": len(positives), "predicted": len(pred), "true_positives": len(tp),
        "sentence_precision": precision, "sentence_recall": recall, "sentence_f1": _f1(precision, recall),
        "kind_accuracy": _ratio(len(kind_ok), len(tp)),
        "beneficiary_precision": bp, "beneficiary_recall": br, "beneficiary_f1": _f1(bp, br),
        "beneficiaries_by_kind": per_kind,
        "errors": {
            "false_positives": [{"key": k, "kind": pred[k].kind, "quote": pred[k].quote} for k in fp],
            "false_negatives": [{"key": k, "kind": positives[k].kind, "quote": positives[k].quote} for k in fn],
            "wrong_kind": [{"key": k, "gold": positives[k].kind, "predicted": pred[k].kind,
                            "quote": positives[k].quote} for k in tp if pred[k].kind != positives[k].kind],
            "beneficiaries": ben_errors,
        },
        "kind_confusion": [{"gold": g, "predicted": p, "count": n} for (g, p), n in confusion.most_common()],
    }


def matching_metrics(profiles: Sequence[GoldProfile], measures: Sequence[Measure]) -> dict:
    """Per-profile precision and recall of :func:`qa.match.match` on ``measures``, and means."""
    from qa.match import match

    rows = []
    for p in profiles:
        got = [m.measure.id for m in match(measures, p.profile)]
        expected = set(p.expected)
        hit = len(set(got) & expected)
        precision = _ratio(hit, len(got), 1.0)
        recall = _ratio(hit, len(expected), 1.0)
        rows.append({"id": p.id, "profile": p.profile, "expected": len(expected), "returned": len(got),
                     "precision": precision, "recall": recall,
                     "missing": sorted(expected - set(got)), "extra": [k for k in got if k not in expected]})
    n = len(rows)
    return {
        "profiles": n,
        "match_precision": _ratio(sum(r["precision"] for r in rows), n),
        "match_recall": _ratio(sum(r["recall"] for r in rows), n),
        "per_profile": rows,
    }


@dataclass
class Result:
    by_split: dict
    counts: dict
    lexicon_kinds: list

    def to_dict(self) -> dict:
        return {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "targets": TARGETS,
                "counts": self.counts, "kinds": self.lexicon_kinds, "splits": self.by_split}


def evaluate(records: Iterable[Record], gold: Sequence[GoldSentence] | None = None,
             profiles: Sequence[GoldProfile] | None = None) -> Result:
    """Extraction and matching metrics for each split (``dev``, ``test``, ``all``)."""
    gold = list(load_gold() if gold is None else gold)
    profiles = list(load_profiles() if profiles is None else profiles)
    by_id = {r.id: r for r in records}
    check_gold(gold, by_id)
    labelled = sorted({g.record_id for g in gold})
    predicted = {m.id: m for rid in labelled for m in extract_measures(by_id[rid])}
    plan_measures = [m for r in by_id.values() if r.doc_id == PLAN for m in extract_measures(r)]
    plan_gold = gold_measures([g for g in gold if g.record_id.startswith(PLAN + "#")], by_id)
    out = {}
    for split in SPLITS:
        g_split = [g for g in gold if split == "all" or g.split == split]
        p_split = [p for p in profiles if split == "all" or p.split == split]
        ext = extraction_metrics(g_split, predicted)
        end_to_end = matching_metrics(p_split, plan_measures)
        oracle = matching_metrics(p_split, plan_gold)
        out[split] = {"extraction": ext, "matching": end_to_end, "matching_on_gold": oracle}
    lex = lexicon()
    counts = {
        "gold_sentences": len(gold), "gold_measures": sum(1 for g in gold if g.kind),
        "labelled_records": len(labelled),
        "law_support_articles": len({g.record_id for g in gold if g.kind and not g.record_id.startswith(PLAN + "#")}),
        "plan_measures_gold": sum(1 for g in gold if g.kind and g.record_id.startswith(PLAN + "#")),
        "profiles": len(profiles),
        "by_split": {s: {"sentences": sum(1 for g in gold if g.split == s),
                         "measures": sum(1 for g in gold if g.split == s and g.kind),
                         "profiles": sum(1 for p in profiles if p.split == s)} for s in ("dev", "test")},
        "gold_kinds": dict(Counter(g.kind for g in gold if g.kind).most_common()),
    }
    return Result(out, counts, [{"kind": k, "label": lex.labels[k]} for k in lex.kinds])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.measures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="policyqa home with the gold's documents (built by --build)")
    parser.add_argument("--build", action="store_true", help="build the library corpus in --home first")
    parser.add_argument("--report", type=Path, default=None, help="write report.md and results.json here")
    parser.add_argument("--gold", type=Path, default=GOLD_FILE)
    parser.add_argument("--profiles", type=Path, default=PROFILES_FILE)
    parser.add_argument("--show-test-errors", action="store_true", help="also list errors of the held-out split")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not args.build and not (args.home / "corpus").exists():
        print(f"eval.measures: no corpus in {args.home} — run `python -m eval.measures --build` once (it builds "
              "the plan, the twelve library laws and the gold's further laws there)", file=sys.stderr)
        return 2
    try:
        records = load_library_records(args.home, args.build)
        result = evaluate(records, load_gold(args.gold), load_profiles(args.profiles))
    except (GoldError, ValueError, OSError) as exc:
        print(f"eval.measures: {exc}", file=sys.stderr)
        return 2
    if args.report:
        path = write_report(result, args.report, args.show_test_errors)
        print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        for s in SPLITS:
            h = headline(result, s)
            print(f"{s:>4}: " + "  ".join(f"{k}={_fmt(v)}" for k, v in h.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
