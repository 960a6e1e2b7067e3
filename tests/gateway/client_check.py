"""gradio_client through `glint gateway` (run by host/tests/gateway.rs).

    python client_check.py GATEWAY_URL IMAGE

Checks, with the real gradio_client (queue/join + queue/data, /upload):
benign text comes back exactly as the app made it; a blocked input and a
blocked output raise AppError with glint's message; an image goes through
/flip and comes back flipped. Prints "ok" last; exits non-zero otherwise.
"""
import sys

from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageOps

url, image = sys.argv[1], sys.argv[2]
client = Client(url, verbose=False)

assert client.predict("hello there", api_name="/echo") == "echo: hello there"

for text, check in [("you fucking idiot", "input.text"), ("reverse:tihs", "output.text")]:
    try:
        client.predict(text, api_name="/echo")
    except AppError as e:
        assert "blocked by the content policy" in str(e) and check in str(e), str(e)
    else:
        raise AssertionError(f"{text!r} was not blocked")

flipped = client.predict(handle_file(image), api_name="/flip")
original = Image.open(image).convert("RGB")
got = Image.open(flipped).convert("RGB")
assert got.size == original.size, (got.size, original.size)
# webp output is lossy: compare with the mirrored original loosely.
mirror = ImageOps.mirror(original).resize((32, 32))
diff = sum(abs(a - b) for p, q in zip(mirror.getdata(), got.resize((32, 32)).getdata()) for a, b in zip(p, q))
assert diff / (32 * 32 * 3) < 12, diff
print("ok")
