// The unmodified Gradio test app's own web UI, in Debian's chromium, through
// `glint gateway`: benign text comes back as the app made it; a blocked input
// and a blocked output show glint's message in Gradio's error toast, and the
// app counts no call for the blocked input. Run by scripts/test.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { freePort, glint, killAll, python, root, start } from "./procs.mjs";

const out = join(root, "tests", "browser", "out");
const scratch = mkdtempSync(join(tmpdir(), "glint-gateway-ui-"));
const calls = join(scratch, "calls.txt");
let gateway, browser;

const appCalls = () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean).length : 0);

before(async () => {
  mkdirSync(out, { recursive: true });
  assert.ok(existsSync(python), `${python} is missing: run scripts/gradio-venv.sh`);
  const app = await start(python, ["tests/gateway/gradio_app.py"], "ready http://",
    { GRADIO_SERVER_PORT: String(await freePort()), GLINT_GATEWAY_CALLS: calls });
  gateway = await start(glint, ["gateway", "--upstream", app, "--listen", "127.0.0.1:0",
    "--database", join(scratch, "audit.db")], "gateway on http://");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  killAll();
});

async function echo(page, text) {
  await page.getByLabel("text", { exact: true }).fill(text);
  await page.getByRole("button", { name: "echo", exact: true }).click();
}

test("the Gradio UI through the gateway: benign text passes, blocks show glint's message", async () => {
  const page = await browser.newPage();
  await page.goto(gateway + "/");
  await echo(page, "hello there");
  await page.waitForFunction(() => [...document.querySelectorAll("textarea")].some((t) => t.value === "echo: hello there"),
    null, { timeout: 30_000 });
  assert.equal(appCalls(), 1);

  await echo(page, "you fucking idiot");
  await page.getByText(/blocked by the content policy.*input\.text/).first().waitFor({ timeout: 30_000 });
  assert.equal(appCalls(), 1, "the blocked input reached the app");
  await page.screenshot({ path: join(out, "gateway-blocked.png") });

  await echo(page, "reverse:tihs");
  await page.getByText(/blocked by the content policy.*output\.text/).first().waitFor({ timeout: 30_000 });
  assert.equal(appCalls(), 2, "the app ran for the blocked output");
  const shown = await page.$$eval("textarea", (ts) => ts.map((t) => t.value));
  assert.ok(!shown.some((v) => v.includes("shit")), `the blocked output reached the page: ${shown}`);
  await page.close();
});
