#!/usr/bin/env python3
"""Writes tests/models/owlvit-synthetic/: a SYNTHETIC model with the OWL-ViT /
OWLv2 ONNX signature, plus a tiny CLIP-BPE tokenizer for it. It is not a
trained model; it exists so the `owlvit` family's tokenisation, preprocessing
and post-processing run through the real wasi-nn path with known answers.

Signature (as exported OWL-ViT models have it):
  inputs   input_ids [Q, T] int64, pixel_values [1, 3, 64, 64] float32, attention_mask [Q, T] int64
  outputs  logits [1, 16, Q] float32, pred_boxes [1, 16, 4] float32 (cx, cy, w, h in [0, 1])

What it computes: the image is cut into a 4 x 4 grid of 16 x 16 patches; each
patch's mean (CLIP-normalised) colour is dotted with the sum of the query's
token embeddings, minus 3. Only the tokens "red" and "blue" have embeddings
(4 on the red / blue channel), so "a red thing" scores high exactly on red
patches. pred_boxes is each patch's own cell. Deterministic output.

    .glint/venv/bin/python scripts/make-synthetic-owlvit.py [out_dir]
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests/models/owlvit-synthetic"
GRID, PATCH = 4, 16
SIDE = GRID * PATCH


def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]


def tokenizer():
    vocab = ["!"]  # CLIP's pad token, id 0
    chars = bytes_to_unicode()
    vocab += [c for c in chars if c != "!"] + [c + "</w>" for c in chars]
    merges = []
    for word in ["red", "blue", "thing"]:
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        left = parts[0]
        for right in parts[1:]:
            merges.append(f"{left} {right}")
            left = left + right
            vocab.append(left)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(vocab)}, merges


def graph(vocab):
    emb = np.zeros((len(vocab), 3), np.float32)
    emb[vocab["red</w>"]] = [4, 0, 0]
    emb[vocab["blue</w>"]] = [0, 0, 4]
    boxes = np.zeros((1, GRID * GRID, 4), np.float32)
    for row in range(GRID):
        for col in range(GRID):
            boxes[0, row * GRID + col] = [(col + 0.5) / GRID, (row + 0.5) / GRID, 1 / GRID, 1 / GRID]
    init = [
        numpy_helper.from_array(emb, "token_embedding"),
        numpy_helper.from_array(np.array([1, 3, GRID * GRID], np.int64), "patch_shape"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array(3.0, np.float32), "bias"),
    ]
    nodes = [
        helper.make_node("AveragePool", ["pixel_values"], ["pooled"], kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH]),
        helper.make_node("Reshape", ["pooled", "patch_shape"], ["flat"]),
        helper.make_node("Transpose", ["flat"], ["patches"], perm=[0, 2, 1]),
        helper.make_node("Gather", ["token_embedding", "input_ids"], ["tok"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tok", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["text"], keepdims=0),
        helper.make_node("Transpose", ["text"], ["text_t"], perm=[1, 0]),
        helper.make_node("MatMul", ["patches", "text_t"], ["scores"]),
        helper.make_node("Sub", ["scores", "bias"], ["logits"]),
        helper.make_node("Constant", [], ["pred_boxes"], value=numpy_helper.from_array(boxes)),
    ]
    g = helper.make_graph(
        nodes,
        "owlvit_synthetic",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["Q", "T"]),
            helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [1, 3, SIDE, SIDE]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["Q", "T"]),
        ],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, GRID * GRID, "Q"]),
            helper.make_tensor_value_info("pred_boxes", TensorProto.FLOAT, [1, GRID * GRID, 4]),
        ],
        init,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="glint synthetic")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    vocab, merges = tokenizer()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, sort_keys=True))
    (OUT / "merges.txt").write_text("#version: synthetic\n" + "\n".join(merges) + "\n")
    onnx.save(graph(vocab), OUT / "model.onnx")
    print(f"wrote {OUT}/model.onnx, vocab.json ({len(vocab)} tokens), merges.txt ({len(merges)} merges)")


if __name__ == "__main__":
    main()
