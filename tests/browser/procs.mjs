// Processes the browser tests start (a Gradio app, `glint gateway`): each is
// killed by killAll(); start() resolves with the URL its stdout announces.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const glint = join(root, "target", "release", "glint");
export const python = process.env.GLINT_GRADIO_PYTHON || join(root, ".glint", "gradio-venv", "bin", "python");
const children = [];

/** Starts a process and resolves with the first URL on the stdout line matching `marker`. */
export function start(cmd, args, marker, env = {}) {
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start in 120 s`)), 120_000);
    createInterface({ input: child.stdout }).on("line", (l) => {
      if (l.includes(marker)) { clearTimeout(timer); resolve(l.match(/http:\/\/\S+/)[0]); }
    });
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

/** A port nobody listens on now. */
export const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

export function killAll() {
  for (const c of children) c.kill("SIGINT");
}
