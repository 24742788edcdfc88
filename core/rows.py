"""The rows the core's reads return: documents (:class:`DocumentInfo`), a department's
tasks (:class:`DepartmentTasks` of :class:`TaskRow`) and quantified targets (:class:`TargetRow`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    shipped: bool
    records: int
    #: From the document's manifest (empty when it does not say): 甘政办发〔2022〕46号, the
    #: issuing bodies, the date (ISO). They answer questions about the document itself.
    number: str = ""
    issuer: tuple[str, ...] = ()
    date: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TaskRow:
    """One clause of a department's tasks (the 部门职责 table, ``policyqa departments``)."""

    role: str  # lead | co | implementers
    record_id: str
    path: str
    title: str
    doc_id: str
    doc_title: str
    responsibility: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DepartmentTasks:
    asked: str
    department: str  # the canonical name
    rows: tuple[TaskRow, ...]

    def count(self, role: str) -> int:
        return sum(1 for r in self.rows if r.role == role)

    def to_dict(self) -> dict:
        return {"asked": self.asked, "department": self.department, "rows": [r.to_dict() for r in self.rows]}


@dataclass(frozen=True)
class TargetRow:
    indicator: str
    value: float
    unit: str
    comparator: str
    deadline: str  # as written, or the year, or 未写明
    record_id: str
    path: str
    doc_id: str
    doc_title: str
    phrase: str

    def to_dict(self) -> dict:
        return asdict(self)
