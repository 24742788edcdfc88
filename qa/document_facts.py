"""Questions about a document itself — its 文号, who issued it, its date, the years it covers.

No clause states these (the plan's 文号 and its signature lines belong to its ``manifest.json``,
not to a record), so such a question is answered from the document's manifest, said to be
document information, and flagged as an abstention: no clause is cited for it. Without this,
``方案的文号是什么？`` was answered with the plan's 基本原则, which share the word 方案.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from qa.compose import overlap

#: The facts a question can ask for, each by the words that ask for it. The issuer and the date
#: also need a word for the document (方案, 文件, 法 …): 补贴什么时候发的 asks about money.
FACT_RES = {
    "number": re.compile(r"文号|发文字号|发文号|第几号文"),
    "issuer": re.compile(r"(哪个|哪些|什么|哪一?级)(部门|单位|机关|机构|政府)[^，。？]{0,4}(印发|发布|发的|下发|制定|出台|发文|起草)"
                         r"|谁(印发|发布|发的|下发|制定|出台|起草)|(发文|印发|发布|制定)(机关|单位|部门)"),
    "date": re.compile(r"(什么时候|何时|哪天|哪一天|哪年|几月|啥时候|什么时间)[^，。？]{0,6}(印发|发布|出台|公布|下发|成文|制定|发的)"
                       r"|(印发|发布|出台|公布|成文|发文)(的)?(日期|时间)|哪年的(文件|方案)"),
    "period": re.compile(r"(有效期|实施期限?|执行期限?|时间跨度|覆盖哪几年|管到哪年|到哪年为止)"),
}
#: A word for a document, needed beside the issuer, date and period words.
DOCUMENT_WORD_RE = re.compile(r"方案|文件|政策|规划|意见|通知|办法|条例|规定|法|《")
#: The years a plan covers, as its title writes them: （2022—2025年）.
PERIOD_RE = re.compile(r"[（(](\d{4})\s*[—–\-~至到]\s*(\d{4})\s*年[）)]")

LABELS = {"number": "文号", "issuer": "发文机关", "date": "日期", "period": "实施期限"}


class DocumentFacts(Protocol):
    doc_id: str
    title: str
    number: str
    issuer: tuple[str, ...]
    date: str


_BRACKETS = "〔〕[]［］()（）【】"


def number_pattern(number: str) -> re.Pattern | None:
    """A document number as users type it: 甘政办发〔2022〕46号 also as 甘政办发[2022]46号 or
    甘政办发(2022)46号, and without 号."""
    core = number.strip().removesuffix("号")
    if len(core) < 4:
        return None
    parts = [f"[{re.escape(_BRACKETS)}]" if ch in _BRACKETS else re.escape(ch) for ch in core]
    return re.compile("".join(parts) + "号?")


def named_by_number(question: str, documents: Sequence[DocumentFacts]) -> tuple[DocumentFacts, str] | None:
    """The document whose 文号 the question writes, and the question without it."""
    for doc in documents:
        rx = number_pattern(doc.number) if doc.number else None
        found = rx.search(question) if rx else None
        if found:
            return doc, (question[: found.start()] + question[found.end():]).strip()
    return None


def asked_facts(question: str) -> list[str]:
    """The document facts ``question`` asks for (``number``, ``issuer``, ``date``, ``period``)."""
    asked = [name for name, rx in FACT_RES.items() if rx.search(question)]
    if asked and asked != ["number"] and not DOCUMENT_WORD_RE.search(question):
        asked = [name for name in asked if name == "number"]
    return asked


def _value(doc: DocumentFacts, fact: str) -> str:
    if fact == "number":
        return doc.number
    if fact == "issuer":
        return "、".join(doc.issuer)
    if fact == "date":
        return doc.date
    period = PERIOD_RE.search(doc.title)
    return f"{period.group(1)}—{period.group(2)}年" if period else ""


def which_document(question: str, documents: Sequence[DocumentFacts], hit_doc_ids: Sequence[str]) -> DocumentFacts | None:
    """The document a question about a document means: the one it names (《…》 or most of its
    title), the only one, the only 方案 when it says 方案, else the document of the best hit."""
    if not documents:
        return None
    named = re.findall(r"《([^》]{2,80})》", question)
    for name in named:
        for doc in documents:
            if name in doc.title or doc.title in name or overlap(name, doc.title) >= 0.6:
                return doc
    if len(documents) == 1:
        return documents[0]
    if "方案" in question:
        plans = [d for d in documents if "方案" in d.title]
        if len(plans) == 1:
            return plans[0]
    by_id = {d.doc_id: d for d in documents}
    return next((by_id[d] for d in hit_doc_ids if d in by_id), None)


def document_facts_text(question: str, documents: Sequence[DocumentFacts], hit_doc_ids: Sequence[str]) -> str:
    """The answer to a question about a document's 文号, issuer, date or period, from its manifest
    ("" when the question asks for none of them or names no document the library holds)."""
    asked = asked_facts(question)
    doc = which_document(question, documents, hit_doc_ids) if asked else None
    if doc is None:
        return ""
    known = [(LABELS[f], _value(doc, f)) for f in asked if _value(doc, f)]
    unknown = [LABELS[f] for f in asked if not _value(doc, f)]
    parts = [f"条款正文不写{'、'.join(LABELS[f] for f in asked)}；"]
    if known:
        parts.append(f"据文件信息，《{doc.title}》的" + "，".join(f"{label}为{value}" for label, value in known) + "。")
    if unknown:
        parts.append(f"文件信息中没有记录《{doc.title}》的{'、'.join(unknown)}。")
    return "".join(parts)
