// The web app on a stock Spin edge: the real Spin CLI (`spin up`) serves
// components/web-edge from spin-edge.toml, and forwards the API to a real
// `glint up` node on loopback. The same person's flow as ui.test.mjs runs
// against the edge's URL: sign in, find the cat, rate it, and the admin sees
// the rating. Spin is GLINT_SPIN_BIN, else ../shared/tools/spin/spin beside
// the checkout; where neither exists the test says so and skips.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { glintHome, upWithAdmin } from "./home.mjs";
import { signIn } from "./page.mjs";
import { freePort, killAll, root, start } from "./procs.mjs";

const spin = process.env.GLINT_SPIN_BIN || join(root, "..", "shared", "tools", "spin", "spin");
const ADMIN = ["root", "admin-pass-1"];
const USER = ["alice", "alice-pass-1"];
let node, edge, browser;

before(async () => {
  if (!existsSync(spin)) return;
  node = await upWithAdmin(glintHome("glint-edge-node-"), ADMIN);
  const port = await freePort();
  edge = await start(spin, ["up", "-f", join(root, "spin-edge.toml"), "--listen", `127.0.0.1:${port}`,
    "--state-dir", mkdtempSync(join(tmpdir(), "glint-edge-spin-"))], "Serving http://",
    { SPIN_VARIABLE_GLINT_NODE_URL: node, SPIN_VARIABLE_SITE_TITLE: "glint at the edge" });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  killAll();
});

test("through real Spin in front of a glint node: sign in, find the cat, rate it; the admin sees it", { skip: !existsSync(spin) && `no Spin CLI at ${spin} (set GLINT_SPIN_BIN)` }, async () => {
  const adminPage = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await signIn(adminPage, edge, ADMIN);
  assert.equal(await adminPage.textContent("h1"), "glint at the edge", "the site title is the edge's Spin variable");
  await adminPage.fill("#new-name", USER[0]);
  await adminPage.fill("#new-password", USER[1]);
  await adminPage.click("#add-user");
  await adminPage.waitForFunction(() => [...document.querySelectorAll("#users tbody td")].some((td) => td.textContent === "alice"));

  const user = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await signIn(user, edge, USER);
  await user.setInputFiles("#file", join(root, "samples", "chelsea.png"));
  await user.fill("#prompt", "a cat");
  await user.click("#run");
  await user.waitForFunction(() => /found|error|not /.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  assert.match(await user.textContent("#status"), /^1 found/);
  const label = await user.evaluate(() => [...document.getElementById("canvas").getContext("2d").getImageData(12, 4, 1, 1).data].slice(0, 3));
  assert.deepEqual(label, [230, 25, 75], "the box label is painted");
  await user.click('#stars button[data-stars="5"]');
  await user.fill("#comment", "found at the edge");
  await user.click("#send-feedback");
  await user.waitForFunction(() => /Thank you/.test(document.getElementById("feedback-status").textContent));

  await adminPage.click("#f-apply");
  await adminPage.waitForFunction(() => [...document.querySelectorAll("#feedback-rows tbody td")].some((td) => td.textContent === "found at the edge"));
  // The rating is stored on the node, where the edge forwarded it.
  const login = await fetch(`${node}/api/session`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: ADMIN[0], password: ADMIN[1] }) });
  const cookie = login.headers.get("set-cookie").split(";")[0];
  const feedback = await (await fetch(`${node}/api/feedback`, { headers: { cookie } })).text();
  assert.match(feedback, /found at the edge/);
});
