"""eval: question sets, retrieval and answer metrics, reports.

Public surface::

    load_questions(path, strict=False, split=None) -> (list[Question], list[Problem])
    run(questions, index, modes=("bm25", "dense", "hybrid"), k=10, answer_fn=None, …,
        strict=False) -> EvalResult     # gold expanded against index.records
    RecordCatalog(record_ids).expand(gold_id) -> (record ids inside it)
    write_report(result, folder) -> {name: path}
    tune(questions_dev, index, …) -> [rows best first]

See :mod:`eval.questions`, :mod:`eval.gold`, :mod:`eval.metrics`, :mod:`eval.answer_scoring`,
:mod:`eval.run`, :mod:`eval.result`, :mod:`eval.tuning`, :mod:`eval.report`,
:mod:`eval.progress`, and :mod:`eval.library` (``python -m eval.library``).
ranx (numba) and matplotlib are imported only when metrics or plots are computed, so
importing ``eval`` stays cheap.

``run`` here is the function; the module is ``sys.modules["eval.run"]`` (``from eval.run
import …`` works as usual).
"""

from __future__ import annotations

from eval.answer_scoring import abstention_sweep, answer_metrics
from eval.gold import RecordCatalog, UnknownGoldError
from eval.questions import Problem, Question, QuestionFileError, load_questions
from eval.report import write_report, write_run
from eval.result import EvalResult
from eval.run import qa_answer_fn, run
from eval.tuning import tune

__all__ = [
    "EvalResult", "Problem", "Question", "QuestionFileError", "RecordCatalog",
    "UnknownGoldError", "abstention_sweep",
    "answer_metrics", "load_questions", "qa_answer_fn", "run", "tune", "write_report",
    "write_run",
]
