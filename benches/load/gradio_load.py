#!/usr/bin/env python3
"""Closed-loop HTTP load client for the Gradio baseline and for glint (same loop, same output).

  gradio: .glint/gradio-venv/bin/python benches/load/gradio_load.py --url http://127.0.0.1:7860 -c 4 -d 10
  glint:  .glint/gradio-venv/bin/python benches/load/gradio_load.py --url-glint http://127.0.0.1:3000 -c 4 -d 10

C workers each loop "send one detection, wait for the answer" with HTTP/1.1 keep-alive
(one pooled httpx.AsyncClient). A request fails unless the answer has a detection
labelled "cat". Prints one JSON line:
  {"target","concurrency","requests","failures","rps","p50_ms","p99_ms",...}

gradio, --mode call (default, the documented API): the PNG is uploaded once
  (POST /gradio_api/upload, multipart "files") and each request is
  POST /gradio_api/call/detect {"data":[FileData, prompt, threshold]} -> {"event_id"}
  then GET /gradio_api/call/detect/{event_id} (SSE, "event: complete" / "data: [...]").
  Latency = both steps. --mode run: the one-request POST /gradio_api/run/detect (bypasses
  the queue; open unless the app runs on HF Spaces; in gradio 5.50 it returns the gr.JSON
  value as a Python-repr string "root={...}", parsed here). --upload-each: upload per request too.
glint: POST {base}/api/detect?prompt=a%20cat&threshold=T with the PNG bytes as body.
  glint has a result cache keyed on (image, prompt, threshold): start it with
  cache-entries = 0, or pass --bust-cache (a distinct threshold per request, 0.29..0.30).
  The "cached" count in the output says how many answers came from the cache.
"""
import argparse
import ast
import asyncio
import json
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PROMPT, THRESHOLD, WANT = "a cat", 0.3, "cat"


def has_label(result) -> bool:
    return any(d.get("label") == WANT for d in (result or {}).get("detections", []))


async def gradio_upload(cl: httpx.AsyncClient, base: str, png: bytes) -> dict:
    r = await cl.post(f"{base}/gradio_api/upload", files={"files": ("chelsea.png", png, "image/png")})
    r.raise_for_status()
    path = r.json()[0]
    return {"path": path, "orig_name": "chelsea.png", "mime_type": "image/png", "meta": {"_type": "gradio.FileData"}}


async def gradio_call(cl, base, image, args, k):
    if args.upload_each:
        image = await gradio_upload(cl, base, args.png)
    body = {"data": [image, PROMPT, THRESHOLD]}
    if args.mode == "run":
        r = await cl.post(f"{base}/gradio_api/run/detect", json=body)
        r.raise_for_status()
        out = r.json()["data"][0]
        if isinstance(out, str) and out.startswith("root="):  # gradio 5.50 /run bug: gr.JSON value
            out = ast.literal_eval(out[5:])                    # comes back as its Python repr
        return out, False
    r = await cl.post(f"{base}/gradio_api/call/detect", json=body)
    r.raise_for_status()
    eid = r.json()["event_id"]
    event = None
    async with cl.stream("GET", f"{base}/gradio_api/call/detect/{eid}") as s:
        s.raise_for_status()
        async for line in s.aiter_lines():  # SSE: "event: X" then "data: JSON"
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line[5:])
                if event == "error":
                    raise RuntimeError(f"gradio error: {data}")
                return data[0], False
    raise RuntimeError("SSE stream ended without 'complete'")


async def glint_call(cl, base, _image, args, k):
    t = THRESHOLD - (k % 100_000) * 1e-7 if args.bust_cache else THRESHOLD
    r = await cl.post(f"{base}/api/detect", params={"prompt": PROMPT, "threshold": f"{t:.7f}"},
                      content=args.png, headers={"content-type": "image/png"})
    r.raise_for_status()
    j = r.json()
    return j, bool(j.get("cached"))


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--url", help="Gradio base URL, e.g. http://127.0.0.1:7860")
    g.add_argument("--url-glint", help="glint base URL, e.g. http://127.0.0.1:3000")
    ap.add_argument("-c", "--concurrency", type=int, default=1)
    ap.add_argument("-d", "--duration", type=float, default=10.0, help="seconds (ignored with --requests)")
    ap.add_argument("-n", "--requests", type=int, help="stop after N requests in total")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured requests before the run")
    ap.add_argument("--image", default=str(ROOT / "samples" / "chelsea.png"))
    ap.add_argument("--mode", choices=["call", "run"], default="call", help="gradio: two-step call or one-step run")
    ap.add_argument("--upload-each", action="store_true", help="gradio: upload the image with every request")
    ap.add_argument("--bust-cache", action="store_true", help="glint: distinct threshold per request")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    args.png = Path(args.image).read_bytes()
    base = (args.url or args.url_glint).rstrip("/")
    target = "gradio" if args.url else "glint"
    call = gradio_call if args.url else glint_call

    limits = httpx.Limits(max_connections=args.concurrency + 2, max_keepalive_connections=args.concurrency + 2)
    async with httpx.AsyncClient(http1=True, http2=False, limits=limits, timeout=args.timeout) as cl:
        image = await gradio_upload(cl, base, args.png) if args.url and not args.upload_each else None
        for k in range(args.warmup):
            await call(cl, base, image, args, 10_000_000 + k)

        lat, fails, cached, errors, issued = [], 0, 0, {}, 0
        t0 = time.perf_counter()
        deadline = t0 + args.duration

        async def worker():
            nonlocal fails, cached, issued
            while True:
                if args.requests is not None:
                    if issued >= args.requests:
                        return
                elif time.perf_counter() >= deadline:
                    return
                k = issued
                issued += 1
                s = time.perf_counter()
                try:
                    result, was_cached = await call(cl, base, image, args, k)
                    ok = has_label(result)
                    cached += was_cached
                except Exception as e:  # noqa: BLE001 -- count, keep going
                    ok = False
                    key = type(e).__name__
                    errors[key] = errors.get(key, 0) + 1
                lat.append((time.perf_counter() - s) * 1000)
                fails += not ok

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        wall = time.perf_counter() - t0

    lat.sort()
    pct = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None  # noqa: E731
    out = {"target": target, "concurrency": args.concurrency, "requests": len(lat), "failures": fails,
           "rps": round(len(lat) / wall, 2), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
           "max_ms": round(lat[-1], 2) if lat else None, "wall_s": round(wall, 2)}
    if target == "gradio":
        out["mode"] = args.mode + ("+upload" if args.upload_each else "")
    else:
        out["cached"] = cached
    if errors:
        out["errors"] = errors
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
