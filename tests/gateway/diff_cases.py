"""Gradio's own streaming diffs, to check the gateway's against (run by
host/tests/gateway_streams.rs with the Gradio venv's Python).

    python diff_cases.py make N   prints N JSON lines {old, new, diff, applied}:
                                  random value pairs, gradio.utils.diff(old, new),
                                  and gradio_client.utils.apply_diff(old, diff)
    python diff_cases.py check    reads lines {old, new, diff} (the gateway's diffs)
                                  and checks apply_diff(old, diff) == new; prints "ok"
"""
import json
import random
import sys

from gradio.utils import diff
from gradio_client.utils import apply_diff

WORDS = ["what", "the", "f", "uck", "cat", "猫", " ", "", "a long piece of text"]


def value(rng, depth=0):
    kind = rng.choice(["str", "str", "list", "dict", "num", "none"] if depth < 3 else ["str", "num"])
    if kind == "str":
        return "".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))
    if kind == "list":
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "dict":
        return {rng.choice(["role", "content", "k", "v", "meta"]): value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice([0, 1, 2.5, None, True]) if kind == "num" else None


def grow(rng, v, depth=0):
    """A successor of v the way a stream changes it: strings grow, items come and go."""
    if isinstance(v, str):
        return v + rng.choice(WORDS) if rng.random() < 0.8 else value(rng, depth)
    if isinstance(v, list):
        out = [grow(rng, i, depth + 1) if rng.random() < 0.5 else i for i in v]
        if rng.random() < 0.4:
            out.append(value(rng, depth + 1))
        if out and rng.random() < 0.2:
            out.pop(rng.randrange(len(out)))
        return out
    if isinstance(v, dict):
        out = {k: (grow(rng, i, depth + 1) if rng.random() < 0.5 else i) for k, i in v.items()}
        if rng.random() < 0.3:
            out[rng.choice(["x", "y", "content"])] = value(rng, depth + 1)
        if out and rng.random() < 0.2:
            out.pop(rng.choice(list(out)))
        return out
    return value(rng, depth) if rng.random() < 0.3 else v


if sys.argv[1] == "make":
    rng = random.Random(20261203)
    for _ in range(int(sys.argv[2])):
        old = value(rng)
        new = grow(rng, old)
        d = diff(old, new)
        print(json.dumps({"old": old, "new": new, "diff": d, "applied": apply_diff(old, d)}, ensure_ascii=False))
else:
    n = 0
    for line in sys.stdin:
        case = json.loads(line)
        got = apply_diff(case["old"], case["diff"])
        assert got == case["new"], f"{case}: apply_diff gave {got!r}"
        n += 1
    print(f"{n} cases")
    print("ok")
