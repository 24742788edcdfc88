"""The learned half of support-measure extraction (corpus.measures_model): its JSON scorer is
scikit-learn's model exactly, and the extractor uses it where the lexicon has no trigger."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from corpus.measures import extract_measures, unit_measure
from corpus.measures_model import FORMAT, TfidfLogit, char_ngrams, load_model, model
from corpus.records import Departments, Record
from corpus.tagging import split_sentences
from eval import train_measures as tm

GRANTS = ["对小微企业给予税收优惠。", "按规定给予社保补贴。", "免费提供技能培训。", "对符合条件的企业给予贷款贴息。",
          "优先安排养老服务设施用地。", "实行一照多址。"]
OTHERS = ["加强组织领导。", "违反本法规定的，处以罚款。", "本法自公布之日起施行。", "建立健全统计制度。",
          "企业应当依法纳税。", "各部门要加强协调配合。"]


def record(text: str) -> Record:
    return Record(id="t#1", doc_id="t", doc_title="测试文件", path="1", level="item", headings=[], title="",
                  text=text, responsibility="", raw=text, sentences=split_sentences(text),
                  departments=Departments(), targets=[], domains=[], tokens=[])


def test_char_ngrams_count_unigrams_and_bigrams():
    grams = char_ngrams("补贴补贴")
    assert grams["补"] == 2 and grams["补贴"] == 2 and grams["贴补"] == 1 and sum(grams.values()) == 7


def test_json_scorer_reproduces_scikit_learn(tmp_path):
    texts, labels = GRANTS + OTHERS, [True] * len(GRANTS) + [False] * len(OTHERS)
    svec, sclf = tm.fit_support(texts, labels)
    kinds = ["tax_relief", "social_insurance_subsidy", "training", "loans_credit", "land_premises", "streamlined_approval"]
    kvec, kclf = tm.fit_kind(GRANTS, kinds)
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format": FORMAT, "threshold": 0.5, "floor": 0.2,
                                "support": tm._as_dict(svec, sclf, binary=True),
                                "kind": tm._as_dict(kvec, kclf, binary=False)}, ensure_ascii=False), encoding="utf-8")
    loaded = load_model(path)
    probe = [*texts, "对家政企业给予培训补贴。", "完全无关的一句话"]
    ours = np.array([loaded.support_probability(t) for t in probe])
    theirs = sclf.predict_proba(svec.transform(probe))[:, 1]
    assert np.allclose(ours, theirs, atol=1e-5)
    assert [loaded.kind_of(t) for t in probe] == list(kclf.predict(kvec.transform(probe)))


def test_a_file_of_another_format_says_how_to_rebuild_it(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format": "something/0"}), encoding="utf-8")
    with pytest.raises(ValueError, match="eval.train_measures"):
        load_model(path)


def test_the_shipped_model_separates_a_grant_from_a_penalty():
    m = model()
    assert 0 < m.floor < m.threshold < 1
    assert m.support_probability("对符合条件的小微企业按规定给予社保补贴。") > m.threshold
    assert m.support_probability("违反本条例规定的，由有关部门责令改正，处以罚款。") < m.floor
    assert isinstance(m.support, TfidfLogit) and len(m.support.idf) > 1000


def test_a_grant_no_trigger_names_is_found_with_the_learned_kind():
    # 企业所得税优惠 is no lexicon trigger (税收优惠 is): the model finds it and names its kind
    [m] = extract_measures(record("国家对重点扶持和鼓励发展的产业和项目，给予企业所得税优惠。"))
    assert m.triggers == [] and m.kind == "tax_relief"
    assert m.instrument["text"] == "给予企业所得税优惠"


def test_without_a_grant_verb_a_sentence_the_model_takes_is_no_measure():
    takes_all = dataclasses.replace(model(), threshold=0.0, floor=0.0)
    duty = "公费师范生毕业后应当按照协议到中小学任教。"
    assert unit_measure(record(duty), 0, len(duty), learned=takes_all) is None
    grant = "国家对革命老区的农民专业合作社给予优先扶助。"
    assert unit_measure(record(grant), 0, len(grant), learned=takes_all) is not None


def test_a_duty_or_a_right_the_model_takes_is_no_grant_without_a_giving_verb():
    takes_all = dataclasses.replace(model(), threshold=0.0, floor=0.0)
    for text in ("设立公益性养老机构，应当依法办理相应的登记。", "一对夫妻可以生育三个子女。",
                 "经营高风险旅游项目，应当按照国家有关规定取得经营许可。"):
        assert unit_measure(record(text), 0, len(text), learned=takes_all) is None, text
    fund = "国家设立的创业投资引导基金，应当引导和支持创业投资机构投资初创期科技型中小企业。"
    assert unit_measure(record(fund), 0, len(fund), learned=takes_all) is not None
