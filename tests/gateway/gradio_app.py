"""Gradio 5 test app that `glint gateway` proxies in its integration tests.

It stands in for an unmodified Gradio application. Two API endpoints:

* ``echo`` (text -> text): ``"reverse:abc"`` returns ``"cba"``; ``"raise:MSG"``
  raises ``gr.Error(MSG)`` (``"nope"`` if MSG is empty) so tests can see how
  Gradio reports errors; anything else returns ``"echo: " + text``.
* ``flip`` (image -> image): PIL image in, the same image mirrored left-right out.

Environment:

* ``GRADIO_SERVER_PORT`` -- port to listen on, on 127.0.0.1 (default 7861).
* ``GLINT_GATEWAY_CALLS`` -- if set, every call of echo/flip appends one line,
  ``echo`` or ``flip``, to this file, so tests can tell whether a request
  reached the app or was stopped by the gateway.

Once the server accepts requests the app prints ``ready http://127.0.0.1:PORT``
on stdout and then blocks until killed.
"""

import os
import time
import urllib.request

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from PIL import ImageOps  # noqa: E402


def _count(name):
    path = os.environ.get("GLINT_GATEWAY_CALLS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(name + "\n")


def echo(text):
    _count("echo")
    text = text or ""
    if text.startswith("raise:"):
        raise gr.Error(text[len("raise:"):] or "nope")
    if text.startswith("reverse:"):
        return text[len("reverse:"):][::-1]
    return "echo: " + text


def flip(image):
    _count("flip")
    return None if image is None else ImageOps.mirror(image)


with gr.Blocks(title="glint gateway test app") as demo:
    with gr.Tab("echo"):
        text_in = gr.Textbox(label="text")
        text_out = gr.Textbox(label="result")
        gr.Button("echo").click(echo, text_in, text_out, api_name="echo")
    with gr.Tab("flip"):
        image_in = gr.Image(type="pil", label="image")
        image_out = gr.Image(type="pil", label="flipped")
        gr.Button("flip").click(flip, image_in, image_out, api_name="flip")


if __name__ == "__main__":
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7861"))
    url = f"http://127.0.0.1:{port}"
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True)
    while True:
        try:
            urllib.request.urlopen(url + "/config", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    print(f"ready {url}", flush=True)
    while True:
        time.sleep(3600)
