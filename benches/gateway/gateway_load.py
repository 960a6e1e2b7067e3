#!/usr/bin/env python3
"""Added latency of `glint gateway`: the same closed-loop client against the
Gradio test app directly and through the gateway, rounds interleaved so both
see the same machine state.

    python gateway_load.py --direct URL --gateway URL [-c 1] [-d 10] [--api echo|flip]

One request = Gradio's documented two-step call API: POST /gradio_api/call/API
{"data": [...]} -> {"event_id"}, then GET /gradio_api/call/API/ID (SSE, until
"event: complete"). echo sends a distinct text each time (no audit memo hits);
flip uploads samples/chelsea.png once per target and sends its path (the
gateway audits the output image, fetched from the app, every time: each flip
answer is a new file). Prints one JSON line per target and one with the
difference: {"target","api","concurrency","requests","failures","p50_ms","p99_ms","rps"}.
"""
import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


async def one(client, base, api, payload):
    r = await client.post(f"{base}/gradio_api/call/{api}", json={"data": payload})
    r.raise_for_status()
    event_id = r.json()["event_id"]
    async with client.stream("GET", f"{base}/gradio_api/call/{api}/{event_id}") as s:
        event = None
        async for line in s.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("complete", "error"):
                return event == "complete"
    return False


async def run(base, api, concurrency, duration, counter, image_path):
    latencies, failures = [], 0
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        file_data = None
        if api == "flip":
            with open(image_path, "rb") as f:
                up = await client.post(f"{base}/gradio_api/upload", files={"files": ("chelsea.png", f, "image/png")})
            file_data = {"path": up.json()[0], "meta": {"_type": "gradio.FileData"}}
        deadline = time.perf_counter() + duration

        async def worker():
            nonlocal failures
            while time.perf_counter() < deadline:
                counter[0] += 1
                payload = [file_data] if api == "flip" else [f"hello number {counter[0]}"]
                started = time.perf_counter()
                try:
                    ok = await one(client, base, api, payload)
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1e3)
                failures += not ok

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures


def summary(target, api, c, latencies, failures, seconds):
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"target": target, "api": api, "concurrency": c, "requests": len(latencies), "failures": failures,
            "p50_ms": round(statistics.median(latencies), 2), "p99_ms": round(q[98], 2),
            "rps": round(len(latencies) / seconds, 1)}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--direct", required=True)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--api", choices=["echo", "flip"], default="echo")
    ap.add_argument("-c", "--concurrency", type=int, default=1)
    ap.add_argument("-d", "--duration", type=float, default=10.0, help="seconds per target, split in rounds")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--image", default=str(ROOT / "samples" / "chelsea.png"))
    a = ap.parse_args()
    counter = [0]
    results = {"direct": ([], 0), "gateway": ([], 0)}
    await run(a.gateway, a.api, 1, 1.0, counter, a.image)  # warm-up: plugin instances, connections
    await run(a.direct, a.api, 1, 1.0, counter, a.image)
    for _ in range(a.rounds):
        for name, base in (("direct", a.direct), ("gateway", a.gateway)):
            lat, fail = await run(base, a.api, a.concurrency, a.duration / a.rounds, counter, a.image)
            results[name] = (results[name][0] + lat, results[name][1] + fail)
    rows = [summary(n, a.api, a.concurrency, lat, fail, a.duration) for n, (lat, fail) in results.items()]
    for r in rows:
        print(json.dumps(r))
    d, g = rows
    print(json.dumps({"target": "added", "api": a.api, "concurrency": a.concurrency,
                      "p50_ms": round(g["p50_ms"] - d["p50_ms"], 2), "p99_ms": round(g["p99_ms"] - d["p99_ms"], 2),
                      "p50_ratio": round(g["p50_ms"] / d["p50_ms"], 3)}))


if __name__ == "__main__":
    asyncio.run(main())
