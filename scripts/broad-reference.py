#!/usr/bin/env python3
"""Native reference boxes for broad-v1's tests (tests/data/broad-reference.json).

For each (photo, ImageNet label) case: the SSD (onnxruntime) proposes boxes of
any class scoring >= 0.1; EfficientNet-Lite3 (onnxruntime) classifies each
proposal widened by 10% per side, and the fixed windows (whole image, four
corners at 0.6 of each side); the reference is the proposal with the highest
probability of the label when it reaches 0.3 (a tight box), else the window
with the highest probability. Written independently of the Rust code, with PIL's
resizes, so the component's boxes are checked against another implementation.
Run from the repository root after scripts/setup.sh:
  .glint/venv/bin/python scripts/broad-reference.py > tests/data/broad-reference.json
"""
import hashlib
import json
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, "scripts")
from ssd_post import iou  # noqa: E402

CASES = [("samples/coffee.png", "espresso"), ("samples/chelsea.png", "Egyptian cat"),
         ("samples/astronaut.png", "space shuttle")]
M = "models/broad-v1"


def main():
    # the uncut graph: TF's own post-processing, independent of glint's
    ssd = ort.InferenceSession("models/coco-grounded-v1/ssd-postprocessed.onnx", providers=["CPUExecutionProvider"])
    eff = ort.InferenceSession(f"{M}/effnet.onnx", providers=["CPUExecutionProvider"])
    labels = open(f"{M}/imagenet-labels.txt", encoding="utf-8").read().split("\n")
    names = [l.split(",")[0].strip() for l in labels]
    out = {"generated_by": "scripts/broad-reference.py", "box_px": "[x0, y0, x1, y1] in pixels", "cases": []}
    for path, label in CASES:
        img = Image.open(path).convert("RGB")
        w, h = img.size
        r = ssd.run(None, {"image_tensor:0": np.asarray(img, dtype=np.uint8)[None]})
        outs = {o.name: v for o, v in zip(ssd.get_outputs(), r)}
        boxes, scores = outs["detection_boxes:0"][0], outs["detection_scores:0"][0]
        regions = []
        kept = []
        for b, s in sorted(zip(boxes, scores), key=lambda t: -t[1]):
            if s < 0.1:
                break
            box = [b[1] * w, b[0] * h, b[3] * w, b[2] * h]
            if all(iou(box, k) <= 0.5 for k in kept):
                kept.append(box)
        for box in kept[:4]:
            mx, my = (box[2] - box[0]) * 0.1, (box[3] - box[1]) * 0.1
            regions.append((box, [max(0, box[0] - mx), max(0, box[1] - my), min(w, box[2] + mx), min(h, box[3] + my)]))
        ww, wh = w * 0.6, h * 0.6
        for x0, y0, x1, y1 in [(0, 0, w, h), (0, 0, ww, wh), (w - ww, 0, w, wh), (0, h - wh, ww, h), (w - ww, h - wh, w, h)]:
            regions.append(([x0, y0, x1, y1], [x0, y0, x1, y1]))
        k = names.index(label)
        scored = []
        for i, (box, crop) in enumerate(regions):
            c = img.crop(tuple(int(v) for v in (np.floor(crop[0]), np.floor(crop[1]), np.ceil(crop[2]), np.ceil(crop[3]))))
            x = np.asarray(c.resize((280, 280), Image.BILINEAR), dtype=np.uint8)[None]
            p = eff.run(None, {"images": x})[0][0] / 255.0
            scored.append((box, float(p[k]), i < len(kept[:4])))
        proposals = [s for s in scored if s[2] and s[1] >= 0.3]
        best = max(proposals or [s for s in scored if not s[2]], key=lambda s: s[1])
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        out["cases"].append({"file": path, "sha256": sha, "label": label, "probability": round(best[1], 3),
                             "box_px": [round(float(v), 1) for v in best[0]]})
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
