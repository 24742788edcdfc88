"""Hardening, corpus side: budgets checked before the work, no silent overwrite of documents,
folder builds and a checksummed corpus (issue: holds under load, faults and bad input).

One test per case of ``reports/bad-input.md`` rows 55–70.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import corpus
from corpus.config import REPO_ROOT, Settings
from corpus.docstore import PREVIOUS_DIR, add_document, remove_document
from corpus.errors import PolicyError
from corpus.formats import SourceError, read_text
from tests.conftest import LAWS

corpus_build = importlib.import_module("corpus.build")  # (``corpus.build`` is also the function)

PLAN = ("关于加强社区养老服务的通知\n一、总体要求\n（一）指导思想。坚持以人民为中心的发展思想。\n"
        "（二）发展目标。到2025年，社区养老服务覆盖率达到90%以上。\n二、重点任务\n（一）发展社区食堂。\n")


def plan_text(sections: int, lead: str = "关于养老服务的通知") -> str:
    return lead + "\n一、重点任务\n" + "".join(f"（{_cn(n)}）第{n}项任务。推动养老服务发展。\n" for n in range(1, sections + 1))


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def stored(settings: Settings) -> list[str]:
    root = settings.user_docs_dir
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) if root.is_dir() else []


@pytest.fixture
def home(tmp_path) -> Settings:
    """A private home with the shipped plan built."""
    settings = Settings(home=tmp_path / "home")
    corpus.build(settings)
    return settings


# ---------------------------------------------------------------- budgets
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
         'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="word/document.xml"/></Relationships>')


def _docx_bomb(path: Path, xml_bytes: int = 50 * 2**20) -> None:
    """A well-formed .docx of very many short paragraphs (第N条, numbers repeating so it
    compresses ~30×): 1.6 MB on disk, 50 MB of XML — under the 200 MB zip-bomb limit."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w") as member:
            member.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'.encode())
            written, start = 0, 0
            while written < xml_bytes:
                block = "".join(f"<w:p><w:r><w:t>第{j * 5 // 8}条</w:t></w:r></w:p>"
                                for j in range(start, start + 10_000)).encode()
                member.write(block)
                written, start = written + len(block), start + 10_000
            member.write(b"</w:body></w:document>")


_PROBE = textwrap.dedent("""
    import json, sys, time
    import lxml.etree, charset_normalizer, pypdf  # what extraction may import, before the baseline
    from corpus.formats import SourceError, read_text

    def peak_mb():
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM"))

    base, started = peak_mb(), time.perf_counter()
    try:
        read_text(sys.argv[1], 20)
        out = {"error": None}
    except SourceError as exc:
        out = {"error": str(exc), "code": exc.code}
    out.update(seconds=time.perf_counter() - started, growth_mb=peak_mb() - base)
    print(json.dumps(out))
""")


def test_docx_bomb_is_refused_fast_with_little_memory(tmp_path, home):
    """Row 55. Before: python-docx parsed all 50 MB of XML into a tree (≈ 70 s, ≈ 950 MB)."""
    bomb = tmp_path / "many-paragraphs.docx"
    _docx_bomb(bomb)
    size_mb = bomb.stat().st_size / 2**20
    with zipfile.ZipFile(bomb) as archive:
        expanded_mb = sum(i.file_size for i in archive.infolist()) / 2**20
    assert 1.4 < size_mb < 1.9 and 49 < expanded_mb < 52, (size_mb, expanded_mb)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(bomb)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    out = json.loads(proc.stdout.splitlines()[-1])
    print(f"\n{size_mb:.1f} MB .docx ({expanded_mb:.0f} MB of XML) refused in {out['seconds']:.2f} s, "
          f"peak RSS +{out['growth_mb']:.0f} MB")
    assert out["code"] == "over_budget"
    assert "many-paragraphs.docx" in out["error"] and "POLICYQA_MAX_DOCUMENT_CHARS" in out["error"]
    assert out["growth_mb"] < 300
    # … and through a build: nothing stored, the previous corpus serves.
    before = (home.build_dir / "records.jsonl").read_bytes()
    with pytest.raises(SourceError, match="POLICYQA_MAX_DOCUMENT_CHARS") as info:
        corpus.build(home, paths=[bomb])
    assert info.value.code == "over_budget"
    assert stored(home) == [] and (home.build_dir / "records.jsonl").read_bytes() == before


def test_text_over_the_character_budget_stops_decoding_and_names_the_setting(tmp_path, monkeypatch):
    """Row 56: decoding stops at the budget — a bad byte after it is never reached."""
    path = tmp_path / "long.txt"
    path.write_bytes(("养老服务" * 100_000).encode() + b"\xff\xfe tail")  # 1.2 MB, a bad byte at the end
    with pytest.raises(SourceError) as info:
        read_text(path, 20, max_chars=1000)
    assert info.value.code == "over_budget"
    assert "long.txt" in str(info.value) and "1,000" in str(info.value)
    assert "POLICYQA_MAX_DOCUMENT_CHARS" in info.value.reason and "POLICYQA_MAX_DOCUMENT_CHARS" in info.value.fix
    monkeypatch.setenv("POLICYQA_MAX_DOCUMENT_CHARS", "1000")  # the default comes from the settings
    with pytest.raises(SourceError, match="POLICYQA_MAX_DOCUMENT_CHARS"):
        read_text(path, 20)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(("养老服务" * 500).encode("gbk"))
    with pytest.raises(SourceError, match="POLICYQA_MAX_DOCUMENT_CHARS"):
        read_text(gbk, 20)
    settings = Settings(home=tmp_path / "home")
    assert settings.max_document_chars == 1000
    with pytest.raises(SourceError, match="POLICYQA_MAX_DOCUMENT_CHARS"):
        corpus.build(settings, paths=[path])
    assert stored(settings) == []


def test_record_budgets_refuse_before_records_are_made(tmp_path, home, monkeypatch):
    """Row 57: per document (POLICYQA_MAX_DOCUMENT_RECORDS) and per build (…_MAX_BUILD_RECORDS)."""
    big = write(tmp_path / "big.txt", plan_text(30))
    small = Settings(home=home.home, max_document_records=10)
    with pytest.raises(SourceError) as info:  # at add time: nothing is stored
        add_document(big, small.user_docs_dir, 20, max_records=small.max_document_records)
    assert info.value.code == "over_budget" and "POLICYQA_MAX_DOCUMENT_RECORDS" in str(info.value)
    assert stored(home) == []

    add_document(big, home.user_docs_dir, 20)  # stored under the default budget …
    made: list[str] = []
    real = corpus_build.make_records
    monkeypatch.setattr(corpus_build, "make_records", lambda doc, units: made.append(doc.manifest.doc_id)
                        or real(doc, units))
    before = (home.build_dir / "records.jsonl").read_bytes()
    with pytest.raises(SourceError, match="POLICYQA_MAX_DOCUMENT_RECORDS") as info:
        corpus.build(small)  # … then built under a small one
    assert "big" in str(info.value) and "big" not in made  # no record was made for it
    assert (home.build_dir / "records.jsonl").read_bytes() == before

    plan_records = corpus.load_report(home).records
    tight = Settings(home=home.home, max_build_records=plan_records + 10)
    made.clear()
    with pytest.raises(SourceError) as info:
        corpus.build(tight)
    assert info.value.code == "over_budget" and "POLICYQA_MAX_BUILD_RECORDS" in str(info.value)
    # "big" (30 records) is built first, then the plan would pass the budget: none of its records is made.
    assert made == ["big"] and "gansu-2022-46" in str(info.value)
    assert (home.build_dir / "records.jsonl").read_bytes() == before
    assert corpus.build(Settings(home=home.home, max_build_records=plan_records + 30)).records == plan_records + 30


def test_bad_budget_setting_names_the_variable(tmp_path, monkeypatch):
    """Row 58."""
    monkeypatch.setenv("POLICYQA_MAX_DOCUMENT_CHARS", "abc")
    with pytest.raises(PolicyError) as info:
        Settings()
    assert info.value.code == "bad_setting" and "POLICYQA_MAX_DOCUMENT_CHARS" in str(info.value)
    with pytest.raises(PolicyError, match="POLICYQA_MAX_DOCUMENT_CHARS"):
        read_text(write(tmp_path / "a.txt", PLAN), 20)
    for name in ("POLICYQA_MAX_DOCUMENT_RECORDS", "POLICYQA_MAX_BUILD_RECORDS"):
        monkeypatch.delenv("POLICYQA_MAX_DOCUMENT_CHARS")
        monkeypatch.setenv(name, "0")
        with pytest.raises(PolicyError, match=name):
            Settings()
        monkeypatch.delenv(name)
        monkeypatch.setenv("POLICYQA_MAX_DOCUMENT_CHARS", "abc")


# ---------------------------------------------------------------- no silent overwrite
def test_colliding_names_all_survive(tmp_path, home):
    """Rows 59–60: ``a b.txt``, ``a-b.txt``, ``a!b.txt`` clean to the same id; all three are kept."""
    names = ["a b.txt", "a-b.txt", "a!b.txt"]
    for n, name in enumerate(names, 1):
        write(tmp_path / name, plan_text(n, f"第{n}份通知"))
    ids = [add_document(tmp_path / name, home.user_docs_dir, 20).doc_id for name in names]
    assert ids == ["a-b", "a-b-2", "a-b-3"]
    corpus.build(home)
    for n, doc_id in enumerate(ids, 1):
        assert len(corpus.load_records(home, doc_id)) == n
        manifest = json.loads((home.user_docs_dir / doc_id / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["source_name"] == names[n - 1]
    # The same name with the same bytes: nothing happens; with other bytes: refused.
    assert add_document(tmp_path / "a-b.txt", home.user_docs_dir, 20).doc_id == "a-b-2"
    write(tmp_path / "a-b.txt", plan_text(5, "新版本"))
    with pytest.raises(SourceError) as info:
        add_document(tmp_path / "a-b.txt", home.user_docs_dir, 20)
    assert info.value.code == "document_exists" and "--replace" in info.value.fix
    assert len(corpus.load_records(home, "a-b-2")) == 2


def test_shipped_id_is_refused_even_with_replace(tmp_path, home):
    """Row 61: ``gansu-2022-46.txt`` would hide behind the shipped plan."""
    path = write(tmp_path / "gansu-2022-46.txt", PLAN)
    for replace in (False, True):
        with pytest.raises(SourceError) as info:
            add_document(path, home.user_docs_dir, 20, replace=replace)
        assert info.value.code == "shipped_document" and "gansu-2022-46" in str(info.value)
    with pytest.raises(SourceError, match="shipped"):
        corpus.build(home, paths=[path], replace=True)
    assert stored(home) == []


def test_removing_a_shipped_or_unknown_document_is_refused(home):
    """Row 62."""
    with pytest.raises(SourceError) as info:
        remove_document("gansu-2022-46", home.user_docs_dir)
    assert info.value.code == "shipped_document"
    with pytest.raises(SourceError) as info:
        remove_document("no-such-doc", home.user_docs_dir)
    assert info.value.code == "unknown_document"
    with pytest.raises(SourceError) as info:
        remove_document("../docs", home.user_docs_dir)
    assert info.value.code == "unknown_document"
    assert (Path(corpus.__file__).parent / "docs" / "gansu-2022-46" / "manifest.json").is_file()


def test_replace_keeps_the_previous_version_until_the_next_build(tmp_path, home):
    """Row 63: kept in ``docs/.previous/<id>/``; a failed build puts it back, a good one deletes it."""
    path = write(tmp_path / "通知.txt", plan_text(2))
    add_document(path, home.user_docs_dir, 20)
    corpus.build(home)
    first = (home.user_docs_dir / "通知" / "source.txt").read_bytes()
    write(path, plan_text(4))
    manifest = add_document(path, home.user_docs_dir, 20, replace=True)
    assert manifest.doc_id == "通知" and stored(home) == ["通知"]
    previous = home.user_docs_dir / PREVIOUS_DIR / "通知"
    assert (previous / "source.txt").read_bytes() == first
    assert [d.manifest.doc_id for d in corpus_build.discover(home.user_docs_dir)] == ["通知"]

    broken = write(home.user_docs_dir / "broken" / "source.txt", "")  # the next build fails …
    (broken.parent / "manifest.json").write_text(json.dumps({"doc_id": "broken", "title": "x", "file": "source.txt"}))
    with pytest.raises(SourceError, match="empty"):
        corpus.build(home)
    assert (home.user_docs_dir / "通知" / "source.txt").read_bytes() == first  # … so it is put back
    assert not previous.exists()
    assert len(corpus.load_records(home, "通知")) == 2  # and matches the corpus still serving

    shutil.rmtree(broken.parent)
    add_document(path, home.user_docs_dir, 20, replace=True)
    assert previous.is_dir()
    corpus.build(home)  # a good build deletes it
    assert not previous.exists() and len(corpus.load_records(home, "通知")) == 4


# ---------------------------------------------------------------- folders
def test_folder_build_adds_every_supported_file_recursively(tmp_path, home):
    """Rows 64–65: unsupported files, byte-identical copies and unreadable documents are skipped and
    counted; two different files of the same name in two sub-folders are both kept."""
    root = tmp_path / "library"
    write(root / "b.txt", plan_text(2, "乙通知"))
    write(root / "sub" / "a.md", plan_text(3, "甲通知"))
    write(root / "sub" / "copy-of-b.txt", plan_text(2, "乙通知"))
    write(root / "sub" / "_index.md", "---\nbookCollapseSection: true\n---\n")
    write(root / "x" / "same.txt", plan_text(1, "同名一"))
    write(root / "y" / "same.txt", plan_text(4, "同名二"))
    (root / "sub" / "picture.png").write_bytes(b"\x89PNG\r\n")
    write(root / ".git" / "notes.txt", PLAN)
    report = corpus.build(home, paths=[root])
    inputs = report.inputs
    assert (inputs.added, inputs.skipped_unsupported, inputs.skipped_duplicates,
            inputs.skipped_unreadable) == (4, 1, 1, 1)
    assert {s.file for s in inputs.skipped} == {"sub/picture.png", "sub/copy-of-b.txt → b.txt", "sub/_index.md"}
    assert stored(home) == ["a", "b", "same", "same-2"]
    assert [len(corpus.load_records(home, d)) for d in ("a", "b", "same", "same-2")] == [3, 2, 1, 4]
    assert corpus.build(home, paths=[root]).inputs.unchanged == 4  # building it again: idempotent

    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    (tmp_path / "empty" / "deeper" / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(SourceError) as info:
        corpus.build(home, paths=[tmp_path / "empty"])
    assert info.value.code == "empty_folder" and "empty" in str(info.value)


def test_a_lawrefbook_folder_builds(tmp_path):
    """Row 66: ``policyqa corpus build ../shared/corpora/lawrefbook/社会法`` (its ``_index.md`` is skipped)."""
    folder = LAWS / "社会法"
    assert folder.is_dir(), f"shared corpus missing at {LAWS} (set POLICYQA_SHARED)"
    settings = Settings(home=tmp_path / "home")
    report = corpus.build(settings, paths=[folder])
    files = [p for p in folder.rglob("*.md") if p.name != "_index.md"]
    assert report.inputs.added == len(files) and report.inputs.skipped[0].file == "_index.md"
    assert len(report.documents) == len(files) + 1 and report.records > 1000


# ---------------------------------------------------------------- a checksummed corpus
def test_build_writes_a_manifest_that_loading_verifies(home):
    """Row 67."""
    manifest = json.loads((home.build_dir / "manifest.json").read_text(encoding="utf-8"))
    report = corpus.load_report(home)
    assert manifest["schema_version"] == 1 and manifest["created_at"]
    assert manifest["records"] == report.records == len(corpus.load_records(home))
    assert manifest["corpus_hash"] == report.corpus_hash == manifest["files"]["records.jsonl"]["sha256"]
    assert corpus.verify_corpus(home) == manifest


def _edit_records(settings: Settings, change) -> Path:
    path = settings.build_dir.resolve() / "records.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    change(lines)
    path.write_bytes(b"".join(lines))
    return path


def test_edited_records_are_detected_and_the_index_refuses_them(home):
    """Row 68: one character of a clause changed (same size, still valid JSON)."""
    def edit(lines):
        record = json.loads(lines[2])
        record["text"] = record["text"].replace("。", "，", 1)
        lines[2] = (json.dumps(record, ensure_ascii=False) + "\n").encode()

    path = _edit_records(home, edit)
    for load in (corpus.load_records, corpus.load_report, corpus.verify_corpus):
        with pytest.raises(corpus.CorruptCorpus) as info:
            load(home)
        assert info.value.code == "corrupt_corpus" and str(path) in info.value.message
        assert "policyqa corpus build" in info.value.fix
    from index.build import build_index

    with pytest.raises(PolicyError) as info:
        build_index(home, encoder=object())  # refused before the encoder is ever used
    assert info.value.code == "corrupt_corpus" and "records.jsonl" in str(info.value)


def test_invalid_utf8_is_named_with_file_and_line(home):
    """Row 69."""
    _edit_records(home, lambda lines: lines.__setitem__(2, lines[2][:40] + b"\xff\xfe" + lines[2][40:]))
    with pytest.raises(corpus.CorruptCorpus) as info:
        corpus.load_records(home)
    assert "records.jsonl" in str(info.value) and "line 3" in str(info.value) and "UTF-8" in str(info.value)
    corpus.build(home)
    report = home.build_dir.resolve() / "report.json"
    report.write_bytes(report.read_bytes().replace(b"\n", b"\n\xc3(", 1))
    with pytest.raises(corpus.CorruptCorpus, match=r"report\.json .*line 2"):
        corpus.verify_corpus(home)


def test_missing_or_unversioned_corpus_is_a_clear_error(tmp_path, home):
    """Row 70: no build at all (also a FileNotFoundError, as before); a build from before the
    manifest still loads, its records.jsonl checked against report.json's corpus_hash."""
    with pytest.raises(corpus.MissingCorpus) as info:
        corpus.load_records(Settings(home=tmp_path / "nothing"))
    assert info.value.code == "no_corpus" and isinstance(info.value, FileNotFoundError)
    (home.build_dir / "manifest.json").unlink()
    records = corpus.load_records(home)
    assert corpus.verify_corpus(home)["legacy"] and corpus.load_report(home).records == len(records)
    _edit_records(home, lambda lines: lines.pop())
    with pytest.raises(corpus.CorruptCorpus, match=r"records\.jsonl was changed after the build"):
        corpus.load_records(home)
    corpus.build(home)  # the fix the message gives
    assert len(corpus.load_records(home)) == len(records) and corpus.verify_corpus(home)["schema_version"] == 1


def test_the_shared_folder_is_found_beside_the_repository_a_clone_came_from(tmp_path, monkeypatch):
    from corpus import config

    origin, clone = tmp_path / "work" / "main", tmp_path / "elsewhere" / "fresh"
    (tmp_path / "work" / "shared").mkdir(parents=True)
    origin.mkdir()
    (clone / ".git").mkdir(parents=True)
    (clone / ".git" / "config").write_text(f'[remote "origin"]\n\turl = {origin}\n', encoding="utf-8")
    monkeypatch.setattr(config, "REPO_ROOT", clone)
    monkeypatch.delenv("POLICYQA_SHARED", raising=False)
    assert config.Settings().shared == tmp_path / "work" / "shared"
    (tmp_path / "elsewhere" / "shared").mkdir()  # ../shared beside the clone wins
    assert config.Settings().shared == tmp_path / "elsewhere" / "shared"
    monkeypatch.setenv("POLICYQA_SHARED", str(tmp_path))  # and the variable wins over both
    assert config.Settings().shared == tmp_path
