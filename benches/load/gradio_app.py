#!/usr/bin/env python3
"""Gradio 5 baseline serving glint's default detector, for HTTP load comparisons.

    GRADIO_SERVER_PORT=7860 .glint/gradio-venv/bin/python benches/load/gradio_app.py

One function, detect(image, prompt, threshold), api_name="detect". The same graph glint
loads (models/coco-grounded-v1/ssd.onnx, cut before TF's post-processing) and the same
post-processing in numpy (scripts/ssd_post.py). Phrases map to COCO labels by exact name only (after
"a"/"an"/"the"/... and a plural "s" are stripped); glint's synonym table and MiniLM
fallback are not reproduced, so use prompts like "a cat".

Environment:
  GRADIO_SERVER_PORT   port (default 7860); always listens on 127.0.0.1
  ORT_THREADS          onnxruntime intra_op_num_threads (default 1)
  GRADIO_CONCURRENCY   concurrency_limit of the detect event (default 1 = Gradio's own default)
Prints "ready http://127.0.0.1:PORT" once the server accepts requests.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phone-home (the box is offline)

import gradio as gr
import numpy as np
import onnxruntime as ort
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import reference  # noqa: E402  -- COCO90 table, box conversion
import ssd_post  # noqa: E402  -- decode + per-class NMS

PORT = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
THREADS = int(os.environ.get("ORT_THREADS", "1"))
CONCURRENCY = int(os.environ.get("GRADIO_CONCURRENCY", "1"))

so = ort.SessionOptions()
so.intra_op_num_threads = THREADS
so.inter_op_num_threads = 1
SESSION = ort.InferenceSession(str(reference.MODEL_DIR / "ssd.onnx"), so, providers=["CPUExecutionProvider"])
LABELS = set(reference.COCO90.values())
SKIP = {"a", "an", "the", "some", "two", "three", "many", "one"}  # glint's phrases::normalize


def label_of(phrase: str):
    """'A cat' -> 'cat', 'two dogs' -> 'dog'; None when no COCO label has that exact name."""
    words = phrase.lower().split()
    while len(words) > 1 and words[0] in SKIP:
        words = words[1:]
    norm = " ".join(words)
    for cand in (norm, norm[:-1] if norm.endswith("s") and not norm.endswith("ss") else None):
        if cand in LABELS:
            return cand
    return None


def detect(image: Image.Image, prompt: str, threshold: float):
    if image is None:
        raise gr.Error("no image")
    phrases = [" ".join(p.split()) for p in (prompt or "").split(".") if p.strip()]
    wanted = [(p, label_of(p)) for p in phrases]
    im = image.convert("RGB")
    w, h = im.size
    arr = np.asarray(im.resize((300, 300), Image.BILINEAR), dtype=np.uint8)  # NHWC u8; the graph normalises itself
    raw = SESSION.run(list(ssd_post.OUTPUTS), {"image_tensor:0": arr[None]})
    dets = reference.detections(*ssd_post.postprocess(*raw), w, h, threshold=float(threshold))
    out = []
    for d in dets:  # already sorted by score, boxes in original pixels
        x0, y0, x1, y1 = (min(max(v, 0.0), lim) for v, lim in zip(d["box_px"], (w, h, w, h)))
        for phrase, label in wanted:
            if label == d["label"]:
                out.append({"phrase": phrase, "label": label, "score": d["score"],
                            "box": {"x0": x0, "y0": y0, "x1": x1, "y1": y1}})
    return {"detections": out, "width": w, "height": h}


demo = gr.Interface(
    fn=detect,
    inputs=[gr.Image(type="pil", image_mode="RGB", label="image"),
            gr.Textbox(value="a cat", label="prompt"),
            gr.Number(value=0.3, label="threshold")],
    outputs=gr.JSON(label="detections"),
    api_name="detect",
    concurrency_limit=CONCURRENCY,
    flagging_mode="never",
    title="glint baseline (Gradio)",
)

if __name__ == "__main__":
    demo.queue()
    demo.launch(server_name="127.0.0.1", server_port=PORT, ssr_mode=False,
                prevent_thread_lock=True, quiet=True)
    print(f"ready http://127.0.0.1:{PORT}", flush=True)
    demo.block_thread()
