#!/usr/bin/env python3
"""Cuts the tf2onnx SSD graph before its post-processing and writes the graphs glint loads.

    .glint/venv/bin/python scripts/cut-ssd.py FULL.onnx OUT_DIR SAMPLES_DIR

FULL.onnx is tf2onnx's frozen_inference_graph.pb (input image_tensor:0 of any size; outputs
detection_boxes/scores/classes, num_detections). Its resize and its post-processing run in one
tf2onnx `Loop` of ~5,500 nodes that cost ONNX Runtime ~3 s to load and OpenVINO ~4 s to compile.
glint resizes in Rust already (tf-bilinear) and now decodes and suppresses in Rust
(components/detect-core/src/ssd_post.rs), so the graph it loads keeps only the network:

  OUT_DIR/ssd.onnx          image_tensor:0 u8 [1,300,300,3] -> box_encodings f32 [1,1917,4],
                            class_scores f32 [1,1917,91] (sigmoid, background first),
                            anchors f32 [1,1917,4] (a constant of the graph)
  OUT_DIR/ssd.xml/.bin      OpenVINO IR of that ssd.onnx (f32 weights)

Before writing, it checks on every photo in SAMPLES_DIR that the cut graph + scripts/ssd_post.py
gives the full graph's detections (same count and classes, scores within 1e-5, boxes within
1e-4), and that the IR's raw outputs match ONNX Runtime's. Lines starting NOTE go to setup's log.
"""
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import openvino as ov
from onnx import TensorProto, helper
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ssd_post  # noqa: E402

# Tensor names inside tf2onnx's graph of ssd_mobilenet_v2_coco_2018_03_29
RESIZED = "Preprocessor/map/TensorArrayStack/TensorArrayGatherV3:0"  # the Loop's resized NCHW image
ENCODINGS = "Squeeze:0"
SCORES = "Postprocessor/convert_scores:0"
ANCHORS = "Postprocessor/ExpandDims:0"  # initializer [1,1917,4]
FULL_OUTPUTS = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]
SIDE = 300


def cut(full: onnx.ModelProto) -> onnx.ModelProto:
    g = full.graph
    anchors = next((i for i in g.initializer if i.name == ANCHORS), None)
    assert anchors is not None and list(anchors.dims)[1:] == [1917, 4], "anchors initializer not found"
    for name, shape in [(RESIZED, [1, 3, SIDE, SIDE]), (ENCODINGS, [1, 1917, 4]), (SCORES, [1, 1917, 91])]:
        if not any(v.name == name for v in g.value_info):
            g.value_info.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    sub = onnx.utils.Extractor(full).extract_model([RESIZED], [ENCODINGS, SCORES])
    sg = sub.graph
    del sg.input[:]
    sg.input.append(helper.make_tensor_value_info("image_tensor:0", TensorProto.UINT8, [1, SIDE, SIDE, 3]))
    # the u8 NHWC photo, as float NCHW where tf2onnx's loop left its resized image
    sg.node.insert(0, helper.make_node("Transpose", ["image_float"], [RESIZED], perm=[0, 3, 1, 2], name="image_to_nchw"))
    sg.node.insert(0, helper.make_node("Cast", ["image_tensor:0"], ["image_float"], to=TensorProto.FLOAT, name="image_to_float"))
    sg.initializer.append(anchors)
    sg.node.append(helper.make_node("Identity", [ANCHORS], ["anchors"], name="anchors_out"))
    rename = {ENCODINGS: "box_encodings", SCORES: "class_scores"}
    for n in sg.node:
        n.output[:] = [rename.get(o, o) for o in n.output]
        n.input[:] = [rename.get(i, i) for i in n.input]
    del sg.output[:]
    sg.output.extend([
        helper.make_tensor_value_info("box_encodings", TensorProto.FLOAT, [1, 1917, 4]),
        helper.make_tensor_value_info("class_scores", TensorProto.FLOAT, [1, 1917, 91]),
        helper.make_tensor_value_info("anchors", TensorProto.FLOAT, [1, 1917, 4]),
    ])
    onnx.checker.check_model(sub)
    return sub


def photos(samples: Path):
    for p in sorted(samples.iterdir()):
        if p.suffix.lower() in (".png", ".jpg", ".jpeg"):
            yield p.name, np.asarray(Image.open(p).convert("RGB").resize((SIDE, SIDE), Image.BILINEAR), dtype=np.uint8)[None]


def main():
    full_path, out, samples = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    full = onnx.load(str(full_path))
    nodes_before = len(full.graph.node) + sum(len(a.g.node) for n in full.graph.node for a in n.attribute if a.type == onnx.AttributeProto.GRAPH)
    sub = cut(full)
    tmp = out / "ssd.onnx.tmp"
    onnx.save(sub, str(tmp))
    print(f"NOTE ssd.onnx: {full_path.name} cut at the resized image and the raw box encodings / class scores; "
          f"{nodes_before} nodes (with the Loop body) -> {len(sub.graph.node)}")

    whole = ort.InferenceSession(str(full_path), providers=["CPUExecutionProvider"])
    part = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    raw = {}
    for name, img in photos(samples):
        fb, fs, fc, fn = (r[0] for r in whole.run(FULL_OUTPUTS, {"image_tensor:0": img}))
        raw[name] = part.run(None, {"image_tensor:0": img})
        cb, cs, cc, cn = ssd_post.postprocess(*raw[name])
        n = int(fn)
        assert n == int(cn), f"{name}: full graph kept {n} boxes, cut graph + ssd_post {int(cn)}"
        assert (fc[:n] == cc[:n]).all(), f"{name}: classes differ {fc[:n]} vs {cc[:n]}"
        ds = float(np.abs(fs[:n] - cs[:n]).max(initial=0))
        db = float(np.abs(fb[:n] - cb[:n]).max(initial=0))
        assert ds <= 1e-5 and db <= 1e-4, f"{name}: max score diff {ds}, max box diff {db}"
        print(f"NOTE   parity {name}: {n} detections, classes equal, max |d score| {ds:.1e}, max |d box| {db:.1e}")

    core = ov.Core()
    ir = ov.convert_model(str(tmp))
    names = [sorted(o.get_names()) for o in ir.outputs]
    assert [n for n in ssd_post.OUTPUTS if not any(n in ns for ns in names)] == [], names
    ir_tmp = out / "ssd.tmp.xml"
    ov.save_model(ir, str(ir_tmp), compress_to_fp16=False)
    compiled = core.compile_model(str(ir_tmp), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    for name, img in photos(samples):
        r = compiled(img)
        got = {n: r[o] for o in compiled.outputs for n in o.get_names()}
        for i, key in enumerate(ssd_post.OUTPUTS):
            d = float(np.abs(got[key] - raw[name][i]).max())
            assert d <= 1e-3, f"{name}: OpenVINO {key} differs from ONNX Runtime by {d}"
        print(f"NOTE   OpenVINO IR {name}: raw outputs within 1e-3 of ONNX Runtime's")
    os.replace(ir_tmp.with_suffix(".bin"), out / "ssd.bin")
    os.replace(ir_tmp, out / "ssd.xml")
    os.replace(tmp, out / "ssd.onnx")
    print("NOTE ssd.xml/.bin: ov.convert_model(ssd.onnx) + save_model(compress_to_fp16=False)")


main()
