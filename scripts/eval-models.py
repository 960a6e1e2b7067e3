#!/usr/bin/env python3
"""Hits, misses and false positives of each model version on the bundled
photos, for a fixed list of 30 phrases, plus latency. Run by
scripts/eval-models.sh against a running `glint up` (cache off).

Usage: eval-models.py <base url> <out.json> <version>...

The phrase list and what each photo shows were written down before the first
run (a few phrases had been tried by hand while building broad-v1). A phrase
counts as a hit when it gets at least one box on a photo that shows it; where
the box is is not checked here (host/tests/broad.rs checks boxes against a
reference). "either" phrases are not scored (is the shuttle model a rocket?).
"""
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request

PHRASES = [
    "a cat", "a tabby cat", "an animal", "a coffee cup", "an espresso", "a spoon", "a saucer", "a table",
    "a person", "a woman", "an astronaut", "an american flag", "a space shuttle", "a helmet", "a motorcycle",
    "a motorbike", "a vehicle", "a bench", "a bicycle", "a shelf", "a cardboard box", "a rocket", "a tower",
    "a dog", "a guitar", "a banana", "a giraffe", "a laptop", "a pizza", "a castle",
]
PHOTOS = {
    "chelsea.png": {"present": ["a cat", "a tabby cat", "an animal"], "either": []},
    "coffee.png": {"present": ["a coffee cup", "an espresso", "a spoon", "a saucer", "a table"], "either": []},
    "astronaut.png": {
        "present": ["a person", "a woman", "an astronaut", "an american flag", "a space shuttle", "a helmet"],
        "either": ["a rocket", "a vehicle"],
    },
    "motorcycle_left.png": {
        "present": ["a motorcycle", "a motorbike", "a vehicle", "a bench", "a bicycle", "a shelf", "a cardboard box"],
        "either": [],
    },
    "rocket.jpg": {"present": ["a rocket", "a tower"], "either": ["a vehicle"]},
}
SHORT_PROMPT = "a cat . an espresso . a space shuttle"
REPEATS = 3


def detect(base, photo, prompt, version):
    q = urllib.parse.urlencode({"prompt": prompt, "model": version, "threshold": "0.3"})
    body = open(f"samples/{photo}", "rb").read()
    req = urllib.request.Request(f"{base}/api/detect?{q}", data=body, method="POST",
                                 headers={"content-type": "application/octet-stream"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        out = json.load(r)
    return out, (time.perf_counter() - t) * 1000


def main():
    base, out_path, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
    prompt = " . ".join(PHRASES)
    report = {"phrases": PHRASES, "photos": PHOTOS, "versions": {}}
    for v in versions:
        detect(base, "chelsea.png", SHORT_PROMPT, v)  # load the version before timing it
        row = {"hits": 0, "misses": 0, "false_positives": 0, "found": {}, "missed": {}, "wrong": {}}
        long_ms, short_ms = [], []
        for photo, truth in PHOTOS.items():
            for i in range(REPEATS):
                out, ms = detect(base, photo, prompt, v)
                long_ms.append(ms)
                short_ms.append(detect(base, photo, SHORT_PROMPT, v)[1])
                if out.get("cached"):
                    sys.exit("the result cache is on: run through scripts/eval-models.sh (cache_entries = 0)")
            found = sorted({d["phrase"] for d in out["detections"]})
            present, either = set(truth["present"]), set(truth["either"])
            row["found"][photo] = found
            row["missed"][photo] = sorted(present - set(found))
            row["wrong"][photo] = sorted(set(found) - present - either)
            row["hits"] += len(present & set(found))
            row["misses"] += len(present - set(found))
            row["false_positives"] += len(row["wrong"][photo])
        row["p50_ms_30_phrases"] = statistics.median(long_ms)
        row["p50_ms_short"] = statistics.median(short_ms)
        report["versions"][v] = row
    json.dump(report, open(out_path, "w"), indent=1)
    present_total = sum(len(t["present"]) for t in PHOTOS.values())
    first = versions[0]
    print(f"| model version | hits (of {present_total}) | misses | false positives | p50 ms, 30 phrases | p50 ms, \"{SHORT_PROMPT}\" |")
    print("|---|---|---|---|---|---|")
    for v, r in report["versions"].items():
        base_r = report["versions"][first]
        ratio = lambda k: "" if v == first else f" ({r[k] / base_r[k]:.2f}x)"
        print(f"| {v} | {r['hits']} | {r['misses']} | {r['false_positives']} | "
              f"{r['p50_ms_30_phrases']:.0f}{ratio('p50_ms_30_phrases')} | {r['p50_ms_short']:.0f}{ratio('p50_ms_short')} |")
    for v, r in report["versions"].items():
        print(f"\n{v}:")
        for photo in PHOTOS:
            print(f"  {photo}: missed {r['missed'][photo] or '-'}; false positives {r['wrong'][photo] or '-'}")


if __name__ == "__main__":
    main()
