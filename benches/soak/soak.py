"""A soak: steady mixed traffic against a real `glint up` and a `glint
gateway` in front of the Gradio test app, for a fixed time, sampling the
servers' memory and open files.

    python3 benches/soak/soak.py GLINT_URL GATEWAY_URL GLINT_PID GATEWAY_PID SECONDS RATE

Each tick (RATE a second) runs the next operation of a fixed round: a
cached detection (a guest), an uncached one (a fresh image), a queued job
polled to its end, a user's detection rated, a sign-in, a call through
the gateway, and a greedy account's burst of 30 detections, more than its
rate limit lets through: its 429s (each with Retry-After) are the intended
ones, counted apart; a 429 anywhere else is an error. Every 10 s: RSS and open file descriptors of both servers.
Prints a JSON summary; exits 1 on any failed operation. Standard library
only; loopback only; bounded by SECONDS.
"""

import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

GLINT, GATEWAY, GLINT_PID, GATEWAY_PID, SECONDS, RATE = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
CAT = open("samples/chelsea.png", "rb").read()
USER = ("soak-user", "soak-password-1")
GREEDY = ("soak-greedy", "soak-password-2")
BURST = 30


def png(n):
    """A 32x32 PNG that differs for each n (an uncached detection)."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(32) for v in ((x * 7 + n) % 256, (y * 5 + n // 256) % 256, n % 251)) for y in range(32)
    )
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def call(method, url, body=None, headers=None, timeout=60):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.headers, r.read()


def sign_in(account=USER):
    status, headers, body = call("POST", GLINT + "/api/session", json.dumps({"user": account[0], "password": account[1]}).encode())
    return {"cookie": headers["set-cookie"].split(";")[0], "x-csrf-token": json.loads(body)["csrf"]}


def sample(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1])
    return rss // 1024, len(os.listdir(f"/proc/{pid}/fd"))


def main():
    session = sign_in()
    greedy_session = sign_in(GREEDY)
    limited = {"answered": 0, "refused": 0}
    n = 0

    def detect_cached():
        call("POST", GLINT + "/api/detect?prompt=a%20cat", CAT)

    def detect_uncached():
        call("POST", GLINT + "/api/detect?prompt=a%20cat", png(n))

    def job():
        _, _, body = call("POST", GLINT + "/api/jobs?prompt=a%20cat", png(n + 1_000_000))
        url = GLINT + json.loads(body)["status_url"]
        for _ in range(600):
            state = json.loads(call("GET", url)[2])
            if state["state"] in ("done", "failed"):
                if state["state"] == "failed":
                    raise RuntimeError(f"job failed: {state}")
                return
            time.sleep(0.05)
        raise RuntimeError("job did not finish in 30 s")

    def rate():
        _, _, body = call("POST", GLINT + "/api/detect?prompt=a%20cat", CAT, session)
        result = json.loads(body)["result_id"]
        call("POST", GLINT + "/api/feedback", json.dumps({"result_id": result, "rating": 1 + n % 5, "comment": f"soak {n}"}).encode(), session)

    def sign_in_again():
        nonlocal session
        session = sign_in()

    def gateway():
        _, _, body = call("POST", GATEWAY + "/gradio_api/call/echo", json.dumps({"data": [f"hello {n}"]}).encode(), {"content-type": "application/json"})
        event = json.loads(body)["event_id"]
        text = call("GET", f"{GATEWAY}/gradio_api/call/echo/{event}")[2].decode()
        if "event: complete" not in text:
            raise RuntimeError(f"gateway call did not complete: {text[:200]}")

    def greedy():
        refused = 0
        for _ in range(BURST):
            try:
                call("POST", GLINT + "/api/detect?prompt=a%20cat", CAT, greedy_session)
                limited["answered"] += 1
            except urllib.error.HTTPError as e:
                if e.code != 429 or not e.headers.get("retry-after"):
                    raise
                refused += 1
        if refused == 0:
            raise RuntimeError(f"{BURST} requests in a burst, none refused: the rate limit did not hold")
        limited["refused"] += refused

    round_ = [detect_cached, detect_uncached, job, rate, detect_cached, sign_in_again, gateway, greedy]
    counts, errors = {f.__name__: 0 for f in round_}, []
    samples = []
    started = time.monotonic()
    next_sample = started
    tick = 1.0 / RATE
    while time.monotonic() - started < SECONDS:
        now = time.monotonic()
        if now >= next_sample:
            samples.append({"t": round(now - started), "glint": sample(GLINT_PID), "gateway": sample(GATEWAY_PID)})
            next_sample += 10
        op = round_[n % len(round_)]
        try:
            op()
            counts[op.__name__] += 1
        except Exception as e:  # every failure is reported, none is fatal to the soak
            errors.append(f"{op.__name__}: {e}")
        n += 1
        time.sleep(max(0.0, started + n * tick - time.monotonic()))
    samples.append({"t": round(time.monotonic() - started), "glint": sample(GLINT_PID), "gateway": sample(GATEWAY_PID)})

    def span(key, i):
        values = [s[key][i] for s in samples]
        return {"start": values[0], "max": max(values), "end": values[-1]}

    summary = {
        "seconds": SECONDS, "operations": n, "by_kind": counts, "errors": len(errors), "first_errors": errors[:5],
        "greedy_requests": limited, 
        "glint_rss_mb": span("glint", 0), "glint_fds": span("glint", 1),
        "gateway_rss_mb": span("gateway", 0), "gateway_fds": span("gateway", 1),
        "samples": samples,
    }
    print(json.dumps(summary))
    sys.exit(1 if errors else 0)


main()
