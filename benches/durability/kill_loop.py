"""Durability under SIGKILL: feedback, account and audited-detection writes
against a real `glint up` that is killed at random moments, ROUNDS times;
after every restart, everything the server acknowledged with a 2xx must be
there, and the database must open.

    python3 benches/durability/kill_loop.py GLINT_BIN MANIFEST DATABASE ROUNDS

Run by scripts/kill-loop.sh (which makes the manifest and the database).
Prints one line per round and a summary; exits 1 if anything acknowledged
is missing. Standard library only; loopback only; bounded in rounds and time.
"""

import json
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

GLINT, MANIFEST, DATABASE, ROUNDS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ADMIN = ("durability-admin", "durability-admin-pass")
PASSWORD = "writer-password-1"
IMAGE = open("samples/chelsea.png", "rb").read()


def start():
    proc = subprocess.Popen(
        [GLINT, "--backend", "onnx", "up", "--listen", "127.0.0.1:0", "--manifest", MANIFEST, "--database", DATABASE],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"glint up did not start (the database may not open): {line!r}")
    return proc, "http://" + line.split("http://")[1].split()[0]


class Session:
    def __init__(self, base, user, password):
        self.base = base
        r = self.call("POST", "/api/session", json.dumps({"user": user, "password": password}).encode(), session=False)
        self.cookie = r.headers["set-cookie"].split(";")[0]
        self.csrf = json.loads(r.read())["csrf"]

    def call(self, method, path, body=None, session=True):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if session:
            req.add_header("cookie", self.cookie)
            req.add_header("x-csrf-token", self.csrf)
        return urllib.request.urlopen(req, timeout=30)

    def json(self, method, path, body=None):
        return json.loads(self.call(method, path, body).read())


def writer(base, round_no, who, acked, stop):
    """Writes until the server dies; records what it acknowledged."""
    try:
        s = Session(base, who, PASSWORD)
        admin = Session(base, *ADMIN)
    except Exception:
        return
    n = 0
    while not stop.is_set():
        n += 1
        try:
            r = s.json("POST", "/api/detect?prompt=a%20cat", IMAGE)
            acked["detects"][who] = acked["detects"].get(who, 0) + 1
            token = f"r{round_no}-{who}-{n}"
            body = json.dumps({"result_id": r["result_id"], "rating": 1 + n % 5, "comment": token}).encode()
            if s.call("POST", "/api/feedback", body).status == 201:
                acked["feedback"].append(token)
            name = f"acct-{round_no}-{who}-{n}"
            body = json.dumps({"name": name, "password": PASSWORD, "role": "user"}).encode()
            if admin.call("POST", "/api/users", body).status == 201:
                acked["accounts"].append(name)
        except (urllib.error.URLError, ConnectionError, OSError, KeyError, ValueError):
            return


def verify(base, acked):
    admin = Session(base, *ADMIN)
    users = {u["name"] for u in admin.json("GET", "/api/users")}
    missing = [a for a in acked["accounts"] if a not in users]
    rows = admin.json("GET", "/api/feedback?limit=10000")
    comments = {f["comment"] for f in rows}
    missing += [t for t in acked["feedback"] if t not in comments]
    for who, detects in acked["detects"].items():
        q = urllib.parse.urlencode({"user": who, "route": "POST /api/detect", "limit": 10000})
        logged = len(admin.json("GET", f"/api/audit?{q}")["rows"])
        # Four decisions per answered detection: the prompt, the upload, the labels, the drawn result.
        if logged < 4 * detects:
            missing.append(f"audit of {who}: {logged} decisions logged for {detects} answered detections")
    return missing


def main():
    random.seed(7)
    acked = {"accounts": [], "feedback": [], "detects": {}}
    killed = 0
    for round_no in range(1, ROUNDS + 1):
        proc, base = start()
        missing = verify(base, acked)
        if missing:
            proc.kill()
            print(f"round {round_no}: MISSING after restart: {missing[:5]} ({len(missing)} in all)")
            sys.exit(1)
        admin = Session(base, *ADMIN)
        writers = [f"w{round_no}a", f"w{round_no}b"]
        for w in writers:
            admin.call("POST", "/api/users", json.dumps({"name": w, "password": PASSWORD, "role": "user"}).encode())
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(base, round_no, w, acked, stop)) for w in writers]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.5, 2.5))
        proc.kill()  # SIGKILL, mid-write
        proc.wait()
        killed += 1
        stop.set()
        for t in threads:
            t.join(timeout=30)
        print(f"round {round_no}: killed; acknowledged so far: {len(acked['accounts'])} accounts, "
              f"{len(acked['feedback'])} feedback rows, {sum(acked['detects'].values())} audited detections", flush=True)
    proc, base = start()
    missing = verify(base, acked)
    proc.kill()
    proc.wait()
    total = len(acked["accounts"]) + len(acked["feedback"]) + sum(acked["detects"].values())
    print(f"durability: {killed} SIGKILLs, {total} acknowledged writes, {len(missing)} missing, the database opened {killed + 1} times")
    sys.exit(1 if missing else 0)


main()
