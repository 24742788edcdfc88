"""Other documents, encodings, bad input and the atomic build (issue: clause corpus)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import corpus
from corpus.config import Settings
from corpus.formats import SourceError, read_text
from tests.conftest import ELDERLY_LAW, POPULATION_LAW


def test_laws_parse_into_article_records(law_settings):
    records = {r.id: r for r in corpus.load_records(law_settings)}
    elderly = [r for r in records.values() if r.doc_id == "老年人权益保障法-2018-12-29"]
    population = [r for r in records.values() if r.doc_id == "人口与计划生育法-2021-08-20"]
    assert sum(r.level == "article" for r in elderly) == 85
    assert sum(r.level == "article" for r in population) == 48
    twelfth = records["老年人权益保障法-2018-12-29#第一章/第十二条"]
    assert twelfth.text == "每年农历九月初九为老年节。"
    assert twelfth.headings == ["第一章 总则"]
    assert twelfth.title == "第十二条"
    article = records["老年人权益保障法-2018-12-29#第三章/第二十八条"]
    assert article.headings == ["第三章 社会保障"]
    assert "INFO END" not in "".join(r.text for r in elderly)


def test_gbk_copy_gives_the_same_records_as_utf8(tmp_path, law_settings):
    gbk = tmp_path / "老年人权益保障法(2018-12-29).md"
    gbk.write_bytes(ELDERLY_LAW.read_text(encoding="utf-8").encode("gbk"))
    settings = Settings(home=tmp_path / "home")
    corpus.build(settings, paths=[gbk])
    original = [r.to_dict() for r in corpus.load_records(law_settings, "老年人权益保障法-2018-12-29")]
    copy = [r.to_dict() for r in corpus.load_records(settings, "老年人权益保障法-2018-12-29")]
    for record in original + copy:
        record.pop("raw")
    assert copy == original


def test_big5_text_is_detected(tmp_path):
    path = tmp_path / "big5.txt"
    text = "一、總體要求\n（一）指導思想。\n堅持以人民為中心的發展思想，推動養老服務高質量發展。\n（二）基本原則。\n多元參與。"
    path.write_bytes(text.encode("big5"))
    assert read_text(path, 20) == text


def test_docx_is_read_like_text(tmp_path):
    import docx

    document = docx.Document()
    for line in ["关于养老服务的通知", "一、总体要求", "（一）目标。到2025年建成养老机构10个。", "（二）原则。"]:
        document.add_paragraph(line)
    path = tmp_path / "notice.docx"
    document.save(path)
    settings = Settings(home=tmp_path / "home")
    corpus.build(settings, paths=[path])
    records = corpus.load_records(settings, "notice")
    assert [r.path for r in records] == ["一(一)", "一(二)"]  # the title line is metadata
    assert records[0].targets[0].value == 10


def test_unnumbered_document_falls_back_to_paragraphs(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("社区食堂开业了。\n欢迎老年人前来就餐。", encoding="utf-8")
    settings = Settings(home=tmp_path / "home")
    report = corpus.build(settings, paths=[path])
    memo = report.document("memo")
    assert memo.shape == "paragraphs" and memo.warnings
    assert [r.path for r in corpus.load_records(settings, "memo")] == ["¶1", "¶2"]


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (300 * 1024 * 1024))


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", bytes(range(256)) * 40, "binary"),
        ("latin.txt", "caf\xe9 cr\xe8me br\xfbl\xe9e " .encode("latin-1") * 50, "encoding"),
        ("english.md", b"Just some English words.", "no Chinese text"),
        ("scan.pdf", None, "no text layer"),
        ("broken.pdf", b"%PDF-1.4 not really", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "not a valid .docx"),
        ("bomb.docx", None, "zip bomb"),
        ("image.png", b"\x89PNG\r\n", "unsupported file type"),
        ("big.txt", None, "over the"),
    ],
)
def test_bad_files_get_a_clear_error_naming_file_and_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    if name == "scan.pdf":
        import pypdf

        writer = pypdf.PdfWriter()
        writer.add_blank_page(width=200, height=200)
        with path.open("wb") as handle:
            writer.write(handle)
    elif name == "bomb.docx":
        _zip_bomb(path)
    elif name == "big.txt":
        path.write_bytes("养老".encode() * (2 * 1024 * 1024 // 6 + 1))
    else:
        path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_text(path, max_mb=1 if name == "big.txt" else 20)
    assert name in str(info.value)
    assert reason in str(info.value)


def test_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="missing.txt: cannot be read"):
        read_text(tmp_path / "missing.txt", 20)


def test_failed_build_leaves_previous_corpus_untouched(tmp_path):
    settings = Settings(home=tmp_path / "home")
    corpus.build(settings)
    before = (settings.build_dir / "records.jsonl").read_bytes()
    bad_docs = settings.user_docs_dir / "broken"
    bad_docs.mkdir(parents=True)
    (bad_docs / "source.txt").write_bytes(b"")
    (bad_docs / "manifest.json").write_text(json.dumps({"doc_id": "broken", "title": "x", "file": "source.txt"}))
    with pytest.raises(SourceError, match="empty"):
        corpus.build(settings)
    assert (settings.build_dir / "records.jsonl").read_bytes() == before
    assert not list(settings.home.glob(".corpus-*.partial"))


def test_adding_the_same_document_twice_is_idempotent(tmp_path):
    settings = Settings(home=tmp_path / "home")
    corpus.build(settings, paths=[POPULATION_LAW])
    first = corpus.load_records(settings)
    corpus.build(settings, paths=[POPULATION_LAW])
    assert corpus.load_records(settings) == first
