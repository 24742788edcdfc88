"""The shapes of an answer (:class:`Answer`, :class:`TargetAnswer`) and its abstention texts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from corpus.records import Departments, Record, Target
from index.hybrid import Hit
from qa.citations import Citation
from qa.intent import Intent

ABSTAIN_TEXT = "未在已收录的政策文件中找到相关规定。"
#: The abstention when the documents name the topic but not what was asked (an amount, a date …).
UNSTATED_TEXT = "已收录的政策文件未写明所问的{}。"
NAMED_DOCUMENT_TEXT = "问题指明了《{}》，只在其中查找。"
#: The abstention when no support measure (nor support sentence) states what a support question asks about.
NO_MEASURE_TEXT = "已收录的政策文件中没有找到与所问相应的支持措施。"
#: The abstention when the question names a document the library does not hold.
NOT_HELD_TEXT = "已收录的政策文件中没有《{}》。"
#: The abstention when every document held is a province's own and the question asks about another.
OTHER_REGION_TEXT = "已收录的政策文件只适用于{}，没有关于{}的规定。"
#: The abstention when the question asks another region's own policy and no record mentions that region.
REGION_NOT_HELD_TEXT = "已收录的政策文件中没有{}的地方规定。"
#: The abstention when the domain gate says the question is not about policy at all.
#: A question about a matter no document of the library writes about: the word (房贷, 驾照), its field.
MATTER_NOT_HELD_TEXT = "已收录的政策文件没有写到“{}”：这是{}方面的问题。"
OFF_DOMAIN_TEXT = "这不像是关于政策文件的问题：本助手只回答已收录的政策、法规中写明的内容（支持措施、牵头部门、目标指标等）。"


@dataclass(frozen=True)
class TargetAnswer:
    """A quantified target stated in an answer, and the record it comes from."""

    indicator: str
    value: float
    unit: str
    comparator: str
    deadline: int | None
    phrase: str
    record_id: str

    @classmethod
    def of(cls, target: Target, record: Record) -> TargetAnswer:
        return cls(target.indicator, target.value, target.unit, target.comparator, target.deadline,
                   target.phrase, record.id)


@dataclass(frozen=True)
class Answer:
    question: str
    intent: Intent
    answer: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    departments: Departments = field(default_factory=Departments)
    targets: tuple[TargetAnswer, ...] = ()
    hits: tuple[Hit, ...] = ()
    notice: str = ""

    def to_dict(self) -> dict:
        """The one JSON shape of an answer (CLI ``--json``, batch lines, the web API)."""
        return {
            "question": self.question, "intent": self.intent, "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "departments": self.departments.to_dict(),
            "targets": [asdict(t) for t in self.targets],
            "hits": [h.to_dict() for h in self.hits],
            "notice": self.notice,
        }  # fmt: skip
