"""gradio_client through `glint gateway` in front of tests/gateway/stream_app.py
(run by host/tests/gateway_streams.rs, on Gradio 5 and on Gradio 4).

    python stream_check.py GATEWAY_URL DIRECT_URL AUDIT_DB STREAM_ENDS

With the real gradio_client (queue/join + queue/data, whose later
process_generating messages are diffs), for the plain text stream, the
ChatInterface and the Markdown output:

* a blocked word split over 2, 3 and 10 pieces never reaches the client in
  any partial output, the stream did show the harmless text before it, and
  the call ends in AppError naming output.text;
* a benign stream arrives in several partial outputs and ends exactly as
  the app's own (asked directly);
* the audit log has one output.text decision for a whole benign stream;
* on Gradio 5 a blocked call is stopped in the app (Gradio's cancel), not
  left to generate the rest of its reply unseen: the app's GLINT_STREAM_ENDS
  file (STREAM_ENDS) says that stream stopped;
* after each block the same client's next call succeeds (once, an answer
  sent before the app ended the call made that next call fail with
  CancelledError).

Prints "ok" last; exits non-zero otherwise.
"""
import codecs
import sqlite3
import sys
import time

import gradio
from gradio_client import Client
from gradio_client.exceptions import AppError

gateway, direct, audit_db, stream_ends = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
OPENING = "this is a long and harmless opening sentence that streams first, "
SPLITS = {2: "mother|fucker", 3: "moth|erfu|cker", 10: "mo|th|e|r|f|u|c|k|e|r"}
BENIGN = "|".join(f"piece {i} of a harmless reply, " for i in range(12))
APIS = ["/stream", "/markdown", "/chat"]


def texts(output):
    """Every string in one output (a chat output is a tuple)."""
    if isinstance(output, str):
        return [output]
    if isinstance(output, (list, tuple)):
        return [t for o in output for t in texts(o)]
    if isinstance(output, dict):
        return [t for o in output.values() for t in texts(o)]
    return []


def run(client, text, api):
    """The partial outputs the client saw, and the final result or the AppError."""
    job = client.submit(text, api_name=api)
    while not job.done():
        time.sleep(0.005)  # not a busy loop: on 2 cores it starves the gateway and the app
    try:
        final = job.result()
    except AppError as e:
        final = e
    return job.outputs(), final


gw = Client(gateway, verbose=False)
app = Client(direct, verbose=False)

for api in APIS:
    for n, split in SPLITS.items():
        # ROT13, so the input passes and the app itself says the word.
        text = "rot13:" + codecs.encode(OPENING + "|what a " + split + "| is this", "rot13")
        partials, final = run(gw, text, api)
        assert isinstance(final, AppError), f"{api}, {n} pieces: not blocked: {final!r}"
        assert "output.text" in str(final), f"{api}: {final}"
        seen = [t for p in partials for t in texts(p)]
        leaked = [t for t in seen if "what a m" in t]
        assert not leaked, f"{api}, {n} pieces: the client saw a partial of the blocked word: {leaked}"
        assert any(OPENING[:30] in t for t in seen), f"{api}, {n} pieces: nothing streamed before the block: {seen}"
        _, after = run(gw, "a harmless| follow-up", api)
        assert not isinstance(after, Exception), f"{api}, {n} pieces: the call after the block failed: {after!r}"

    partials, final = run(gw, BENIGN, api)
    _, expected = run(app, BENIGN, api)
    assert not isinstance(final, Exception), f"{api}: benign stream failed: {final}"
    assert final == expected, f"{api}: through the gateway {final!r}, directly {expected!r}"
    assert len(partials) >= 4, f"{api}: the benign stream arrived in {len(partials)} pieces: {partials}"

# A blocked call with a long tail: on Gradio 5 the gateway has the app stop
# it; unstopped, it would end its 103 pieces (20 ms apart) well within 1.5
# times that plus a second. Gradio 5 closes the stopped generator, which
# writes "stopped K/103". On Gradio 4 (not asked, see crates/gateway/src/stop.rs)
# it runs to its end, and the block message comes when it ends.
TAIL = "".join(f"| tail {i}," for i in range(100))
pieces = 3 + 100


def ends_of_tails():
    """How each stream of `pieces` pieces ended so far, per the app."""
    with open(stream_ends, "a+") as f:
        f.seek(0)
        return [line.split()[0] for line in f if line.rstrip().endswith(f"/{pieces}")]


before = len(ends_of_tails())
started = time.time()
_, final = run(gw, "rot13:" + codecs.encode(OPENING + "|what a " + SPLITS[2] + TAIL, "rot13"), "/stream")
assert isinstance(final, AppError), final
time.sleep(max(0.0, started + pieces * 0.020 * 1.5 + 1 - time.time()))
ends = ends_of_tails()[before:]
if int(gradio.__version__.split(".")[0]) >= 5:
    assert ends == ["stopped"], f"the blocked call was not stopped in the app: {ends}"
else:
    assert ends == ["done"], f"Gradio 4: the blocked call should have run to its end: {ends}"

# One decision per stream: a fresh session streams one benign reply.
one = Client(gateway, verbose=False)
partials, final = run(one, BENIGN, "/stream")
assert len(partials) >= 4 and not isinstance(final, Exception), (partials, final)
with sqlite3.connect(audit_db) as db:
    rows = db.execute(
        "SELECT check_name, verdict FROM audit_log WHERE session_id = ? AND check_name LIKE 'output.%'",
        (one.session_hash,),
    ).fetchall()
assert rows == [("output.text", "allow")], f"expected one output.text decision for the stream, got {rows}"
print("ok")
