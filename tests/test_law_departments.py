"""Responsible bodies named in law articles (corpus.law_bodies.parse_law_article,
body_level, sector_of). Pure: no model, no build, no shared corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.departments import load_dictionary, parse_note
from corpus.law_bodies import parse_law_article
from corpus.law_vocabulary import body_level, load_law_vocabulary, normalize_law_body, sector_of
from corpus.records import Departments

GOLD = Path(__file__).parent / "data" / "law_bodies_gold.jsonl"
L = "县级以上地方人民政府"


def lead(text):
    return parse_law_article(text).lead


# -- the brief's examples ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("国务院民政部门负责全国老年人权益保障工作。", ["国务院民政部门"]),
        (
            "县级以上地方人民政府卫生健康主管部门负责本行政区域内的计划生育工作。",
            [L + "卫生健康主管部门"],
        ),
        (
            "国务院人力资源社会保障行政部门负责全国的促进就业工作。",
            ["国务院人力资源社会保障行政部门"],
        ),
        ("各级人民政府应当将老龄事业纳入国民经济和社会发展规划。", ["各级人民政府"]),
        ("县级以上人民政府应当将体育事业纳入国民经济和社会发展规划。", [L]),
        ("残疾人联合会应当组织开展免费的职业指导。", ["残疾人联合会"]),
        ("中国残疾人联合会及其地方组织，代表残疾人的共同利益。", ["中国残疾人联合会"]),
    ],
)
def test_brief_examples(text, expected):
    assert lead(text) == expected


def test_the_state_is_not_a_body():
    assert not parse_law_article("国家建立健全养老服务人才培养、使用、评价和激励制度。")
    assert not parse_law_article("国家鼓励慈善组织以及其他组织和个人为老年人提供物质帮助。")


@pytest.mark.parametrize(
    "text",
    [
        "每年农历九月初九为老年节。",
        "禁止对老年人实施家庭暴力。",
        "赡养人应当履行对老年人经济上供养、生活上照料和精神上慰藉的义务。",
        "有关部门应当及时办理相关手续。",  # generic: names no body
        "县级以上人民政府有关部门应当在各自职责范围内提供慈善需求信息。",
        "",
    ],
)
def test_no_body_gives_empty_departments(text):
    d = parse_law_article(text)
    assert d == Departments() and not d
    assert d.to_dict() == {"lead": [], "co": [], "implementers": []}


# -- normalization and level --------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "县级以上人民政府",
        "县级以上地方人民政府",
        "县级以上地方各级人民政府",
        "县级以上各级人民政府",
    ],
)
def test_county_and_above_is_one_form(written):
    assert normalize_law_body(written) == L
    assert normalize_law_body(written + "民政部门") == L + "民政部门"
    assert lead(f"{written}民政部门负责养老机构的指导、监督和管理。") == [L + "民政部门"]


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("卫生行政部门", "卫生健康主管部门"),
        ("卫生健康部门", "卫生健康主管部门"),
        ("劳动行政部门", "人力资源社会保障行政部门"),
        ("人力资源和社会保障部门", "人力资源社会保障行政部门"),
        ("旅游主管部门", "文化和旅游主管部门"),
        ("市场监管部门", "市场监督管理部门"),
        ("公安部门", "公安机关"),
        ("国务院卫生行政部门", "国务院卫生健康主管部门"),
        ("国家体育行政部门", "国务院体育行政部门"),
        ("地方人民政府", "地方各级人民政府"),
        ("乡、民族乡、镇的人民政府", "乡镇人民政府"),
        ("省级人民政府", "省、自治区、直辖市人民政府"),
        ("社会保险行政部门", "社会保险行政部门"),  # its own body, sector 人社
        ("有关部门", None),
        ("国家", None),
        ("省民政厅", None),  # the plan's, not a law's
    ],
)
def test_normalize_law_body(written, canonical):
    assert normalize_law_body(written) == canonical


@pytest.mark.parametrize(
    "name, level",
    [
        ("国务院", "national"),
        ("国务院民政部门", "national"),
        ("国家体育行政部门", "national"),
        ("中国残疾人联合会", "national"),
        ("中央军事委员会", "national"),
        ("县级以上地方人民政府民政部门", "local"),
        ("县级以上人民政府民政部门", "local"),
        ("县级以上地方人民政府", "local"),
        ("地方各级人民政府", "local"),
        ("各级人民政府", "local"),
        ("省、自治区、直辖市人民政府", "local"),
        ("乡镇人民政府", "local"),
        ("街道办事处", "local"),
        ("县级以上地方人民政府负责老龄工作的机构", "local"),
        ("省民政厅", "provincial"),
        ("省卫生健康委", "provincial"),
        ("市州人民政府", "local"),
        ("民政部门", None),
        ("人民法院", None),
        ("省级以上人民政府教育行政部门", None),
        ("有关部门", None),
    ],
)
def test_body_level(name, level):
    assert body_level(name) == level


# -- sectors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names, sector",
    [
        (
            ["民政部门", "国务院民政部门", L + "民政部门", "省民政厅", "民政", "民政局", "民政部"],
            "民政",
        ),
        (
            ["卫生健康部门", "卫健委", "卫生行政部门", "国务院卫生健康主管部门", "省卫生健康委"],
            "卫生健康",
        ),
        (
            [
                "人社部门",
                "劳动行政部门",
                "国务院人力资源社会保障行政部门",
                "省人社厅",
                "社会保险行政部门",
            ],
            "人力资源社会保障",
        ),
        (["教育行政部门", "教育局", "省教育厅"], "教育"),
        (["国务院体育行政部门", "体育总局", "省体育局"], "体育"),
        (["旅游主管部门", "文旅部门", "省文旅厅"], "文化和旅游"),
        (["市场监管局", "市场监督管理部门", "省市场监管局"], "市场监督管理"),
        (["财政部门", "国务院财政部门", "省财政厅"], "财政"),
        (["税务机关", "国务院税务部门", "省税务局"], "税务"),
        (["残联", "中国残疾人联合会", "省残联"], "残联"),
    ],
)
def test_sector_of_reaches_every_level(names, sector):
    for name in names:
        assert sector_of(name) == sector, name


@pytest.mark.parametrize(
    "name", ["国务院", "县级以上地方人民政府", "各级人民政府", "有关部门", "国家", ""]
)
def test_governments_and_generic_names_have_no_sector(name):
    assert sector_of(name) is None


def test_sector_filter_reaches_national_local_and_plan_bodies():
    names = ["国务院民政部门", L + "民政部门", "省民政厅", "国务院教育行政部门", L]
    assert [n for n in names if sector_of(n) == sector_of("民政部门")] == names[:3]


def test_vocabulary_agrees_with_the_plan_dictionary():
    vocab = load_law_vocabulary()
    plan = set(load_dictionary().names)
    assert set(vocab.plan_sector) | vocab.local_plan_names == plan
    for name in plan - vocab.local_plan_names:
        assert sector_of(name), name


# -- roles --------------------------------------------------------------------------


def test_huitong_partners_are_co_and_inherit_the_tier():
    d = parse_law_article(
        "国家基本公共卫生服务项目由国务院卫生健康主管部门会同国务院财政部门、中医药主管部门等共同确定。"
    )
    assert d.lead == ["国务院卫生健康主管部门"]
    assert d.co == ["国务院财政部门", "国务院中医药主管部门"]
    d = parse_law_article(
        "县级以上人民政府体育行政部门会同卫生健康、教育、公安、海关等部门，对兴奋剂问题实施综合治理。"
    )
    assert d.lead == [L + "体育行政部门"]
    assert d.co == [L + "卫生健康主管部门", L + "教育行政部门", L + "公安机关", "海关"]


def test_cooperating_and_assisting_subjects_are_co():
    d = parse_law_article(
        "民政部门承担临时监护或者长期监护职责的，财政、教育、卫生健康、公安等部门应当根据各自职责予以配合。"
    )
    assert d.lead == []  # 民政部门 is only in the condition
    assert d.co == ["财政部门", "教育行政部门", "卫生健康主管部门", "公安机关"]
    d = parse_law_article(
        "工会、共产主义青年团、妇女联合会、残疾人联合会以及其他社会组织，协助人民政府开展促进就业工作。"
    )
    assert d == Departments([], ["工会", "共产主义青年团", "妇女联合会", "残疾人联合会"])


def test_respective_duties_are_co_beside_a_lead_else_lead():
    d = parse_law_article(
        "县级以上人民政府体育行政部门对体育赛事活动依法进行监管。\n"
        "县级以上人民政府公安、市场监管、应急管理等部门按照各自职责对体育赛事活动进行监督管理。"
    )
    assert d.lead == [L + "体育行政部门"]
    assert d.co == [L + "公安机关", L + "市场监督管理部门", L + "应急管理部门"]
    d = parse_law_article("财政部门、审计机关按照各自职责，对社会保险基金的收支实施监督。")
    assert d == Departments(["财政部门", "审计机关"], [])


def test_agent_after_you():
    assert lead("具体办法由国务院民政部门制定。") == ["国务院民政部门"]
    assert lead("慈善组织有下列情形之一的，由县级以上人民政府民政部门责令限期改正。") == [
        L + "民政部门"
    ]
    # …but not a modifier (由…印制的) nor the members of a committee (由…代表…组成)
    assert lead("应当向捐赠人开具由财政部门统一监（印）制的捐赠票据。") == []
    assert lead("体育仲裁委员会由体育行政部门代表、运动员代表组成。") == []


@pytest.mark.parametrize(
    "text",
    [
        "养老机构登记后即可开展服务活动，并向县级以上人民政府民政部门备案。",
        "社会保险基金在保证安全的前提下，按照国务院规定投资运营实现保值增值。",
        "各级各类体育运动学校应当根据国务院体育行政部门制定的教学训练大纲开展业余体育训练。",
        "国务院民政部门指定的互联网公开募捐服务平台，提供公开募捐信息展示服务。",
        "单项体育协会应当接受体育行政部门的指导和监管。",
        "学校、幼儿园应当协助卫生健康部门做好卫生保健工作。",
        (
            "违反本法规定，地方各级人民政府、县级以上人民政府卫生健康主管部门和其他有关部门，"
            "滥用职权、玩忽职守、徇私舞弊的，对直接负责的主管人员依法给予处分。"
        ),
        "社会保险行政部门实施监督检查时，被检查的用人单位和个人应当如实提供与社会保险有关的资料。",
    ],
)
def test_objects_conditions_and_modifiers_are_not_responsible(text):
    assert not parse_law_article(text), text


def test_approving_body_is_not_the_subject():
    d = parse_law_article(
        "社会保险经办机构根据工作需要，经所在地的社会保险行政部门批准，可以设立分支机构。"
    )
    assert d == Departments(["社会保险经办机构"], [])


def test_subject_of_a_time_clause_is_kept_when_the_main_clause_has_none():
    assert lead("县级以上人民政府在社会保险基金出现支付不足时，给予补贴。") == [L]
    assert lead("县级以上地方人民政府对职业中介机构提供公益性就业服务的，按照规定给予补贴。") == [L]


def test_functional_bodies_and_coordinated_governments():
    d = parse_law_article(
        "国务院制定国家老龄事业发展规划。县级以上地方人民政府根据国家老龄事业发展规划，制定本行政区域的规划。\n"
        "县级以上人民政府负责老龄工作的机构，负责组织、协调、指导、督促有关部门做好老年人权益保障工作。"
    )
    assert d.lead == ["国务院", L, L + "负责老龄工作的机构"]
    assert lead("国务院和地方各级人民政府领导医疗卫生与健康促进工作。") == [
        "国务院",
        "地方各级人民政府",
    ]
    assert lead("县级以上人民政府及其民政部门应当根据需要设立未成年人救助保护机构。") == [
        L,
        L + "民政部门",
    ]


def test_plan_note_parsing_is_unchanged():
    d = parse_note("省住建厅牵头，省教育厅、省民政厅等部门按职责分工负责")
    assert d.lead == ["省住建厅"] and d.co[:2] == ["省教育厅", "省民政厅"]


# -- the hand-labelled gold set -----------------------------------------------------


def _gold():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]


def _score(rows):
    tp = fp = fn = 0
    for row in rows:
        d = parse_law_article(row["text"])
        gold, pred = {*row["lead"], *row["co"]}, {*d.lead, *d.co}
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def test_gold_set_is_big_and_varied():
    rows = _gold()
    assert len(rows) >= 60
    assert len({r["doc_id"] for r in rows}) >= 6
    assert sum(1 for r in rows if not r["lead"] and not r["co"]) >= 15  # articles with no body
    for r in rows:
        assert {"doc_id", "path", "text", "lead", "co"} <= set(r)


@pytest.mark.parametrize("split", [None, "heldout"])
def test_gold_precision_and_recall(split):
    rows = [r for r in _gold() if split is None or r.get("split") == split]
    precision, recall = _score(rows)
    assert precision >= 0.9, precision
    assert recall >= 0.7, recall


def test_gold_roles():
    """Beyond the names: lead vs co as labelled (name+role pairs)."""
    right = total = 0
    for row in _gold():
        d = parse_law_article(row["text"])
        gold = {(n, "lead") for n in row["lead"]} | {(n, "co") for n in row["co"]}
        right += len(gold & ({(n, "lead") for n in d.lead} | {(n, "co") for n in d.co}))
        total += len(gold)
    assert right / total >= 0.9
