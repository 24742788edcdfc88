"""The ONNX encoder backends: onnx-fp32 equal to the torch vectors, onnx-int8 close to them;
the backend recorded in the index manifest, never mixed with another's vectors, and a query
path without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import corpus
from corpus.config import REPO_ROOT, Settings
from corpus.errors import PolicyError
from index.build import build_index, check_fresh, get_encoder, model_fingerprint, open_index
from index.hybrid import search_text, vector_key
from index.model import build_default_model
from index.onnx_encoder import OnnxEncoder, build_onnx_export
from index.store import IndexManifest, StaleIndex, read_manifest

#: Policy sentences (queries and clauses) of the kind the index embeds.
SENTENCES = [
    "养老服务补贴的申请条件是什么？",
    "对经济困难的高龄、失能老年人发放养老服务补贴。",
    "托育机构备案需要提交哪些材料？",
    "省住建厅牵头，省发展改革委、省财政厅配合。",
    "加快发展普惠托育服务，每千人口拥有3岁以下婴幼儿托位数达到4.5个。",
    "2025年底前，全省街道综合性养老服务中心覆盖率达到60%。",
    "灵活就业人员可以申请社会保险补贴吗？",
    "第十二条 县级以上人民政府民政部门负责本行政区域内的养老服务工作。",
    "  全角　ＡＢＣ１２３ line\ttab  ",
    "养老服务" * 200,  # past 512 tokens: truncated like sentence-transformers does
]
DOC = """关于开展社区老年助餐服务试点的通知
一、试点目标
（一）助餐点覆盖。到2024年底，每个试点街道建成老年助餐点2个以上，助餐服务惠及独居高龄老人。
（二）服务质量。助餐点实行食品安全承诺制，菜品价格低于市场价一成。
二、保障措施
（一）资金支持。对运营满一年的助餐点给予一次性建设补贴，按就餐人次给予运营补助。
"""


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """The default model and its int8 export (both no-ops when `make model` has run)."""
    built = build_default_model(Settings().default_model_dir)
    build_onnx_export(built)
    return built


@pytest.fixture(scope="module")
def onnx_encoder(model_dir) -> OnnxEncoder:
    return get_encoder(Settings(model=str(model_dir), encoder_backend="onnx-int8"))


@pytest.fixture(scope="module")
def onnx_fp32_encoder(model_dir) -> OnnxEncoder:
    return get_encoder(Settings(model=str(model_dir), encoder_backend="onnx-fp32"))


@pytest.fixture(scope="module")
def torch_encoder(model_dir):
    return get_encoder(Settings(model=str(model_dir), encoder_backend="torch"))


# ---------------------------------------------------------------- vectors
@pytest.mark.parametrize("side", ["encode_query", "encode_document"])
def test_onnx_int8_vectors_are_close_to_the_torch_vectors(onnx_encoder, torch_encoder, side):
    kwargs = {"batch_size": 4, "convert_to_numpy": True, "normalize_embeddings": True}
    ours = getattr(onnx_encoder, side)(SENTENCES, **kwargs)
    ref = np.asarray(getattr(torch_encoder, side)(SENTENCES, **kwargs))
    assert onnx_encoder.backend == "onnx-int8"
    assert ours.shape == ref.shape == (len(SENTENCES), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * ref).sum(axis=1)
    assert cosine.min() >= 0.98, cosine
    assert cosine.mean() >= 0.995, cosine
    # Each sentence is nearest to its own torch vector, not merely close to everything.
    assert ((ours @ ref.T).argmax(axis=1) == np.arange(len(SENTENCES))).all()


@pytest.mark.parametrize("side", ["encode_query", "encode_document"])
def test_onnx_fp32_vectors_equal_the_torch_vectors(onnx_fp32_encoder, torch_encoder, side):
    """Same tokens, prompts, truncation, pooling: only float rounding differs."""
    kwargs = {"batch_size": 3, "convert_to_numpy": True, "normalize_embeddings": True}
    ours = getattr(onnx_fp32_encoder, side)(SENTENCES, **kwargs)
    ref = np.asarray(getattr(torch_encoder, side)(SENTENCES, **kwargs))
    assert onnx_fp32_encoder.backend == "onnx-fp32"
    assert (ours * ref).sum(axis=1).min() >= 0.99999


def test_query_and_document_prompts_differ_as_in_sentence_transformers(onnx_encoder, torch_encoder):
    text = SENTENCES[1]
    q, d = onnx_encoder.encode_query([text])[0], onnx_encoder.encode_document([text])[0]
    ref_q = torch_encoder.encode_query([text], convert_to_numpy=True, normalize_embeddings=True)[0]
    assert float(q @ d) < 0.99  # "query: " and "passage: " prefixes were applied
    assert float(q @ ref_q) > float(d @ ref_q)


def test_single_string_batches_and_bad_arguments(onnx_encoder):
    one = onnx_encoder.encode_query(SENTENCES[0])
    assert one.shape == (384,)
    batched = onnx_encoder.encode_query(SENTENCES, batch_size=3)
    assert float(one @ batched[0]) > 0.995  # a text's vector barely depends on its batch
    assert onnx_encoder.encode_document([]).shape == (0, 384)
    with pytest.raises(TypeError, match="convert_to_tensor"):
        onnx_encoder.encode_query(SENTENCES, convert_to_tensor=True)
    with pytest.raises(TypeError):
        onnx_encoder.encode_query(SENTENCES, convert_to_numpy=False)


def test_a_missing_export_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="onnx-int8.*policyqa model build"):
        get_encoder(Settings(model=str(tmp_path), encoder_backend="onnx-int8"))


def test_the_setting_is_validated(monkeypatch):
    monkeypatch.setenv("POLICYQA_ENCODER_BACKEND", "onnx-int8")
    assert Settings().encoder_backend == "onnx-int8"
    monkeypatch.setenv("POLICYQA_ENCODER_BACKEND", "int4")
    with pytest.raises(PolicyError, match="POLICYQA_ENCODER_BACKEND.*torch, onnx-fp32, onnx-int8"):
        Settings()


# ---------------------------------------------------------------- the index
@pytest.fixture(scope="module")
def onnx_home(tmp_path_factory, model_dir) -> Settings:
    """A one-document home indexed by `policyqa index build --backend onnx-int8`."""
    from click.testing import CliRunner

    from app.cli import main

    base = tmp_path_factory.mktemp("onnx-home")
    (base / "shipped").mkdir()
    (base / "助餐试点.txt").write_text(DOC, encoding="utf-8")
    settings = Settings(home=base / "home", docs_dir=base / "shipped", model=str(model_dir),
                        encoder_backend="onnx-int8")
    corpus.build(settings, paths=[base / "助餐试点.txt"])
    env = {"POLICYQA_DOCS": str(settings.docs_dir), "POLICYQA_MODEL": str(model_dir)}
    result = CliRunner(env=env).invoke(main, ["index", "build", "--backend", "onnx-int8",
                                              "--home", str(settings.home)])
    assert result.exit_code == 0, result.output
    return settings


def _keys(settings: Settings) -> set[str]:
    return set(json.loads((settings.index_dir / "vector_keys.json").read_text(encoding="utf-8")))


def test_the_manifest_records_the_backend(onnx_home, model_dir):
    manifest = read_manifest(onnx_home.index_dir)
    assert manifest.model.backend == "onnx-int8"
    assert manifest.model.fingerprint == model_fingerprint(str(model_dir), "onnx-int8")
    others = {model_fingerprint(str(model_dir), b) for b in ("torch", "onnx-fp32")}
    assert manifest.model.fingerprint not in others and len(others) == 2
    raw = json.loads((onnx_home.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert raw["model"]["backend"] == "onnx-int8"
    check_fresh(onnx_home, manifest)  # same backend: fresh


def test_a_manifest_from_before_backends_reads_as_torch(onnx_home):
    raw = json.loads((onnx_home.index_dir / "manifest.json").read_text(encoding="utf-8"))
    del raw["model"]["backend"]
    assert IndexManifest.from_dict(raw).model.backend == "torch"


def test_a_backend_mismatch_is_stale_and_the_rebuild_re_embeds(onnx_home, tmp_path, torch_encoder):
    import shutil

    shutil.copytree(onnx_home.home, tmp_path / "home", symlinks=True)
    as_onnx = replace(onnx_home, home=tmp_path / "home")
    as_torch = replace(as_onnx, encoder_backend="torch")
    onnx_keys = _keys(as_onnx)
    with pytest.raises(StaleIndex, match="onnx-int8 encoder backend.*torch"):
        check_fresh(as_torch, read_manifest(as_torch.index_dir))
    with pytest.raises(ValueError, match="onnx-int8"):  # an encoder of the other backend
        build_index(as_onnx, torch_encoder)

    rebuilt = open_index(as_torch)  # stale → rebuilt with the torch encoder
    counts = rebuilt.manifest.counts
    assert rebuilt.manifest.model.backend == "torch"
    assert counts.reused == 0 and counts.embedded == len(onnx_keys)  # nothing of int8 re-used
    assert not _keys(as_torch) & onnx_keys  # the vector keys include the backend
    records = corpus.load_records(as_torch)
    text = search_text(records[0])
    assert vector_key(model_fingerprint(as_torch.model_path, "torch"), text) in _keys(as_torch)
    check_fresh(as_torch, read_manifest(as_torch.index_dir))
    with pytest.raises(StaleIndex, match="torch encoder backend"):
        check_fresh(as_onnx, read_manifest(as_onnx.index_dir))


def test_the_onnx_query_path_never_imports_torch(onnx_home):
    """A hybrid CLI search and an answer on the onnx-int8 index, in a fresh interpreter."""
    script = """
import contextlib, io, json, sys
from app.cli import main
out = io.StringIO()
for argv in (["search", "独居高龄老人助餐点", "--mode", "hybrid", "--json"], ["ask", "助餐点菜价多少", "--json"]):
    with contextlib.redirect_stdout(out):
        try:
            main([*argv, "--home", sys.argv[1]], standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code, exc.code
from index.build import _ENCODERS
print(json.dumps({"lines": out.getvalue().splitlines(),
                  "encoders": [type(e).__name__ for e in _ENCODERS.values()],
                  "loaded": sorted(m for m in ("torch", "transformers", "sentence_transformers")
                                   if m in sys.modules)}))
"""
    env = {**os.environ, "POLICYQA_ENCODER_BACKEND": "onnx-int8", "POLICYQA_MODEL": onnx_home.model,
           "POLICYQA_DOCS": str(onnx_home.docs_dir), "POLICYQA_HOME": str(onnx_home.home)}
    done = subprocess.run([sys.executable, "-c", script, str(onnx_home.home)], check=False, env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["loaded"] == [], report["loaded"]
    assert report["encoders"] == ["OnnxEncoder"]  # the query was really encoded, by onnx
    search, answer = (json.loads(line) for line in report["lines"])
    assert search["hits"][0]["id"].endswith("#一(一)")
    assert answer["citations"]
    check_fresh(onnx_home, read_manifest(onnx_home.index_dir))  # and nothing was rebuilt
