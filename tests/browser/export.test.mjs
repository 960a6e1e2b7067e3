// Reports and exports from the page, in Debian's chromium against a real
// `glint up`: a signed-in user finds the cat, downloads the PDF report and
// a COCO file of the result; the admin downloads the rated results as one
// COCO file. Each download is read back by another tool (poppler's
// pdftotext, JSON.parse checked against the COCO fields). Run by
// scripts/test.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { signIn } from "./page.mjs";
import { glint, killAll, root, start } from "./procs.mjs";

const dir = mkdtempSync(join(tmpdir(), "glint-export-ui-"));
const database = join(dir, "glint.db");
const ADMIN = ["root", "admin-pass-1"];
const USER = ["alice", "alice-pass-1"];
let base, browser;

before(async () => {
  mkdirSync(join(root, "tests", "browser", "out"), { recursive: true });
  for (const [name, role, password] of [[...ADMIN.slice(0, 1), "admin", ADMIN[1]], [USER[0], "user", USER[1]]]) {
    execFileSync(glint, ["users", "add", name, "--role", role, "--password-stdin", "--database", database],
      { cwd: root, input: password + "\n" });
  }
  // The site's name (spin.toml's site_title variable) is on the page and in the report.
  base = await start(glint, ["--backend", "onnx", "up", "--listen", "127.0.0.1:0", "--database", database], "serving app",
    { SPIN_VARIABLE_SITE_TITLE: "ACME detector" });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  killAll();
});

/** Clicks `selector` and saves the file the browser downloads; its path and suggested name. */
async function download(page, selector, name) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const path = join(dir, name);
  await file.saveAs(path);
  return { path, suggested: file.suggestedFilename() };
}

test("a user downloads the PDF report and COCO of a result; the admin the rated results as COCO", async () => {
  const page = await browser.newPage({ acceptDownloads: true });
  // The page's Content-Security-Policy allows no inline script: nothing of the page may trip it.
  const violations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await signIn(page, base, USER);
  assert.equal(await page.textContent("h1"), "ACME detector");
  assert.equal(await page.title(), "ACME detector");
  // Guests and signed-in users alike see no export links before a result.
  assert.equal(await page.isVisible("#exports"), false);
  await page.setInputFiles("#file", join(root, "samples", "chelsea.png"));
  await page.fill("#prompt", "a cat");
  await page.click("#run");
  await page.waitForFunction(() => /found/.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  await page.waitForSelector("#exports", { state: "visible" });
  // The format list comes from the exporter plugins.
  const options = await page.$$eval("#export-format option", (os) => os.map((o) => o.value));
  assert.deepEqual(options, ["coco", "yolo", "voc"]);

  const pdf = await download(page, "#export-pdf", "report.pdf");
  assert.match(pdf.suggested, /^glint-[0-9a-f]+\.pdf$/);
  const text = execFileSync("pdftotext", [pdf.path, "-"]).toString();
  for (const want of ["ACME detector", "a cat", "alice", "coco-grounded-v1", "cat"]) assert.ok(text.includes(want), `the PDF lacks ${want}: ${text}`);

  await page.selectOption("#export-format", "coco");
  const coco = await download(page, "#export-go", "result.json");
  assert.match(coco.suggested, /\.json$/);
  const doc = JSON.parse(readFileSync(coco.path, "utf8"));
  assert.equal(doc.images.length, 1);
  assert.deepEqual([doc.images[0].width, doc.images[0].height], [451, 300]);
  assert.ok(doc.annotations.length >= 1 && doc.annotations.every((a) => a.bbox.length === 4 && a.image_id === doc.images[0].id));
  assert.ok(doc.categories.some((c) => c.name === "cat"), JSON.stringify(doc.categories));

  assert.deepEqual(violations, [], "CSP violations");
  // Rate it, so that the admin's feedback browser has it.
  await page.click('#stars button[data-stars="5"]');
  await page.click("#send-feedback");
  await page.waitForFunction(() => /Thank you/.test(document.getElementById("feedback-status").textContent));
  await page.close();

  const admin = await browser.newPage({ acceptDownloads: true });
  await signIn(admin, base, ADMIN);
  await admin.waitForSelector("#export-coco", { state: "visible" });
  const all = await download(admin, "#export-coco", "feedback.json");
  const rated = JSON.parse(readFileSync(all.path, "utf8"));
  assert.equal(rated.images.length, 1, "one rated result");
  assert.ok(rated.annotations.length >= 1);
  await admin.close();
});
