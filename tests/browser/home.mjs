// A glint folder of a test's own, and `glint up` serving it: what the
// browser tests that change plugins, models or the manifest start from.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { glint, root, start } from "./procs.mjs";

/**
 * A fresh GLINT_HOME: copies of `plugins`, links to the `models` folders,
 * the runtimes and the photos, and spin.toml with its paths made absolute
 * and `edit` applied.
 */
export function glintHome(prefix, { plugins = ["detect.wasm", "audit.wasm"], models = ["coco-grounded-v1", "audit-v1"], edit = (t) => t } = {}) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(home, "plugins")); mkdirSync(join(home, "models"));
  for (const p of plugins) copyFileSync(join(root, "plugins", p), join(home, "plugins", p));
  for (const m of models) symlinkSync(join(root, "models", m), join(home, "models", m));
  for (const l of ["samples", ".glint"]) symlinkSync(join(root, l), join(home, l));
  const manifest = readFileSync(join(root, "spin.toml"), "utf8")
    .replaceAll("components/target/", join(root, "components/target") + "/")
    .replace('source = "samples"', `source = "${join(root, "samples")}"`);
  writeFileSync(join(home, "spin.toml"), edit(manifest));
  return home;
}

/** Adds the admin `[user, password]` and starts `glint up` (ONNX Runtime) in `home`; resolves with its URL. */
export function upWithAdmin(home, [user, password]) {
  const env = { GLINT_HOME: home };
  const database = join(home, "glint.db");
  execFileSync(glint, ["users", "add", user, "--role", "admin", "--password-stdin", "--database", database],
    { cwd: root, input: password + "\n", env: { ...process.env, ...env } });
  return start(glint, ["--backend", "onnx", "up", "--listen", "127.0.0.1:0", "--database", database], "serving app", env);
}
