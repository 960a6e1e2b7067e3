#!/usr/bin/env python3
"""What `glint gateway` adds to a streamed reply: a 500-piece stream from
tests/gateway/stream_app.py (run with GLINT_STREAM_LOG, so it writes the
time it yields each piece), read with Gradio's queue protocol directly and
through the gateway, rounds interleaved.

    python stream_bench.py --direct URL --gateway URL --log FILE [--pieces 500] [--rounds 5]

Per piece: the time from the app's yield to the client's receipt of the
message that piece caused (counted from the end: the gateway sends nothing
for the first pieces, while its hold-back window fills); the gateway's
added latency is the difference to the direct path, as the median over
pieces and rounds. Total: the app's first yield to the client's
process_completed. Also: how many characters the gateway was holding back
(the unfinished word plus hold_chars) when each message arrived. Prints one
JSON line per path and one with the differences.
"""
import argparse
import json
import statistics
import time
import uuid

import httpx


def run(base, text, log):
    """One streamed call: arrival times of its generating messages, the
    completion's time and text, the text length each message left the
    client with, and the app's yield times."""
    open(log, "w").close()
    session = uuid.uuid4().hex
    arrivals, shown = [], []
    value = None
    with httpx.Client(timeout=120) as c:
        r = c.post(f"{base}/gradio_api/queue/join", json={"data": [text], "fn_index": 0, "session_hash": session})
        r.raise_for_status()
        with c.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                now = time.time()
                if msg["msg"] == "process_generating":
                    data = msg["output"]["data"][0]
                    value = data if value is None else apply(value, data)
                    arrivals.append(now)
                    shown.append(len(value))
                elif msg["msg"] == "process_completed":
                    assert msg["success"], msg
                    done, final = now, msg["output"]["data"][0]
                    break
    yields = [float(t) for t in open(log).read().split()]
    return arrivals, (done, final), shown, yields


def apply(value, edits):
    for action, path, v in edits:
        assert action == "append" and path == [], (action, path)
        value += v
    return value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--direct", required=True)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--log", required=True, help="the app's GLINT_STREAM_LOG")
    ap.add_argument("--pieces", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    words = [f"word{i} " for i in range(a.pieces)]
    text = "|".join(words)
    full = "".join(words)
    per_piece = {"direct": [], "gateway": []}
    totals = {"direct": [], "gateway": []}
    held = []
    for _ in range(a.rounds):
        for target, base in (("direct", a.direct), ("gateway", a.gateway)):
            arrivals, (done, final), shown, yields = run(base, text, a.log)
            assert len(yields) == a.pieces, (len(yields), a.pieces)
            assert final == full, f"{target}: the stream ended with other text"
            assert len(arrivals) >= a.pieces - 20, f"{target}: {len(arrivals)} messages for {a.pieces} pieces"
            pairs = list(zip(reversed(arrivals), reversed(yields)))
            per_piece[target] += [(t - y) * 1e3 for t, y in pairs]
            totals[target].append((done - yields[0]) * 1e3)
            if target == "gateway":
                upstream = [sum(len(w) for w in words[: i + 1]) for i in range(a.pieces)]
                held += [u - n for u, n in zip(reversed(upstream), reversed(shown))]
    rows = {}
    for target in ("direct", "gateway"):
        rows[target] = {
            "target": target,
            "pieces": a.pieces,
            "rounds": a.rounds,
            "piece_latency_p50_ms": round(statistics.median(per_piece[target]), 3),
            "piece_latency_p99_ms": round(statistics.quantiles(per_piece[target], n=100)[98], 3),
            "total_ms_median": round(statistics.median(totals[target]), 1),
        }
        print(json.dumps(rows[target]))
    d, g = rows["direct"], rows["gateway"]
    print(json.dumps({
        "target": "added by the gateway",
        "piece_latency_p50_ms": round(g["piece_latency_p50_ms"] - d["piece_latency_p50_ms"], 3),
        "piece_latency_p99_ms": round(g["piece_latency_p99_ms"] - d["piece_latency_p99_ms"], 3),
        "total_ms_median": round(g["total_ms_median"] - d["total_ms_median"], 1),
        "held_back_chars_p50": statistics.median(held),
        "held_back_chars_max": max(held),
    }))


if __name__ == "__main__":
    main()
