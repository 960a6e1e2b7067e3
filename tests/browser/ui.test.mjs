// The demo UI as a person uses it: Debian's chromium (driven by
// playwright-core) against a real `glint up` on loopback, with the real
// model behind it. Run by scripts/test.sh after the cargo tests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { launchChromium } from "./chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "tests", "browser", "out");
const glint = join(root, "target", "release", "glint");
const database = join(mkdtempSync(join(tmpdir(), "glint-ui-")), "glint.db");
const ADMIN = ["root", "admin-pass-1"];
let server, base, browser;

before(async () => {
  mkdirSync(out, { recursive: true });
  // The first admin comes from the CLI, as in the README.
  execFileSync(glint, ["users", "add", ADMIN[0], "--role", "admin", "--password-stdin", "--database", database],
    { cwd: root, input: ADMIN[1] + "\n" });
  server = spawn(glint, ["up", "--listen", "127.0.0.1:0", "--database", database], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("glint up did not start in 120 s")), 120_000);
    createInterface({ input: server.stdout }).once("line", (l) => { clearTimeout(timer); resolve(l); });
    server.once("exit", (code) => reject(new Error(`glint up exited with ${code}`)));
  });
  base = first.match(/http:\/\/\S+/)[0];
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
});

async function detect(page, file, prompt, { keepModel = false } = {}) {
  if (!keepModel) {
    await page.goto(base + "/");
    await ready(page);
  }
  await page.setInputFiles("#file", file);
  await page.fill("#prompt", prompt);
  await page.click("#run");
  await page.waitForFunction(() => /found|找到|error|not /.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  return page.textContent("#status");
}

async function ready(page) {
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 0);
  await page.waitForFunction(() => document.getElementById("who").textContent !== "");
}

async function signIn(page, user, password) {
  await page.goto(base + "/");
  await ready(page);
  await page.click("#login-open");
  await page.fill("#login-user", user);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await page.waitForFunction((u) => document.getElementById("who").textContent.startsWith(u), user);
}

test("uploading the cat photo draws a labelled box", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const status = await detect(page, join(root, "samples", "chelsea.png"), "a cat");
  assert.match(status, /^1 found .* by coco-grounded-v1 on openvino/);
  const rows = await page.$$eval("#results tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].slice(0, 2), ["a cat", "cat"]);
  // The box's label is painted on the canvas in the first phrase's colour (#e6194b).
  const label = await page.evaluate(() => {
    const c = document.getElementById("canvas");
    return [...c.getContext("2d").getImageData(12, 4, 1, 1).data].slice(0, 3);
  });
  assert.deepEqual(label, [230, 25, 75]);
  assert.equal(await page.isVisible("#download"), true);
  await page.screenshot({ path: join(out, "ui-desktop.png") });
  await page.close();
});

test("a caption on broad-v1: the prompt shows what each box grounds, hovering a box lights its words", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(base + "/");
  await ready(page);
  await page.selectOption("#model", "broad-v1");
  const status = await detect(page, join(root, "samples", "chelsea.png"), "a cat sleeping next to a remote", { keepModel: true });
  assert.match(status, /^1 found .* by broad-v1/);
  const marks = await page.$$eval("#grounded mark", (ms) => ms.map((m) => [m.textContent, m.title]));
  assert.deepEqual(marks.map((m) => m[0]), ["cat", "remote"]);
  assert.match(marks[0][1], /^exact → cat$/);
  assert.equal(await page.textContent("#grounded"), "a cat sleeping next to a remote", "the prompt reads as typed");
  // Hovering the table row lights the words its box grounds, and only those.
  await page.hover("#results tbody tr");
  assert.deepEqual(await page.$$eval("#grounded mark.active", (ms) => ms.map((m) => m.textContent)), ["cat"]);
  // Hovering the box on the canvas does the same; leaving it clears it.
  await page.mouse.move(0, 0);
  assert.equal(await page.$$eval("#grounded mark.active", (ms) => ms.length), 0);
  const box = await page.$eval("#canvas", (c) => { const r = c.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; });
  await page.mouse.move(box.x, box.y);
  await page.waitForFunction(() => document.querySelectorAll("#grounded mark.active").length === 1);
  assert.equal(await page.$eval("#results tbody tr", (tr) => tr.classList.contains("active")), true);
  await page.screenshot({ path: join(out, "ui-caption.png") });
  await page.close();
});

test("works at phone width without sideways scrolling", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  const status = await detect(page, join(root, "samples", "coffee.png"), "a coffee mug");
  assert.match(status, /found/);
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(out, "ui-phone.png"), fullPage: true });
  await page.close();
});

test("a file that is not an image gets a clear message", async () => {
  const page = await browser.newPage();
  const bogus = join(out, "not-an-image.png");
  writeFileSync(bogus, "hello, I am text");
  await page.goto(base + "/");
  await page.setInputFiles("#file", bogus);
  await page.waitForFunction(() => document.getElementById("status").classList.contains("error"));
  assert.match(await page.textContent("#status"), /not an image/);
  assert.equal(await page.isDisabled("#run"), true);
  await page.close();
});

test("admin adds a user; the user finds the cat and rates it; the admin sees the feedback; a guest cannot", async () => {
  const adminContext = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const admin = await adminContext.newPage();
  await signIn(admin, ...ADMIN);
  assert.equal(await admin.isVisible("#admin"), true, "admins see the admin panel");
  await admin.fill("#new-name", "alice");
  await admin.fill("#new-password", "alice-pass-1");
  await admin.click("#add-user");
  await admin.waitForFunction(() => [...document.querySelectorAll("#users tbody td")].some((td) => td.textContent === "alice"));

  const userContext = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const user = await userContext.newPage();
  await signIn(user, "alice", "alice-pass-1");
  assert.equal(await user.isVisible("#admin"), false, "users do not");
  const status = await detect(user, join(root, "samples", "chelsea.png"), "a cat");
  assert.match(status, /^1 found/);
  const label = await user.evaluate(() => [...document.getElementById("canvas").getContext("2d").getImageData(12, 4, 1, 1).data].slice(0, 3));
  assert.deepEqual(label, [230, 25, 75], "the box label 'a cat · 0.91' is painted");
  await user.click('#stars button[data-stars="4"]');
  await user.fill("#comment", "found the cat, box a bit wide");
  await user.screenshot({ path: join(out, "ui-signed-in.png") });
  await user.click("#send-feedback");
  await user.waitForFunction(() => /Thank you/.test(document.getElementById("feedback-status").textContent));
  await user.waitForFunction(() => document.querySelectorAll("#history tbody tr").length === 1);
  // The account's last prompt comes back in a new page (preferences in spin:key-value).
  const later = await userContext.newPage();
  await later.goto(base + "/");
  await later.waitForFunction(() => document.getElementById("prompt").value === "a cat");
  await later.close();

  await admin.click("#f-apply");
  await admin.waitForFunction(() => [...document.querySelectorAll("#feedback-rows tbody td")].some((td) => td.textContent === "found the cat, box a bit wide"));
  const row = await admin.$$eval("#feedback-rows tbody tr", (trs) => [...trs[0].children].map((td) => td.textContent));
  assert.deepEqual(row.slice(1), ["alice", "a cat", "coco-grounded-v1", "★★★★", "found the cat, box a bit wide"]);
  const csv = await admin.evaluate(async () => (await fetch(document.getElementById("export-csv").href)).text());
  assert.match(csv, /alice,.*a cat.*,4,"found the cat, box a bit wide"/s);

  const guest = await browser.newPage();
  await guest.goto(base + "/");
  await ready(guest);
  assert.equal(await guest.isVisible("#login-open"), true);
  const refused = await guest.evaluate(async () => {
    const r = await fetch("/api/feedback", { method: "POST", body: JSON.stringify({ result_id: "x", rating: 5 }), headers: { "content-type": "application/json" } });
    return [r.status, (await r.json()).error.message];
  });
  assert.deepEqual(refused, [401, "sign in to use this"]);
  await guest.close(); await userContext.close(); await adminContext.close();
});

test("the examples gallery and the Chinese interface", async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  await page.goto(base + "/");
  await ready(page);
  await page.waitForSelector('#gallery img[data-name="coffee.png"]');
  await page.click('#gallery img[data-name="coffee.png"]');
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("coffee.png:"));
  await page.selectOption("#lang", "zh");
  assert.equal(await page.textContent("#run"), "检测");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await page.fill("#prompt", "一个杯子");
  await page.click("#run");
  await page.waitForFunction(() => /找到|失败/.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  assert.match(await page.textContent("#status"), /^找到 \d+ 个/);
  await page.screenshot({ path: join(out, "ui-zh.png") });
  await page.close();
});
