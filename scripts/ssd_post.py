"""The SSD post-processing of components/detect-core/src/ssd_post.rs in numpy, for the Python
baselines (benches/) and setup's parity check of the cut graph (scripts/cut-ssd.py).

decode() is the TF Object Detection API's FasterRcnnBoxCoder.decode, nms() its per-class
batch_non_max_suppression with the settings of models/coco-grounded-v1/model.toml
[coco-grounded.postprocess]. Both return what the uncut tf2onnx graph returned:
boxes [100, 4] (ymin, xmin, ymax, xmax), scores [100], classes [100] (1-based), count.
"""
import numpy as np

BOX_SCALES = (10.0, 10.0, 5.0, 5.0)
SCORE_THRESHOLD, IOU_THRESHOLD, MAX_PER_CLASS, MAX_TOTAL = 0.3, 0.6, 100, 100
# The cut graph's outputs (scripts/cut-ssd.py), in the order postprocess() takes them.
OUTPUTS = ("box_encodings", "class_scores", "anchors")


def decode(enc, anchors, scales=BOX_SCALES):
    """enc [N,4] (ty, tx, th, tw), anchors [N,4] (ymin, xmin, ymax, xmax) -> boxes clipped to [0, 1]."""
    ha = anchors[:, 2] - anchors[:, 0]
    wa = anchors[:, 3] - anchors[:, 1]
    yca, xca = anchors[:, 0] + ha / 2, anchors[:, 1] + wa / 2
    ty, tx, th, tw = (enc[:, i] / scales[i] for i in range(4))
    h, w = np.exp(th) * ha, np.exp(tw) * wa
    yc, xc = ty * ha + yca, tx * wa + xca
    return np.clip(np.stack([yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2], axis=1), 0.0, 1.0)


def iou(a, b):
    """Intersection over union of two boxes given as (lo0, lo1, hi0, hi1) in either axis order."""
    ih = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iw = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ih * iw
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms(boxes, scores):
    """scores [N, 1 + C], background first. One descending pass over every (box, class) pair
    keeps what per-class NMS followed by the global top MAX_TOTAL keeps."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    cls = scores[:, 1:]
    idx = np.argwhere((cls > SCORE_THRESHOLD) & (areas[:, None] > 0))
    vals = cls[idx[:, 0], idx[:, 1]]
    kept, out = {}, []
    for o in np.lexsort((idx[:, 0], -vals)):
        a, c = idx[o]
        ks = kept.setdefault(c, [])
        if len(ks) < MAX_PER_CLASS and all(iou(boxes[k], boxes[a]) <= IOU_THRESHOLD for k in ks):
            ks.append(a)
            out.append((a, c + 1, vals[o]))
            if len(out) == MAX_TOTAL:
                break
    ob = np.zeros((MAX_TOTAL, 4), np.float32)
    osc = np.zeros(MAX_TOTAL, np.float32)
    oc = np.zeros(MAX_TOTAL, np.float32)
    for i, (a, c, v) in enumerate(out):
        ob[i], osc[i], oc[i] = boxes[a], v, c
    return ob, osc, oc, np.float32(len(out))


def postprocess(box_encodings, class_scores, anchors):
    """The three outputs of the cut graph (batch 1) -> (boxes, scores, classes, count)."""
    return nms(decode(box_encodings[0], anchors[0]), class_scores[0])
