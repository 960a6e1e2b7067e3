// The admin's "Plugins & models" page in Debian's chromium, against a real
// `glint up` in a glint folder of the test's own: the admin installs a
// second build of the detector from the page, sees it serving and the
// event recorded, and rolls it back with the page's button. Run by
// scripts/test.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { glintHome, upWithAdmin } from "./home.mjs";
import { cellsOf, signIn } from "./page.mjs";
import { killAll, root } from "./procs.mjs";

const out = join(root, "tests", "browser", "out");
const home = glintHome("glint-live-ui-");
const ADMIN = ["root", "admin-pass-1"];
const sha = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
let base, browser, variant;

before(async () => {
  mkdirSync(out, { recursive: true });
  // The same detector with another name in its metadata: another build.
  variant = join(home, "detect-b.wasm");
  execFileSync(join(root, ".glint/venv/bin/wasm-tools"), ["metadata", "add", "--name", "glint-detect-b", join(root, "plugins/detect.wasm"), "-o", variant]);
  base = await upWithAdmin(home, ADMIN);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  killAll();
});

test("the admin swaps the detector from the page, sees the event, and rolls it back", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await signIn(page, base, ADMIN);
  await page.waitForFunction(() => document.querySelectorAll("#plugins tbody tr").length > 0, null, { timeout: 30_000 });
  const original = sha(join(home, "plugins", "detect.wasm"));
  const detector = async () => (await cellsOf(page, "plugins")).find((r) => r[0] === "detect");
  assert.equal((await detector())[2], original.slice(0, 12));

  await page.setInputFiles("#p-file", variant);
  await page.fill("#p-name", "detect");
  await page.click("#p-install");
  const swapped = sha(variant).slice(0, 12);
  // The page says what happened once its tables show the new state.
  await page.waitForFunction(() => /detect: swapped/.test(document.getElementById("plugins-status").textContent), null, { timeout: 60_000 });
  assert.equal((await detector())[2], swapped);
  const events = await cellsOf(page, "live-events");
  assert.deepEqual(events[0].slice(1, 5), [ADMIN[0], "install", "detect", "swapped"]);
  await page.locator("#plugins").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, "live-swap.png"), fullPage: true });

  await page.click('button[data-rollback="detect"]');
  await page.waitForFunction((o) => [...document.querySelectorAll("#plugins tbody tr")]
    .some((tr) => tr.children[0].textContent === "detect" && tr.children[2].textContent === o), original.slice(0, 12), { timeout: 60_000 });
  assert.deepEqual((await cellsOf(page, "live-events"))[0].slice(2, 5), ["rollback", "detect", "swapped"]);
  // Detection answers with the build now serving.
  const answer = await page.evaluate(async () => {
    const img = await (await fetch("/examples/chelsea.png")).blob();
    const headers = { "x-csrf-token": me.csrf }; // the page's own session
    return (await fetch("/api/detect?prompt=a%20cat", { method: "POST", body: img, headers })).json();
  });
  assert.equal(answer.plugin_sha256, original);
  await page.close();
});
