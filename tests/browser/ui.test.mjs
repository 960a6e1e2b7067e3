// The demo UI as a person uses it: Debian's chromium (driven by
// playwright-core) against a real `glint up` on loopback, with the real
// model behind it. Run by scripts/test.sh after the cargo tests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "tests", "browser", "out");
let server, base, browser;

before(async () => {
  mkdirSync(out, { recursive: true });
  server = spawn(join(root, "target", "release", "glint"), ["up", "--listen", "127.0.0.1:0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("glint up did not start in 120 s")), 120_000);
    createInterface({ input: server.stdout }).once("line", (l) => { clearTimeout(timer); resolve(l); });
    server.once("exit", (code) => reject(new Error(`glint up exited with ${code}`)));
  });
  base = first.match(/http:\/\/\S+/)[0];
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
});

async function detect(page, file, prompt) {
  await page.goto(base + "/");
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 0);
  await page.setInputFiles("#file", file);
  await page.fill("#prompt", prompt);
  await page.click("#run");
  await page.waitForFunction(() => /found|error|not /.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  return page.textContent("#status");
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
  await page.waitForFunction(() => document.getElementById("status").className === "error");
  assert.match(await page.textContent("#status"), /not an image/);
  assert.equal(await page.isDisabled("#run"), true);
  await page.close();
});
