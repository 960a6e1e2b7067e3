// The admin's "Experiments" page in Debian's chromium, against a real
// `glint up` running an A/B experiment (coco-grounded-v1 against the same
// weights as coco-grounded-v2): guests and rating users are scripted over
// HTTP first, then the admin opens the page, sees the per-arm numbers, the
// sample-ratio check and the chart of the cumulative difference, and pauses
// the experiment from the page. Run by scripts/test.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { glintHome, upWithAdmin } from "./home.mjs";
import { cellsOf, signIn } from "./page.mjs";
import { killAll, root } from "./procs.mjs";

const out = join(root, "tests", "browser", "out");
const ADMIN = ["root", "admin-pass-1"];
const GUESTS = 80, RATERS = 24;
let base, browser;

const EXPERIMENT = `
[application.tool.glint.experiments.detector-ab]
description = "v2 against v1"
min_subjects = 20
min_ratings = 5
[[application.tool.glint.experiments.detector-ab.arms]]
name = "control"
model = "coco-grounded-v1"
weight = 50
[[application.tool.glint.experiments.detector-ab.arms]]
name = "treatment"
model = "coco-grounded-v2"
weight = 50
`;

/** Signs in over HTTP; the cookie and CSRF token for later requests. */
async function signInHttp(user, password) {
  const r = await fetch(base + "/api/session", { method: "POST", body: JSON.stringify({ user, password }), headers: { "content-type": "application/json" } });
  assert.equal(r.status, 200, await r.clone().text());
  const cookie = r.headers.get("set-cookie").split(";")[0];
  return { cookie, csrf: (await r.json()).csrf };
}

const send = (who, method, path, body) =>
  fetch(base + path, { method, body, headers: { cookie: who.cookie, "x-csrf-token": who.csrf, "content-type": "application/json" } });

before(async () => {
  mkdirSync(out, { recursive: true });
  // Rate limits off: every scripted subject posts from this one address.
  const home = glintHome("glint-exp-ui-", {
    plugins: ["detect.wasm", "audit.wasm", "ab.wasm"],
    edit: (t) => t.replace("per_minute = 120", "per_minute = 0").replace("guest_per_minute = 30", "guest_per_minute = 0") + EXPERIMENT,
  });
  // coco-grounded-v2: the same files under another version name.
  const v2 = join(home, "models", "coco-grounded-v2");
  mkdirSync(v2);
  for (const f of readdirSync(join(root, "models", "coco-grounded-v1"))) {
    if (f === "model.toml") {
      writeFileSync(join(v2, f), readFileSync(join(root, "models", "coco-grounded-v1", f), "utf8").replaceAll("coco-grounded-v1", "coco-grounded-v2"));
    } else symlinkSync(join(root, "models", "coco-grounded-v1", f), join(v2, f));
  }
  base = await upWithAdmin(home, ADMIN);
  browser = await launchChromium();

  // Scripted traffic: guests (no cookie jar: each is a new subject), then users who rate (treatment liked better).
  const cat = readFileSync(join(root, "samples", "chelsea.png"));
  for (let i = 0; i < GUESTS; i++) {
    const r = await fetch(base + "/api/detect?prompt=a%20cat", { method: "POST", body: cat });
    assert.equal(r.status, 200);
    assert.ok(r.headers.get("set-cookie").startsWith("glint_subject="));
  }
  const admin = await signInHttp(...ADMIN);
  for (let i = 0; i < RATERS; i++) {
    const name = `rater${i}`;
    assert.equal((await send(admin, "POST", "/api/users", JSON.stringify({ name, password: "password-123", role: "user" }))).status, 201);
    const user = await signInHttp(name, "password-123");
    const result = await (await send(user, "POST", "/api/detect?prompt=a%20cat", cat)).json();
    const rating = result.experiment.arm === "treatment" ? 4 + (i % 2) : 2 + (i % 2);
    assert.equal((await send(user, "POST", "/api/feedback", JSON.stringify({ result_id: result.result_id, rating, comment: "" }))).status, 201);
  }
});

after(async () => {
  await browser?.close();
  killAll();
});

test("the admin sees the experiment's per-arm numbers and chart, and pauses it from the page", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  await signIn(page, base, ADMIN);
  await page.waitForFunction(() => document.querySelectorAll("#exp-arms tbody tr").length === 2, null, { timeout: 30_000 });
  const arms = await cellsOf(page, "exp-arms");
  assert.deepEqual(arms.map((a) => a[0]), ["control", "treatment"]);
  const subjects = arms.reduce((n, a) => n + Number(a[3]), 0);
  assert.equal(subjects, GUESTS + RATERS, JSON.stringify(arms));
  assert.equal(arms.reduce((n, a) => n + Number(a[7]), 0), RATERS, "ratings per arm add up");
  assert.equal(arms[0][11], "control");
  assert.match(arms[1][10], /^-?\d+\.\d\d \[/, "the difference and its anytime-valid interval");
  assert.equal(await page.isHidden("#srm"), true, "a fair split raises no SRM banner");
  assert.ok(await page.$$eval("#exp-chart polyline.difference", (l) => l.length === 1 && l[0].getAttribute("points").split(" ").length > 2));
  assert.ok(await page.$("#exp-chart polygon.band"));
  await page.locator("#experiment").scrollIntoViewIfNeeded();
  await page.locator("#experiment").screenshot({ path: join(out, "experiments.png") });

  await page.click("#exp-pause");
  await page.waitForFunction(() => /^paused/.test(document.getElementById("exp-state").textContent), null, { timeout: 30_000 });
  assert.match(await page.textContent("#exp-state"), new RegExp(`changed by ${ADMIN[0]}`));
  // Paused: a new guest is served by the control, uncounted.
  const answer = await page.evaluate(async () => {
    const img = await (await fetch("/examples/chelsea.png")).blob();
    return (await fetch("/api/detect?prompt=a%20cat&model=", { method: "POST", body: img, headers: { "x-csrf-token": me.csrf } })).json();
  });
  assert.equal(answer.experiment, null);
  assert.equal(answer.model.version, "coco-grounded-v1");
  await page.close();
});
