"""Question loading for the reranker training (:mod:`eval.train_rerank`): the question
files read into :class:`Item` s with their gold expanded to record ids, and the leak-free
dev split."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.config import REPO_ROOT
from corpus.normalize import normalize_text
from index.rerank import INTENTS

QUESTIONS_DIR = REPO_ROOT / "eval" / "questions"
#: Library sets first: a question whose text an earlier file already has is skipped
#: (library-plan.jsonl holds plan.jsonl's in-scope questions with graded gold).
QUESTION_FILES = ("library-plan", "library-laws", "library-dept", "library-oos", "plan", "laws")


# ---------------------------------------------------------------- questions
@dataclass
class Item:
    """One question of one file, with its gold expanded to record ids."""

    key: str  # file:id
    file: str
    id: str
    text: str
    type: str
    split: str | None
    gold: dict[str, int]  # record id → grade (≥ 1 relevant); {} out of scope
    intent: str = "general"
    departments: tuple[str, ...] = ()

    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


def _intent(text: str) -> tuple[str, tuple[str, ...]]:
    """The answer layer's intent and departments (qa.intent); the reranker's intent
    features depend on them, so a failing classifier stops the training instead of
    silently reading "general"."""
    from qa.intent import classify

    parsed = classify(text)
    intent = parsed.intent if parsed.intent in INTENTS else "general"
    return intent, tuple(parsed.departments)


def _recover(path: Path, problems) -> list:
    """Questions of lines rejected only for an optional field (e.g. ``lead`` as a string):
    retrieval needs id, question, type, gold and split alone."""
    from eval.questions import parse_question

    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for p in problems:
        try:
            obj = json.loads(lines[p.line - 1])
            core = {k: obj[k] for k in ("id", "question", "type", "gold", "split") if k in obj}
            out.append(parse_question(core))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            print(f"  {path.name}:{p.line}: skipped ({p.reason}; {exc})", file=sys.stderr)
    return out


def read_items(index, files: Sequence[str] = QUESTION_FILES, folder: Path = QUESTIONS_DIR,
               quiet: bool = False) -> list[Item]:
    """Every question of the files that exist; gold expanded against ``index``'s records
    (a part, chapter or document id stands for every record in it; grade ≥ 1 relevant)."""
    from eval.gold import RecordCatalog, expand_grades
    from eval.questions import load_questions

    catalog = RecordCatalog(r.id for r in index.records)
    items = []
    seen: set[str] = set()
    for name in files:
        path = folder / f"{name}.jsonl"
        if not path.is_file():
            continue
        questions, problems = load_questions(path)
        questions += _recover(path, problems)
        for q in questions:
            try:
                gold = expand_grades(q.gold_grades, catalog, q, str(path))
            except ValueError as exc:
                if not quiet:
                    print(f"  {path.name}: {q.id} skipped ({exc})", file=sys.stderr)
                continue
            text = normalize_text(q.question)
            if text in seen:
                continue
            seen.add(text)
            intent, departments = _intent(text)
            items.append(Item(f"{name}:{q.id}", name, q.id, text, q.type, q.split,
                              {k: v for k, v in gold.items() if v >= 1}, intent, departments))
    return items


def leak_free_dev(items: list[Item]) -> list[Item]:
    """Dev questions whose text is not also a test question (files may share questions)."""
    test_texts = {i.text for i in items if i.split == "test"}
    return [i for i in items if i.split == "dev" and i.text not in test_texts]
