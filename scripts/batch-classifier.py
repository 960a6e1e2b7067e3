#!/usr/bin/env python3
"""Makes EfficientNet-Lite3 take a batch of crops (broad-v1's classifier).

The converted graphs fix the batch at 1: the input is [1, 280, 280, 3] and one
Reshape before the classifier head has the constant target [1, 1280]. This
script sets that target to [-1, 1280] and the batch dimension to N, in the
ONNX graph (onnx package) or the OpenVINO model (read from the .tflite), and
checks that a batch of 3 photos gives exactly what 3 single runs give.

  batch-classifier.py onnx <in.onnx> <out.onnx> <photo>...
  batch-classifier.py openvino <in.tflite> <out.xml> <photo>...
"""
import os
import sys

import numpy as np
from PIL import Image


def photos(paths):
    return np.stack([np.asarray(Image.open(p).convert("RGB").resize((280, 280), Image.BILINEAR), dtype=np.uint8)
                     for p in paths])


def onnx_batch(src, dst, x):
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper
    m = onnx.load(src)
    inits = {i.name: i for i in m.graph.initializer}
    fixed = 0
    for n in m.graph.node:
        if n.op_type == "Reshape" and n.input[1] in inits:
            v = numpy_helper.to_array(inits[n.input[1]])
            if v.ndim == 1 and len(v) == 2 and v[0] == 1:
                inits[n.input[1]].CopyFrom(numpy_helper.from_array(np.array([-1, v[1]], dtype=v.dtype), n.input[1]))
                fixed += 1
    if fixed != 1:
        sys.exit(f"{src}: expected one Reshape to [1, C] before the head, found {fixed}")
    for vi in list(m.graph.input) + list(m.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.checker.check_model(m)
    onnx.save(m, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
    single = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    batched = ort.InferenceSession(dst, providers=["CPUExecutionProvider"])
    one = np.concatenate([single.run(None, {"images": x[i:i + 1]})[0] for i in range(len(x))])
    return one, batched.run(None, {"images": x})[0]


def openvino_batch(src, dst, x):
    import openvino as ov
    from openvino import opset13 as ops
    m = ov.convert_model(src)
    single = ov.Core().compile_model(ov.convert_model(src), "CPU")
    fixed = 0
    for n in m.get_ordered_ops():
        if n.get_type_name() == "Reshape" and n.input_value(1).get_node().get_type_name() == "Constant":
            v = n.input_value(1).get_node().get_data()
            if len(v) == 2 and v[0] == 1:
                n.input(1).replace_source_output(ops.constant(np.array([-1, v[1]], dtype=v.dtype)).output(0))
                fixed += 1
    if fixed != 1:
        sys.exit(f"{src}: expected one Reshape to [1, C] before the head, found {fixed}")
    m.reshape({m.inputs[0]: [-1, 280, 280, 3]})
    tmp = dst[:-4] + ".tmp.xml"
    ov.save_model(m, tmp, compress_to_fp16=False)
    os.replace(tmp[:-4] + ".bin", dst[:-4] + ".bin")
    os.replace(tmp, dst)
    batched = ov.Core().compile_model(dst, "CPU")
    one = np.concatenate([single(x[i:i + 1])[0] for i in range(len(x))])
    return one, batched(x)[0]


def main():
    kind, src, dst, *paths = sys.argv[1:]
    x = photos(paths)
    one, many = (onnx_batch if kind == "onnx" else openvino_batch)(src, dst, x)
    diff = int(np.abs(one.astype(int) - many.astype(int)).max())
    if many.shape != (len(x), 1000) or diff > 1:
        sys.exit(f"{dst}: a batch of {len(x)} gives {many.shape}, differing from single runs by {diff}")
    print(f"NOTE {os.path.basename(dst)}: batch dimension N; a batch of {len(x)} matches single runs (max diff {diff}/255)")


if __name__ == "__main__":
    main()
