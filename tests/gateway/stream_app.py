"""Gradio test app with streamed outputs, for `glint gateway`'s stream tests
and benches/gateway/stream_bench.py. It stands in for an unmodified Gradio
application (it runs on Gradio 5 and on Gradio 4).

A text's pieces are separated by "|": "what the f|u|ck" is streamed as
"what the f", then "what the fu", then "what the fuck". A text that starts
with "rot13:" is ROT13-decoded first, so that a test can make the app say a
word the gateway would block in the input. Endpoints:

* ``stream`` (Textbox → Textbox, a generator): the pieces, as growing text.
* ``chat``: ``gr.ChatInterface(type="messages")`` whose reply streams the
  message's pieces the same way.
* ``markdown`` (Textbox → Markdown, a generator): the pieces as Markdown.
  ``{file:NAME}`` in the text becomes the app's own URL path of NAME in
  GLINT_GATEWAY_FILES, ``{upstream}`` the app's own address.
* ``file`` (Textbox → File): a file of the kind named: ``pdf``, ``wav``,
  ``txt`` (whose text is the rest of the input after a colon, decoded like
  a stream's) or ``png``.

Environment:

* ``GRADIO_SERVER_PORT`` -- port on 127.0.0.1 (default 7862).
* ``GLINT_GATEWAY_FILES`` -- a folder the app may serve files from.
* ``GLINT_STREAM_DELAY_MS`` -- pause between pieces (default 20).
* ``GLINT_STREAM_LOG`` -- if set, the time each piece is yielded is appended
  to this file (benches/gateway/stream_bench.py reads it).
* ``GLINT_STREAM_ENDS`` -- if set, each stream appends how it ended to this
  file: ``done N/N``, or ``stopped K/N`` when Gradio closed it early.

Once the server accepts requests the app prints ``ready http://127.0.0.1:PORT``.
"""

import codecs
import inspect
import os
import struct
import tempfile
import time
import urllib.request
import zlib

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

PORT = int(os.environ.get("GRADIO_SERVER_PORT", "7862"))
URL = f"http://127.0.0.1:{PORT}"
FILES = os.environ.get("GLINT_GATEWAY_FILES", "")
DELAY = float(os.environ.get("GLINT_STREAM_DELAY_MS", "20")) / 1000
LOG = os.environ.get("GLINT_STREAM_LOG")
ENDS = os.environ.get("GLINT_STREAM_ENDS")
PREFIX = "/gradio_api" if int(gr.__version__.split(".")[0]) >= 5 else ""
OUT = tempfile.mkdtemp(prefix="glint-stream-app-")


def decode(text):
    text = text or ""
    return codecs.decode(text[len("rot13:"):], "rot13") if text.startswith("rot13:") else text


def pieces(text):
    """The growing text, piece by piece."""
    text = decode(text)
    parts = text.split("|")
    shown, sent = "", 0
    try:
        for piece in parts:
            shown += piece
            if LOG:
                with open(LOG, "a") as f:
                    f.write(f"{time.time()}\n")
            yield shown
            sent += 1
            time.sleep(DELAY)
    finally:
        if ENDS:
            with open(ENDS, "a") as f:
                f.write(f"{'done' if sent == len(parts) else 'stopped'} {sent}/{len(parts)}\n")


def stream(text):
    yield from pieces(text)


def chat(message, history):
    yield from pieces(message)


def expand(text):
    text = text.replace("{upstream}", URL)
    while "{file:" in text:
        start = text.index("{file:")
        end = text.index("}", start)
        path = os.path.join(FILES, text[start + 6:end])
        text = text[:start] + f"{PREFIX}/file={path}" + text[end + 1:]
    return text


def markdown(text):
    yield from pieces(expand(text or ""))


def png():
    raw = b"".join(b"\x00" + bytes([200, 120, 40]) * 8 for _ in range(8))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def file(kind):
    kind, _, rest = (kind or "").partition(":")
    body = {
        "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "wav": b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00",
        "txt": decode(rest).encode(),
        "png": png(),
    }[kind]
    path = os.path.join(OUT, f"out-{time.monotonic_ns()}.{kind}")
    with open(path, "wb") as f:
        f.write(body)
    return path


with gr.Blocks(title="glint gateway stream test app") as demo:
    with gr.Tab("stream"):
        text_in = gr.Textbox(label="pieces")
        text_out = gr.Textbox(label="streamed")
        gr.Button("stream").click(stream, text_in, text_out, api_name="stream")
    with gr.Tab("chat"):
        named = "api_name" in inspect.signature(gr.ChatInterface.__init__).parameters
        gr.ChatInterface(chat, type="messages", **({"api_name": "chat"} if named else {}))
    with gr.Tab("markdown"):
        md_in = gr.Textbox(label="markdown pieces")
        md_out = gr.Markdown(label="rendered")
        gr.Button("render").click(markdown, md_in, md_out, api_name="markdown")
    with gr.Tab("file"):
        kind_in = gr.Textbox(label="kind")
        file_out = gr.File(label="file")
        gr.Button("file").click(file, kind_in, file_out, api_name="file")


if __name__ == "__main__":
    allowed = [p for p in (FILES, OUT) if p]
    demo.queue().launch(server_name="127.0.0.1", server_port=PORT, prevent_thread_lock=True, allowed_paths=allowed)
    while True:
        try:
            urllib.request.urlopen(URL + "/config", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    print(f"ready {URL}", flush=True)
    while True:
        time.sleep(3600)
