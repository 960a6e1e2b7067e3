#!/usr/bin/env python3
"""What a live plugin swap costs (run by scripts/swap-bench.sh against a
`glint up` in a glint folder of its own, result cache off).

    python swap_bench.py --url http://127.0.0.1:PORT --token T --a A.wasm --b B.wasm --fresh DIR

1. The swap itself, from the admin API's own step timings and the client's
   clock: installs of builds never compiled before (`--fresh` holds them:
   cold compile) and of builds compiled once already (cached), each split
   into checks, compile, canary and swap.
2. The detection load during swaps: 4 closed-loop clients send the cat photo
   to /api/detect for --seconds without swaps, then as long again while the
   detector is swapped every --every seconds (alternating A and B, both
   compiled before); p50/p99 of each and the ratio. Nothing may fail.

Prints one JSON line per measurement.
"""
import argparse
import glob
import json
import statistics
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def call(url, method="GET", body=None, token=None):
    req = urllib.request.Request(url, data=body, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def install(args, wasm):
    started = time.perf_counter()
    status, body = call(f"{args.url}/api/admin/plugins/detect", "PUT", Path(wasm).read_bytes(), args.token)
    elapsed = (time.perf_counter() - started) * 1e3
    assert status == 200 and body["event"]["outcome"] == "swapped", (status, body)
    return elapsed, body["event"]["steps"]


def swaps(args):
    rows = []
    for kind, builds in (("cold", sorted(glob.glob(f"{args.fresh}/*.wasm"))), ("cached", [args.b, args.a] * 3)):
        for wasm in builds:
            total, steps = install(args, wasm)
            rows.append({"kind": kind, "total_ms": total, **steps})
    for kind in ("cold", "cached"):
        these = [r for r in rows if r["kind"] == kind]
        med = lambda k: round(statistics.median(r[k] for r in these), 1)
        print(json.dumps({"measure": f"swap ({kind} compile)", "n": len(these), "call_ms": med("total_ms"), "checks_ms": med("checks"),
                          "compile_ms": med("compile"), "canary_ms": med("canary"), "swap_ms": med("swap"),
                          "compiled_cache_hits": sum(r["compile_cached"] for r in these)}))
    call(f"{args.url}/api/admin/plugins/detect", "PUT", Path(args.a).read_bytes(), args.token)


def load(args, swapping):
    photo = (ROOT / "samples/chelsea.png").read_bytes()
    stop = time.perf_counter() + args.seconds
    latencies, failures, shas = [], [], set()
    lock = threading.Lock()

    def client(c):
        n = 0
        while time.perf_counter() < stop:
            n += 1
            t = time.perf_counter()
            status, body = call(f"{args.url}/api/detect?prompt=a%20cat&threshold={0.3 + 1e-4 * ((c * 997 + n) % 1000)}", "POST", photo)
            ms = (time.perf_counter() - t) * 1e3
            with lock:
                if status == 200:
                    latencies.append(ms)
                    shas.add(body["plugin_sha256"])
                else:
                    failures.append(status)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    n_swaps = 0
    if swapping:
        builds = [args.b, args.a]
        while time.perf_counter() < stop - args.every:
            time.sleep(args.every)
            install(args, builds[n_swaps % 2])
            n_swaps += 1
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=100)
    return {"measure": "load with swaps" if swapping else "load without swaps", "requests": len(latencies), "failures": len(failures),
            "swaps": n_swaps, "builds_seen": len(shas), "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--fresh", required=True, help="a folder of builds never compiled before")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--every", type=float, default=3)
    args = ap.parse_args()
    swaps(args)
    quiet = load(args, False)
    print(json.dumps(quiet))
    busy = load(args, True)
    print(json.dumps(busy))
    print(json.dumps({"measure": "p99 during swaps / without", "ratio": round(busy["p99_ms"] / quiet["p99_ms"], 2),
                      "p50_ratio": round(busy["p50_ms"] / quiet["p50_ms"], 2)}))


if __name__ == "__main__":
    main()
