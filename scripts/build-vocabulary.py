#!/usr/bin/env python3
"""Builds broad-v1's vocabulary asset from WordNet 3.0 (Debian's wordnet-base).

Usage: build-vocabulary.py <wordnet dict dir> <efficientnet_labels.txt> <out.json>

The label space is the 1,000 ImageNet classes of EfficientNet-Lite3 plus the
80 COCO classes of the SSD. Every one of them is a WordNet noun synset:
ImageNet's class ids are WordNet 3.0 offsets in ascending order, so each line
of the labels file (the synset's lemmas) is matched to the synset with the
same lemmas, the offsets kept increasing; each COCO name is given here as a
lemma plus an ancestor that picks the right sense.

The output maps every English noun term (lemma of any synset related to a
label) to the labels it means and how:
  synonym   the term names a label's synset ("necktie" -> tie)
  narrower  the term is a kind of a label ("kitty" -> cat, "astronaut" -> person)
  category  labels are kinds of the term ("an animal", "furniture", "food")
Of a term's senses (WordNet's frequency order), the first that relates to a
label wins. Output is deterministic (sorted keys, no timestamps).
"""
import json
import os
import sys

# COCO name -> (WordNet lemma, a lemma of some ancestor that selects the sense)
COCO = [
    (1, "person", "person", "organism"), (2, "bicycle", "bicycle", "vehicle"),
    (3, "car", "car", "motor vehicle"), (4, "motorcycle", "motorcycle", "vehicle"),
    (5, "airplane", "airplane", "aircraft"), (6, "bus", "bus", "public transport"),
    (7, "train", "train", "public transport"), (8, "truck", "truck", "motor vehicle"),
    (9, "boat", "boat", "vessel"), (10, "traffic light", "traffic light", "light"),
    (11, "fire hydrant", "fireplug", "hydrant"), (13, "stop sign", "street sign", "sign"),
    (14, "parking meter", "parking meter", "timer"), (15, "bench", "bench", "seat"),
    (16, "bird", "bird", "vertebrate"), (17, "cat", "cat", "feline"), (18, "dog", "dog", "canine"),
    (19, "horse", "horse", "equine"), (20, "sheep", "sheep", "bovid"), (21, "cow", "cattle", "bovine"),
    (22, "elephant", "elephant", "proboscidean"), (23, "bear", "bear", "carnivore"),
    (24, "zebra", "zebra", "equine"), (25, "giraffe", "giraffe", "ruminant"),
    (27, "backpack", "backpack", "bag"), (28, "umbrella", "umbrella", "canopy"),
    (31, "handbag", "bag", "container"), (32, "tie", "necktie", "neckwear"),
    (33, "suitcase", "bag", "luggage"), (34, "frisbee", "frisbee", "toy"),
    (35, "skis", "ski", "runner"), (36, "snowboard", "snowboard", "board"),
    (37, "sports ball", "ball", "game equipment"), (38, "kite", "kite", "toy"),
    (39, "baseball bat", "baseball bat", "bat"), (40, "baseball glove", "baseball glove", "glove"),
    (41, "skateboard", "skateboard", "board"), (42, "surfboard", "surfboard", "board"),
    (43, "tennis racket", "tennis racket", "racket"), (44, "bottle", "bottle", "vessel"),
    (46, "wine glass", "wineglass", "glass"), (47, "cup", "cup", "container"),
    (48, "fork", "fork", "cutlery"), (49, "knife", "knife", "edge tool"),
    (50, "spoon", "spoon", "cutlery"), (51, "bowl", "bowl", "vessel"),
    (52, "banana", "banana", "edible fruit"), (53, "apple", "apple", "edible fruit"),
    (54, "sandwich", "sandwich", "snack food"), (55, "orange", "orange", "edible fruit"),
    (56, "broccoli", "broccoli", "vegetable"), (57, "carrot", "carrot", "vegetable"),
    (58, "hot dog", "hotdog", "sandwich"), (59, "pizza", "pizza", "dish"),
    (60, "donut", "doughnut", "cake"), (61, "cake", "cake", "baked goods"),
    (62, "chair", "chair", "seat"), (63, "couch", "sofa", "seat"),
    (64, "potted plant", "pot plant", "plant"), (65, "bed", "bed", "furniture"),
    (67, "dining table", "dining table", "table"), (70, "toilet", "toilet", "fixture"),
    (72, "tv", "television receiver", "receiver"), (73, "laptop", "laptop", "computer"),
    (74, "mouse", "mouse", "device"), (75, "remote", "remote control", "device"),
    (76, "keyboard", "keyboard", "device"), (77, "cell phone", "cellular telephone", "telephone"),
    (78, "microwave", "microwave", "kitchen appliance"), (79, "oven", "oven", "appliance"),
    (80, "toaster", "toaster", "appliance"), (81, "sink", "sink", "plumbing fixture"),
    (82, "refrigerator", "refrigerator", "white goods"), (84, "book", "book", "product"),
    (85, "clock", "clock", "timepiece"), (86, "vase", "vase", "jar"),
    (87, "scissors", "scissors", "edge tool"), (88, "teddy bear", "teddy", "toy"),
    (89, "hair drier", "hand blower", "dryer"), (90, "toothbrush", "toothbrush", "brush"),
]
MAX_TERM_WORDS = 4
# a category wider than this ("object", "entity") says nothing about what to find
MAX_CATEGORY_LABELS = 500


def read_wordnet(root):
    synsets = {}  # offset -> (lemmas, hypernyms)
    with open(os.path.join(root, "data.noun"), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split(" | ")[0].split()
            offset, count = fields[0], int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].lower().replace("_", " ") for i in range(count)]
            # strip adjective markers such as "(a)" and "(p)"
            lemmas = [l.split("(")[0] for l in lemmas]
            rest = fields[4 + 2 * count:]
            hypernyms = [rest[1 + 4 * i + 1] for i in range(int(rest[0])) if rest[1 + 4 * i] == "@"]
            synsets[offset] = (lemmas, hypernyms)
    senses = {}  # lemma -> offsets in sense order
    with open(os.path.join(root, "index.noun"), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            lemma = fields[0].replace("_", " ")
            n_ptr = int(fields[3])
            count = int(fields[2])
            tagged = int(fields[4 + n_ptr + 1])
            offsets = fields[4 + n_ptr + 2:][:count]
            senses[lemma] = (offsets, tagged)
    return synsets, senses


def ancestors(synsets, offset):
    seen, todo = set(), [offset]
    while todo:
        o = todo.pop()
        for h in synsets[o][1]:
            if h not in seen:
                seen.add(h)
                todo.append(h)
    return seen


def imagenet_synsets(synsets, label_lines):
    """Each label line -> its synset offset, ascending (ImageNet's class order)."""
    by_first = {}
    for off, (lemmas, _) in synsets.items():
        by_first.setdefault(lemmas[0], []).append(off)
    out, last = [], "00000000"
    for line in label_lines:
        names = [n.strip().lower() for n in line.split(",")]
        candidates = sorted(o for o in by_first.get(names[0], []) if o > last)
        # the synset sharing most lemmas with the line, the lowest offset on a tie
        best = max(candidates, key=lambda o: (len(set(names) & set(synsets[o][0])), -int(o)), default=None)
        if best is None:
            sys.exit(f"no WordNet synset after {last} for ImageNet label {line!r}")
        out.append(best)
        last = best
    return out


def coco_synsets(synsets, senses):
    out = {}
    for cid, name, lemma, anc in COCO:
        for off in senses.get(lemma, ([], 0))[0]:
            if any(anc in synsets[a][0] for a in ancestors(synsets, off) | {off}):
                out[cid] = off
                break
        else:
            sys.exit(f"no sense of {lemma!r} under {anc!r} for COCO {name!r}")
    return out


def main():
    root, labels_path, out_path = sys.argv[1:4]
    synsets, senses = read_wordnet(root)
    with open(labels_path, encoding="utf-8") as f:
        label_lines = f.read().split("\n")
    if len(label_lines) != 1000:
        sys.exit(f"{labels_path}: {len(label_lines)} labels, expected 1000")
    labels = []  # (name, source, class id, synset)
    for i, (line, off) in enumerate(zip(label_lines, imagenet_synsets(synsets, label_lines))):
        labels.append((line.split(",")[0].strip(), "imagenet", i, off))
    for cid, off in coco_synsets(synsets, senses).items():
        labels.append((next(n for c, n, _, _ in COCO if c == cid), "coco", cid, off))

    by_synset = {}
    for i, (_, _, _, off) in enumerate(labels):
        by_synset.setdefault(off, []).append(i)
    label_ancestors = {off: ancestors(synsets, off) for off in by_synset}
    below = {}  # ancestor synset -> labels under it
    for off, anc in label_ancestors.items():
        for a in anc:
            below.setdefault(a, set()).update(by_synset[off])

    def relate(off):
        if off in by_synset:
            return "synonym", sorted(by_synset[off])
        if off in below:
            return "category", sorted(below[off])
        # the nearest labelled ancestors
        frontier, seen = [off], {off}
        while frontier:
            hits = sorted(i for o in frontier for i in by_synset.get(o, []))
            if hits:
                return "narrower", hits
            nxt = []
            for o in frontier:
                for h in synsets[o][1]:
                    if h not in seen:
                        seen.add(h)
                        nxt.append(h)
            frontier = nxt
        return None

    terms = {}
    rank = {"synonym": 0, "category": 1, "narrower": 2}
    for lemma, (offsets, tagged) in senses.items():
        if len(lemma.split()) > MAX_TERM_WORDS or not lemma.replace(" ", "").replace("-", "").replace("'", "").isalpha():
            continue
        # A term that is a lemma of a label synset means that label, whatever its first sense.
        # Otherwise the first sense seen in WordNet's tagged corpus that relates to a label;
        # among untagged senses (their order means nothing) the closest relation.
        direct = [off for off in offsets if off in by_synset]
        found = None
        for off in direct or offsets[:tagged]:
            rel = relate(off)
            if rel:
                found = (off, rel)
                break
        if found is None and not direct:
            related = [(off, relate(off)) for off in offsets[tagged:]]
            related = [(rank[r[0]], i, off, r) for i, (off, r) in enumerate(related) if r]
            if related:
                _, _, off, rel = min(related)
                found = (off, rel)
        if found and len(found[1][1]) <= MAX_CATEGORY_LABELS:
            off, (relation, hits) = found
            terms[lemma] = {"relation": relation, "labels": hits, "via": synsets[off][0][0]}
    out = {
        "format": "glint.vocabulary.v1",
        "source": "WordNet 3.0 nouns (Debian wordnet-base), EfficientNet-Lite3 labels, COCO names",
        "labels": [{"name": n, "source": s, "class": c, "synset": "n" + o} for n, s, c, o in labels],
        "terms": terms,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    rel_counts = {}
    for t in terms.values():
        rel_counts[t["relation"]] = rel_counts.get(t["relation"], 0) + 1
    print(f"NOTE vocabulary: {len(labels)} labels, {len(terms)} terms {rel_counts}, {os.path.getsize(out_path)} bytes")


if __name__ == "__main__":
    main()
