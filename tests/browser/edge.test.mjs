// The web app at the edge: components/web-edge from spin-edge.toml, served
// by the real Spin CLI (`spin up`) and by `glint up` in its Spin-only mode
// (only Spin's interfaces linked), each forwarding the API to the same real
// `glint up` node on loopback. The same person's flow as ui.test.mjs runs
// against each edge's URL: sign in, find the cat, rate it, and the admin sees
// the rating. Spin is GLINT_SPIN_BIN, else ../shared/tools/spin/spin beside
// the checkout; where neither exists that half says so and skips.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { glintHome, upWithAdmin } from "./home.mjs";
import { signIn } from "./page.mjs";
import { freePort, glint, killAll, root, start } from "./procs.mjs";

const spin = process.env.GLINT_SPIN_BIN || join(root, "..", "shared", "tools", "spin", "spin");
const ADMIN = ["root", "admin-pass-1"];
let node, browser;

const EDGE_VARS = (node) => ({ SPIN_VARIABLE_GLINT_NODE_URL: node, SPIN_VARIABLE_SITE_TITLE: "glint at the edge" });

before(async () => {
  node = await upWithAdmin(glintHome("glint-edge-node-"), ADMIN);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  killAll();
});

/** Signs in as `who` at `edge`, finds the cat and rates it with `comment`; the admin sees it there and on the node. */
async function flow(edge, who, comment) {
  const adminPage = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await signIn(adminPage, edge, ADMIN);
  assert.equal(await adminPage.textContent("h1"), "glint at the edge", "the site title is the edge's Spin variable");
  await adminPage.fill("#new-name", who[0]);
  await adminPage.fill("#new-password", who[1]);
  await adminPage.click("#add-user");
  await adminPage.waitForFunction((name) => [...document.querySelectorAll("#users tbody td")].some((td) => td.textContent === name), who[0]);

  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await signIn(page, edge, who);
  await page.setInputFiles("#file", join(root, "samples", "chelsea.png"));
  await page.fill("#prompt", "a cat");
  await page.click("#run");
  await page.waitForFunction(() => /found|error|not /.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  assert.match(await page.textContent("#status"), /^1 found/);
  const label = await page.evaluate(() => [...document.getElementById("canvas").getContext("2d").getImageData(12, 4, 1, 1).data].slice(0, 3));
  assert.deepEqual(label, [230, 25, 75], "the box label is painted");
  await page.click('#stars button[data-stars="5"]');
  await page.fill("#comment", comment);
  await page.click("#send-feedback");
  await page.waitForFunction(() => /Thank you/.test(document.getElementById("feedback-status").textContent));

  await adminPage.click("#f-apply");
  await adminPage.waitForFunction((text) => [...document.querySelectorAll("#feedback-rows tbody td")].some((td) => td.textContent === text), comment);
  // The rating is stored on the node, where the edge forwarded it.
  const login = await fetch(`${node}/api/session`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: ADMIN[0], password: ADMIN[1] }) });
  const cookie = login.headers.get("set-cookie").split(";")[0];
  const feedback = await (await fetch(`${node}/api/feedback`, { headers: { cookie } })).text();
  assert.ok(feedback.includes(comment), feedback);
}

test("through real Spin in front of a glint node: sign in, find the cat, rate it; the admin sees it", { skip: !existsSync(spin) && `no Spin CLI at ${spin} (set GLINT_SPIN_BIN)` }, async () => {
  const port = await freePort();
  const edge = await start(spin, ["up", "-f", join(root, "spin-edge.toml"), "--listen", `127.0.0.1:${port}`,
    "--state-dir", mkdtempSync(join(tmpdir(), "glint-edge-spin-"))], "Serving http://", EDGE_VARS(node));
  await flow(edge, ["alice", "alice-pass-1"], "found through Spin");
});

test("through glint up (Spin's interfaces only) in front of a glint node: the same flow", async () => {
  const edge = await start(glint, ["up", "--manifest", join(root, "spin-edge.toml"), "--listen", "127.0.0.1:0"], "serving app", EDGE_VARS(node));
  await flow(edge, ["bob", "bob-pass-12"], "found through glint up");
});
