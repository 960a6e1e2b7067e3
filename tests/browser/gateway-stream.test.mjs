// A streaming Gradio app's own web UI (tests/gateway/stream_app.py) in
// Debian's chromium, through `glint gateway`: every state the page shows
// while a reply streams is recorded; a blocked word split over ten pieces
// never appears in any of them, not even in part, while the harmless text
// before it does; a benign reply arrives piece by piece and ends as the app
// made it. Run by scripts/test.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { freePort, glint, killAll, python, root, start } from "./procs.mjs";

const scratch = mkdtempSync(join(tmpdir(), "glint-gateway-stream-ui-"));
const OPENING = "this is a long and harmless opening sentence that streams first, ";
const rot13 = (s) => s.replace(/[a-z]/gi, (c) => {
  const a = c <= "Z" ? 65 : 97;
  return String.fromCharCode(((c.charCodeAt(0) - a + 13) % 26) + a);
});
// The app decodes ROT13, so the prompt passes the input check and the app itself says the word.
const BLOCKED = "rot13:" + rot13(OPENING + "|what a mo|th|e|r|f|u|c|k|e|r| is this");
const PIECES = Array.from({ length: 8 }, (_, i) => `piece ${i} of a harmless reply, `);
let gateway, browser;

before(async () => {
  const app = await start(python, ["tests/gateway/stream_app.py"], "ready http://",
    { GRADIO_SERVER_PORT: String(await freePort()), GLINT_GATEWAY_FILES: join(root, "samples"), GLINT_STREAM_DELAY_MS: "60" });
  gateway = await start(glint, ["gateway", "--upstream", app, "--listen", "127.0.0.1:0",
    "--database", join(scratch, "audit.db")], "gateway on http://");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  killAll();
});

/** Records every distinct state of the page's text boxes and chat as it changes. */
async function record(page) {
  await page.evaluate(() => {
    window.seen = [];
    const tick = () => {
      const now = JSON.stringify({ boxes: [...document.querySelectorAll("textarea")].map((t) => t.value), page: document.body.innerText });
      if (window.seen.at(-1) !== now) window.seen.push(now);
      requestAnimationFrame(tick);
    };
    tick();
  });
}

const seen = (page) => page.evaluate(() => window.seen);

test("a streamed reply in the Gradio UI never shows a blocked word, not even in part", async () => {
  const page = await browser.newPage();
  await page.goto(gateway + "/");
  await record(page);
  await page.getByLabel("pieces", { exact: true }).fill(BLOCKED);
  await page.getByRole("button", { name: "stream", exact: true }).click();
  await page.getByText(/blocked by the content policy.*output\.text/).first().waitFor({ timeout: 30_000 });
  const states = await seen(page);
  assert.ok(states.some((s) => s.includes(OPENING.slice(0, 30))), "the harmless opening streamed before the block");
  const leaked = states.filter((s) => s.includes("what a m"));
  assert.deepEqual(leaked, [], "the page showed a partial of the blocked word");

  // A benign reply: piece by piece, and in the end exactly the app's text.
  await page.evaluate(() => { window.seen = []; });
  await page.getByLabel("pieces", { exact: true }).fill(PIECES.join("|"));
  await page.getByRole("button", { name: "stream", exact: true }).click();
  const expected = PIECES.join("");
  await page.waitForFunction((e) => [...document.querySelectorAll("textarea")].some((t) => t.value === e), expected, { timeout: 30_000 });
  const partial = (v) => v && v !== expected && expected.startsWith(v);
  const values = new Set((await seen(page)).flatMap((s) => JSON.parse(s).boxes.filter(partial)));
  assert.ok(values.size >= 3, `the reply arrived in ${values.size} partial states`);
  await page.close();
});

test("the ChatInterface through the gateway: the blocked reply never shows, the error does", async () => {
  const page = await browser.newPage();
  await page.goto(gateway + "/");
  await page.getByRole("tab", { name: "chat" }).click();
  await record(page);
  const box = page.getByPlaceholder(/Type a message/);
  await box.fill(BLOCKED);
  await box.press("Enter");
  await page.getByText(/blocked by the content policy.*output\.text/).first().waitFor({ timeout: 30_000 });
  const states = await seen(page);
  assert.deepEqual(states.filter((s) => s.includes("what a m")), [], "the chat showed a partial of the blocked word");
  assert.ok(states.some((s) => s.includes(OPENING.slice(0, 30))), "the harmless opening streamed into the chat first");
  await page.close();
});
