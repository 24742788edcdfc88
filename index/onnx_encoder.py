"""The ONNX encoder backends: the built e5 checkpoint exported to ONNX (``onnx-fp32``) and
quantized (``onnx-int8``), run by onnxruntime without torch.

Built at set-up (``python -m index.model build``, after the fp32 model) into
``<model dir>/onnx/``: ``torch.onnx.export`` (TorchScript exporter, opset 17, eager
attention, inputs ``input_ids`` + ``attention_mask``) and onnxruntime's BERT fusions
(``EmbedLayerNormalization``, ``Attention``, ``SkipLayerNormalization``, ``BiasGelu``) give
``model-fp32.onnx``; ``quantize_dynamic`` with per-channel ``QInt8`` weights gives
``model-int8.onnx``. The FFN output projections stay fp32 (:data:`KEEP_FP32`): they take the
GELU activations, whose outliers per-tensor uint8 activation quantization handles worst;
leaving them out raised the cosine to the fp32 vectors from mean 0.9970 / min 0.9925 to
0.9992 / 0.9984 (reports/encoder-backends.md).

:class:`OnnxEncoder` runs either with ``tokenizers`` + onnxruntime — no torch, no
transformers — with the sentence-transformers model's prompts (``query: ``/``passage: ``),
max length, mean pooling and L2 normalization: token ids are identical to
``SentenceTransformer``'s, and the fp32 graph's vectors agree with it to cosine 1.00000.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from corpus.storage import replaced_dir
from index.model import FIX_HINT, ModelNotFoundError

log = logging.getLogger(__name__)

SUBDIR = "onnx"
#: Backend name → graph file in ``<model dir>/onnx/``.
FILES = {"onnx-fp32": "model-fp32.onnx", "onnx-int8": "model-int8.onnx"}
BACKENDS = tuple(FILES)
MARKER = "policyqa-onnx.json"
ONNX_BUILDER_VERSION = 1  # bump when export or quantization changes, so exports are rebuilt
#: Linear layers left in fp32, by role: "ffn_out" = each layer's ``output.dense`` (FFN down).
KEEP_FP32: tuple[str, ...] = ("ffn_out",)
_ENCODE_KWARGS = {"batch_size", "normalize_embeddings", "convert_to_numpy", "show_progress_bar",
                  "precision", "prompt_name", "prompt"}  # fmt: skip


def onnx_dir(model_dir: str | Path) -> Path:
    return Path(model_dir) / SUBDIR


def read_marker(model_dir: str | Path) -> dict[str, Any] | None:
    """The export's build marker ({..., "sha256": {backend: hex}}), or None when not built."""
    folder = onnx_dir(model_dir)
    try:
        if not all((folder / name).is_file() for name in FILES.values()):
            return None
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ build (set-up only)
def _source_identity(model_dir: Path) -> dict[str, Any]:
    """What the export is built from: the fp32 model's build marker, else its weights' hash."""
    marker = model_dir / "policyqa-model.json"
    if marker.is_file():
        return json.loads(marker.read_text(encoding="utf-8"))
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            with (model_dir / name).open("rb") as fh:
                return {"weights_sha256": hashlib.file_digest(fh, "sha256").hexdigest()}
    raise ModelNotFoundError(f"no model weights in {model_dir}: {FIX_HINT}")


def _wanted(model_dir: Path) -> dict[str, Any]:
    return {"source": _source_identity(model_dir), "builder": ONNX_BUILDER_VERSION,
            "quantization": {"weights": "QInt8", "per_channel": True, "keep_fp32": list(KEEP_FP32)}}


def is_built(model_dir: str | Path) -> bool:
    marker = read_marker(model_dir)
    return marker is not None and all(marker.get(k) == v for k, v in _wanted(Path(model_dir)).items())


def _export_fp32(model_dir: Path, out: Path) -> dict[str, int]:
    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
    bert = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):  # transformers 5's forward rejects the positional call
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 6, 7, 8, 2], [0, 6, 2, 1, 1]])
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches:
        # the graph is checked on other batch sizes and lengths (tests/test_encoder_backend.py)
        torch.onnx.export(LastHidden(bert), (ids, (ids != 1).long()), str(out), dynamo=False,
                          opset_version=17, input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes})
    return {"num_heads": config.num_attention_heads, "hidden_size": config.hidden_size,
            "layers": config.num_hidden_layers}


def _fuse(src: Path, out: Path, shape: dict[str, int]) -> dict[str, int]:
    """onnxruntime's BERT fusions (python-level only: ``opt_level=0`` bakes in nothing
    hardware-specific). Returns the fused-operator counts (all zero when nothing matched:
    the graph still runs, just slower)."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(src), model_type="bert", num_heads=shape["num_heads"],
                                     hidden_size=shape["hidden_size"], opt_level=0)
    fused.save_model_to_file(str(out))
    return {k: v for k, v in fused.get_fused_operator_statistics().items() if v}


def _quantize(src: Path, out: Path) -> list[str]:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    keep = [n.name for n in graph.node if n.op_type == "MatMul" and "ffn_out" in KEEP_FP32
            and "/intermediate/" in n.input[0]]  # fmt: skip
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))  # the quantizer logs one INFO line per tensor on root
    try:
        quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=keep, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)
    return keep


def build_onnx_export(model_dir: str | Path, force: bool = False) -> Path:
    """Export and quantize the local sentence-transformers model at ``model_dir`` into
    ``model_dir/onnx/``; a no-op when already built from the same weights.

    ~45 s and ~6.3 GB peak RSS on 2 cores; writes ~610 MB (fp32 470 MB, int8 140 MB)."""
    model_dir = Path(model_dir)
    if not (model_dir / "tokenizer.json").is_file() or not (model_dir / "config.json").is_file():
        raise ModelNotFoundError(f"no embedding model at {model_dir} to export: {FIX_HINT}")
    dest = onnx_dir(model_dir)
    if not force and is_built(model_dir):
        log.info("ONNX export already built at %s", dest)
        return dest
    started = time.monotonic()
    with replaced_dir(dest) as tmp:
        log.info("exporting %s to ONNX (fp32)", model_dir)
        shape = _export_fp32(model_dir, tmp / "fp32.onnx")
        log.info("fusing BERT operators")
        fused = _fuse(tmp / "fp32.onnx", tmp / FILES["onnx-fp32"], shape)
        (tmp / "fp32.onnx").unlink()
        log.info("quantizing (dynamic, per-channel QInt8 weights; fp32: %s)", ", ".join(KEEP_FP32) or "none")
        kept = _quantize(tmp / FILES["onnx-fp32"], tmp / FILES["onnx-int8"])
        digests = {}
        for backend, name in FILES.items():
            with (tmp / name).open("rb") as fh:
                digests[backend] = hashlib.file_digest(fh, "sha256").hexdigest()
        marker = {**_wanted(model_dir), "sha256": digests, "fused": fused, "fp32_nodes": len(kept),
                  "versions": {p: metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")}}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    log.info("built %s in %.1f s", dest, time.monotonic() - started)
    return dest


# ------------------------------------------------------------------ run (no torch)
class _TokenizerCall:
    """``tokenizer(texts)["input_ids"]`` as a transformers tokenizer answers it (tools/bench)."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer

    def __call__(self, texts: list[str], **_ignored) -> dict[str, list[list[int]]]:
        encoded = self._tokenizer.encode_batch(list(texts))
        return {"input_ids": [e.ids for e in encoded], "attention_mask": [e.attention_mask for e in encoded]}


class OnnxEncoder:
    """``encode_query`` / ``encode_document`` like ``SentenceTransformer``'s, on onnxruntime
    (``backend`` "onnx-int8" or "onnx-fp32").

    Returns ``(n, dim)`` float32 L2-normalized arrays (1-D for a single string). Accepts the
    keyword arguments the index passes (``batch_size``, ``convert_to_numpy``,
    ``normalize_embeddings`` — vectors are always normalized, as the model's Normalize module
    makes them —, ``show_progress_bar``); anything else is a ``TypeError``, not ignored."""

    def __init__(self, model_dir: str | Path, backend: str = "onnx-int8", threads: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if backend not in FILES:
            raise ValueError(f"unknown ONNX backend {backend!r} (known: {', '.join(FILES)})")
        self.backend = backend
        model_dir = Path(model_dir)
        path = onnx_dir(model_dir) / FILES[backend]
        if read_marker(model_dir) is None:
            raise ModelNotFoundError(f"no {backend} export at {path}: run `make setup` or "
                                     "`policyqa model build` (or set POLICYQA_ENCODER_BACKEND=torch)")
        modules = _json(model_dir / "modules.json", [])
        pooling = _json(model_dir / "1_Pooling" / "config.json", {})
        if not pooling.get("pooling_mode_mean_tokens") or not any(
                m.get("type", "").endswith("Normalize") for m in modules):
            raise ModelNotFoundError(f"{model_dir}: the {backend} backend runs mean-pooled, "
                                     "normalized models only — set POLICYQA_ENCODER_BACKEND=torch")
        config = _json(model_dir / "config.json", {})
        st_config = _json(model_dir / "sentence_bert_config.json", {})
        self.max_seq_length = min(int(st_config.get("max_seq_length") or 512),
                                  int(config.get("max_position_embeddings") or 512))
        self.prompts = _json(model_dir / "config_sentence_transformers.json", {}).get("prompts", {})
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_seq_length)
        self.pad_id = int(config.get("pad_token_id", 1))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.model_dir = model_dir
        self.tokenizer = _TokenizerCall(self._tokenizer)
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def encode_query(self, sentences, **kwargs) -> np.ndarray:
        return self.encode(sentences, prompt=self.prompts.get("query", ""), **kwargs)

    def encode_document(self, sentences, **kwargs) -> np.ndarray:
        return self.encode(sentences, prompt=self.prompts.get("document", ""), **kwargs)

    def encode(self, sentences, prompt: str = "", prompt_name: str | None = None, batch_size: int = 32,
               **kwargs) -> np.ndarray:
        unknown = set(kwargs) - _ENCODE_KWARGS
        if unknown:
            raise TypeError(f"OnnxEncoder.encode got unsupported arguments {sorted(unknown)}")
        if kwargs.get("convert_to_numpy") is False or kwargs.get("precision", "float32") != "float32":
            raise TypeError("OnnxEncoder returns float32 NumPy arrays only")
        if prompt_name is not None:
            prompt = self.prompts[prompt_name]
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        out = np.zeros((len(texts), self.dim), np.float32)
        if texts:
            encoded = self._tokenizer.encode_batch([prompt + t for t in texts])
            order = np.argsort([-len(e.ids) for e in encoded], kind="stable")  # less padding
            for start in range(0, len(order), max(1, int(batch_size))):
                rows = order[start : start + batch_size]
                out[rows] = self._forward([encoded[i].ids for i in rows])
        return out[0] if single else out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), self.pad_id, np.int64)
        mask = np.zeros((len(batch), width), np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        hidden = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        summed = np.einsum("bsh,bs->bh", hidden, mask.astype(np.float32))
        pooled = summed / mask.sum(1, keepdims=True).astype(np.float32)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
