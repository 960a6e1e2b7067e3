#!/usr/bin/env python3
"""The Python side of scripts/cold-start.sh: a cold interpreter that does what
a cold `glint detect` does with the same graphs and the same runtime — load
the detector (SSD-MobileNet-v2) and the phrase encoder (all-MiniLM-L6-v2),
encode the phrase, run the detector on the photo — and prints the detections
as JSON.

    .glint/venv/bin/python benches/cold/python_detect.py onnx|openvino IMAGE PHRASE

The graphs are the ones glint loads (ssd.onnx / ssd.xml, cut before TF's
post-processing); the post-processing is scripts/ssd_post.py, the COCO table
scripts/reference.py. The
phrase is tokenised by looking its words up in vocab.txt (enough for plain
words such as "a cat"); the label mapping is by exact name.
"""
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import reference  # noqa: E402
import ssd_post  # noqa: E402

MODEL = ROOT / "models" / "coco-grounded-v1"


def token_ids(phrase):
    vocab = {w: i for i, w in enumerate((MODEL / "vocab.txt").read_text().splitlines())}
    ids = [vocab["[CLS]"]] + [vocab.get(w, vocab["[UNK]"]) for w in phrase.lower().split()] + [vocab["[SEP]"]]
    ids = np.array([ids], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def main():
    backend, image, phrase = sys.argv[1], sys.argv[2], sys.argv[3]
    photo = Image.open(image).convert("RGB")
    width, height = photo.size
    pixels = np.asarray(photo.resize((300, 300), Image.BILINEAR), dtype=np.uint8)[None]
    tokens = token_ids(phrase)
    if backend == "onnx":
        import onnxruntime as ort
        detector = ort.InferenceSession(str(MODEL / "ssd.onnx"), providers=["CPUExecutionProvider"])
        encoder = ort.InferenceSession(str(MODEL / "minilm.onnx"), providers=["CPUExecutionProvider"])
        names = [i.name for i in encoder.get_inputs()]
        embedding = encoder.run(None, {n: tokens[n] for n in names})[0]
        raw = detector.run(list(ssd_post.OUTPUTS), {"image_tensor:0": pixels})
    else:
        import openvino as ov
        core = ov.Core()
        core.set_property("CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        detector = core.compile_model(str(MODEL / "ssd.xml"), "CPU")
        encoder = core.compile_model(str(MODEL / "minilm.xml"), "CPU")
        names = [i.get_any_name() for i in encoder.inputs]
        embedding = encoder({n: tokens[n] for n in names})[encoder.outputs[0]]
        out = detector(pixels)
        by_name = {name: out[o] for o in detector.outputs for name in o.get_names()}
        raw = [by_name[n] for n in ssd_post.OUTPUTS]
    found = reference.detections(*ssd_post.postprocess(*raw), width, height)
    wanted = phrase.lower().split()[-1]
    print(json.dumps({"embedding_dims": int(np.asarray(embedding).shape[-1]),
                      "detections": [d for d in found if d["label"] == wanted]}))


main()
