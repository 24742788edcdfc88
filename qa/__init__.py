"""qa: answers questions with verified citations, or abstains.

Public surface: :func:`answer`, :func:`make_query`, :func:`department_tasks`,
:class:`Answer`, :class:`TargetAnswer`, :class:`Citation`, :func:`verify`.
"""

from qa.answer import answer, make_query
from qa.citations import Citation, verify
from qa.compose import department_tasks
from qa.shapes import ABSTAIN_TEXT, OFF_DOMAIN_TEXT, Answer, TargetAnswer

__all__ = ["ABSTAIN_TEXT", "OFF_DOMAIN_TEXT", "Answer", "Citation", "TargetAnswer", "answer", "department_tasks",
           "make_query", "verify"]
