"""The plan, from its raw scraped file to clause records (issue: clause corpus)."""

from __future__ import annotations

import re

import pytest

from corpus.normalize import GARBLED_ANCHOR_RE, TONED
from corpus.records import Record


def test_plan_structure_counts(plan_records):
    paths = list(plan_records)
    assert [p for p in paths if p.startswith("一")] == ["一(一)", "一(二)"]
    assert [p for p in paths if p.startswith("二")] == ["二¶1", "二¶2"]
    items_per_section = {}
    for p in paths:
        if m := re.fullmatch(r"三\((.)\)(\d)", p):
            items_per_section.setdefault(m.group(1), []).append(p)
    assert [len(v) for v in items_per_section.values()] == [3, 3, 2, 3, 2, 5, 4]
    assert sum(len(v) for v in items_per_section.values()) == 22
    assert [p for p in paths if p.startswith("四")] == ["四(一)", "四(二)", "四(三)", "四(四)"]
    assert [p for p in paths if p.startswith("五")] == ["五(一)", "五(二)", "五(三)", "五(四)"]


def test_record_ids_are_doc_and_path(plan_records):
    for path, record in plan_records.items():
        assert record.id == f"gansu-2022-46#{path}"
        assert record.doc_id == "gansu-2022-46"
        assert "生活性服务业" in record.doc_title


def test_headings_title_and_text(plan_records):
    record = plan_records["三(二)1"]
    assert record.headings == ["重点任务", "场地设施补短板行动"]
    assert record.title == "推动社区基础服务设施达标"
    assert record.text.startswith("推动社区基础服务设施达标。结合推进城镇老旧小区改造")
    assert "牵头" not in record.text, "the department note is not part of the text"
    assert record.responsibility.startswith("省住建厅牵头")
    assert "發(fā)展" not in record.raw and "(" in record.raw, "raw keeps the scraped text"
    assert plan_records["一(一)"].title == "指导思想"
    assert plan_records["四(一)"].title == "加强财税和投资支持"


@pytest.mark.parametrize(
    "path, lead",
    [
        ("三(二)1", ["省住建厅"]),
        ("三(二)2", ["省民政厅", "省卫生健康委", "省残联"]),
        ("三(三)1", ["省市场监管局"]),
        ("三(四)3", ["省人社厅"]),
        ("三(七)3", ["省市场监管局", "省发展改革委"]),
        ("四(二)", ["省发展改革委", "省工信厅", "省金融监管局", "人行兰州中心支行", "甘肃银保监局"]),
    ],
)
def test_lead_departments(plan_records, path, lead):
    assert plan_records[path].departments.lead == lead


def test_co_only_and_bracketed_names(plan_records):
    record = plan_records["三(一)2"]
    assert record.departments.lead == []
    assert record.departments.co
    assert "省政府办公厅〔省大数据管理局〕" in plan_records["三(七)1"].departments.co
    assert "省粮食和储备局" in plan_records["四(四)"].departments.co
    assert plan_records["三(二)1"].departments.co[:2] == ["省教育厅", "省民政厅"]


def test_every_task_and_measure_has_departments(plan_records):
    for path, record in plan_records.items():
        if path.startswith(("三", "四")):
            assert record.departments, path


def test_implementers_are_inherited_through_part_three(plan_records):
    inherited = ["市州人民政府", "兰州新区管委会"]
    assert plan_records["三(一)1"].departments.implementers == inherited
    for path, record in plan_records.items():
        if path.startswith("三") and path != "三(一)1":
            assert record.departments.implementers == inherited, path
        if path.startswith(("四", "五")):
            assert record.departments.implementers == [], path


def test_no_pinyin_traditional_or_garbled_text_remains(plan_records):
    from corpus.normalize import to_simplified

    for record in plan_records.values():
        for field in (record.text, record.title, record.responsibility, *record.headings):
            assert not re.search(rf"\([a-zü]*[{TONED}][a-zü]*\)", field), record.id
            assert to_simplified(field) == field, record.id
            assert not GARBLED_ANCHOR_RE.search(field), record.id
            assert "?" not in field and "？？" not in field, record.id


def test_errata_restore_the_six_garbled_spans(plan_records):
    text = "".join(r.text for r in plan_records.values())
    assert text.count("居住（小）区") == 2
    for restored in ["向学生开放", "向专业化", "高级技工学校或技师学院", "临床重点专科建设",
                     "当地群众可承受度以及相关机构"]:
        assert restored in text


def test_quality_report_lists_errata_as_applied(plan_settings):
    import corpus

    report = corpus.load_report(plan_settings).documents[0]
    assert len(report.errata_applied) == 6
    assert all(e.times >= 1 for e in report.errata_applied)
    assert report.unresolved == ()
    assert len(report.garbled_found) >= 6
    assert report.pinyin_removed + report.pinyin_in_errata == 1281


def test_punctuation_is_full_width(plan_records):
    record = plan_records["三(二)1"]
    assert "," not in record.text and "，" in record.text
    assert "（" in plan_records["二¶2"].text  # 执业（助理）医师


def _target(records, value, unit):
    return [t for r in records.values() for t in r.targets if t.value == value and t.unit == unit]


@pytest.mark.parametrize(
    "value, unit, indicator_part, deadline",
    [
        (4.5, "个", "托位", 2025),
        (93, "%", "普惠性幼儿园", 2025),
        (3.2, "人", "医师", 2025),
        (4.5, "人", "注册护士", 2025),
        (8, "张", "床位", 2025),
        (55, "%", "护理型床位", 2025),
        (992.7, "平方米", "公共文化设施", 2025),
        (2.5, "平方米", "体育场地", 2025),
        (5, "万名", "养老护理员", 2025),
        (2, "万人次", "爱心理发员", 2023),
        (0.5, "万人", "在校生", 2025),
    ],
)
def test_targets_are_extracted(plan_records, value, unit, indicator_part, deadline):
    found = [t for t in _target(plan_records, value, unit) if indicator_part in t.indicator]
    assert found, f"{value}{unit} {indicator_part}"
    assert found[0].deadline == deadline


def test_section_two_holds_about_twenty_targets(plan_records):
    targets = plan_records["二¶2"].targets
    assert 18 <= len(targets) <= 24
    comparators = {t.comparator for t in targets}
    assert {"以上", "不少于", "达到"} <= comparators


def test_target_offsets_point_at_the_phrase(plan_records):
    for record in plan_records.values():
        for target in record.targets:
            assert record.text[target.start : target.end] == target.phrase


def test_sentences_are_spans_of_text(plan_records):
    for record in plan_records.values():
        assert record.sentences
        for sentence in record.sentences:
            assert record.text[sentence.start : sentence.end] == sentence.text


def test_domains_and_tokens(plan_records):
    assert "养老" in plan_records["三(二)2"].domains
    assert "金融财税" in plan_records["四(二)"].domains
    tokens = plan_records["三(二)1"].tokens
    assert "省住建厅" not in tokens  # the note is not in the text …
    assert "老旧小区改造" in tokens or "老旧小区" in tokens
    assert "适老化" in plan_records["三(二)2"].tokens  # … and policy terms stay whole


def test_records_round_trip_through_json(plan_records):
    record = plan_records["三(四)2"]
    assert Record.from_dict(record.to_dict()) == record
