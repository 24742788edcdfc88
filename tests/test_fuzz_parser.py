"""Property tests (Hypothesis) of the parsing pipeline on arbitrary text and bytes
(issue: holds under load, faults and bad input).

* ``clean_lines`` → ``parse`` → ``make_records`` on any text either returns records whose
  offsets are valid (every sentence and target is a span of the record text, ids unique,
  the record survives its JSON Lines round trip) or raises :class:`SourceError` — never any
  other exception;
* ``normalize_text`` (the query and document normalizer) is idempotent;
* ``read_text`` on random bytes (.txt, .md, .pdf, .docx, and real .docx files with flipped
  bytes) returns text or raises :class:`SourceError`.
"""

from __future__ import annotations

import atexit
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.document import clean_lines, load_errata, make_records
from corpus.formats import SourceError, read_text
from corpus.normalize import normalize_text
from corpus.records import Record
from corpus.sources import Document, Manifest
from corpus.structure import parse

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEVELS = {"preamble", "part", "section", "item", "paragraph", "article"}
ERRATA = load_errata()
#: A document whose errata (the plan's) are applied, so garbled fragments are exercised.
DOC = Document(
    Manifest(doc_id="gansu-2022-46", title="关于推动生活性服务业补短板上水平提高人民生活品质行动方案",
             file="source.txt", issuer=["甘肃省人民政府办公厅"]),
    folder=Path("/nonexistent"), shipped=False,
)  # fmt: skip

# ---------------------------------------------------------------- strategies
CJK = "养老托育服务社区省住建厅牵头教育卫健委民政按职责分工负责具体落实到年达个以上不少于万人发展"
TRADITIONAL = "發展機構養老醫療補貼區縣辦公廳關於專業學校"
FRAGMENTS = [
    "一、", "二、", "十二、", "（一）", "（十）", "(二)", "1.", "2．", "12、", "3.5", "第十二条", "第一百条之一",
    "第三章", "# 第二编 总则", "第一节", "發(fā)", "區(qū)", "業(yè)", "????", "？？", "(", ")", "（", "）",
    "（省民政厅牵头，省财政厅等部门按职责分工负责）", "（各市州、兰州新区管委会具体落实）",
    "（以下任务需市州人民政府、兰州新区管委会落实，不再一一列出）", "到2025年", "力争到2023年",
    "每千人口拥有托位数达到4.5个", "覆盖率达到100%", "不少于300平方米", "<!-- 注释 -->",
    "（此件公开发布）", "2022年4月15日", "甘肃省人民政府办公厅", "。", "；", "，", "、", "：",
    "！", "？", "“", "”", "——", " ", "\t", "\u3000", "\r\n", "\n", "\n\n", "\x00", "\u200b",
    "ＡＢＣ１２３", "😀", "<script>", *[e.garbled for e in ERRATA],
]  # fmt: skip
cjk_text = st.text(alphabet=st.sampled_from(CJK + TRADITIONAL + "0123456789.、，。（）()? \n"), max_size=30)
piece = st.one_of(st.sampled_from(FRAGMENTS), cjk_text, st.text(max_size=8))
documents = st.lists(piece, max_size=60).map("".join)
#: Lines that look like a plan or a law, one numbered unit a line, with noise mixed in.
numbered_line = st.tuples(
    st.sampled_from(["一、", "二、", "（一）", "（二）", "1.", "2.", "第一条", "第二条", "第一章", ""]), cjk_text,
    st.sampled_from(["", "。", "（省民政厅牵头）", "發(fā)", "????", "\r"]),
).map("".join)  # fmt: skip
structured_documents = st.lists(numbered_line, max_size=40).map("\n".join)


def records_for(raw: str) -> list[Record]:
    """What ``corpus.build.build_document`` does after reading the file."""
    doc_errata = [e for e in ERRATA if e.doc_id == DOC.manifest.doc_id]
    pairs, _ = clean_lines(raw, doc_errata)
    shape, units = parse(pairs, DOC.manifest.title)
    assert shape in {"law", "plan", "paragraphs"}
    return make_records(DOC, units)


def check_records(records: list[Record]) -> None:
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)), ids
    for r in records:
        assert r.id == f"{r.doc_id}#{r.path}" and r.level in LEVELS
        for s in r.sentences:
            assert 0 <= s.start < s.end <= len(r.text), (r.id, s)
            assert r.text[s.start : s.end] == s.text and s.text.strip() == s.text
        for t in r.targets:
            assert 0 <= t.start <= t.end <= len(r.text), (r.id, t)
            assert r.text[t.start : t.end] == t.phrase
        for name in r.departments.all():
            assert isinstance(name, str) and name
        # What corpus.build writes and the index reads back must be the same record.
        assert Record.from_dict(json.loads(json.dumps(r.to_dict(), ensure_ascii=False))) == r


# ---------------------------------------------------------------- parser
@FUZZ
@given(documents)
def test_parser_on_arbitrary_text_gives_valid_records_or_a_source_error(raw):
    try:
        records = records_for(raw)
    except SourceError:
        return
    check_records(records)


@FUZZ
@given(structured_documents)
def test_parser_on_numbered_lines_gives_valid_records_or_a_source_error(raw):
    try:
        records = records_for(raw)
    except SourceError:
        return
    check_records(records)


@FUZZ
@given(st.text(max_size=300))
def test_parser_on_any_unicode_gives_valid_records_or_a_source_error(raw):
    try:
        records = records_for(raw)
    except SourceError:
        return
    check_records(records)


# ---------------------------------------------------------------- normalizer
@FUZZ
@given(st.one_of(documents, st.text(max_size=200)))
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@FUZZ
@given(st.one_of(documents, st.text(max_size=200)))
def test_normalize_text_leaves_no_control_characters(text):
    import unicodedata

    out = normalize_text(text)
    assert all(ch in "\n\t" or unicodedata.category(ch)[0] != "C" for ch in out)
    assert out == out.strip()


# ---------------------------------------------------------------- files
_TMP = Path(tempfile.mkdtemp(prefix="policyqa-fuzz-"))
atexit.register(shutil.rmtree, _TMP, True)


def _read(data: bytes, suffix: str):
    path = _TMP / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        text = read_text(path, max_mb=1)
    except SourceError as exc:
        assert path.name in str(exc)  # the message names the file
        return None
    assert isinstance(text, str) and text
    return text


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from([".txt", ".md", ".pdf", ".docx"]))
def test_read_text_of_random_bytes_is_text_or_a_source_error(data, suffix):
    _read(data, suffix)


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS + list(CJK)), max_size=80).map("".join),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16"]),
       st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4))
def test_read_text_of_encoded_text_with_flipped_bytes_is_text_or_a_source_error(text, encoding, flips):
    data = bytearray(text.encode(encoding, errors="ignore"))
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    _read(bytes(data), ".txt")


def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    for line in ["关于养老服务的通知", "一、总体要求", "（一）目标。到2025年建成养老机构10个。"]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOCX = _docx_bytes()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(DOCX) - 1), st.integers(0, 255)), min_size=1, max_size=6))
def test_read_text_of_a_docx_with_flipped_bytes_is_text_or_a_source_error(flips):
    data = bytearray(DOCX)
    for position, value in flips:
        data[position] = value
    _read(bytes(data), ".docx")


@FUZZ
@given(st.sampled_from(["word/document.xml", "[Content_Types].xml", "word/_rels/document.xml.rels",
                        "_rels/.rels"]),
       st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
       st.booleans())  # fmt: skip
def test_read_text_of_a_docx_with_a_damaged_part_is_text_or_a_source_error(member, content, truncate):
    """A zip that is a .docx except one part (garbage, or the real part cut short)."""
    source = zipfile.ZipFile(io.BytesIO(DOCX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = data[: len(data) // 2] if truncate else content
            target.writestr(info.filename, data)
    _read(out.getvalue(), ".docx")
