"""qa: answers questions with verified citations, or abstains.

Public surface: :func:`answer`, :class:`Answer`, :class:`Citation`, :func:`verify`.
"""

from qa.answer import ABSTAIN_TEXT, Answer, answer
from qa.citations import Citation, verify

__all__ = ["ABSTAIN_TEXT", "Answer", "Citation", "answer", "verify"]
