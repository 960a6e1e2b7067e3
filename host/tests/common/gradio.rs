//! Helpers for the tests of `glint gateway`: Gradio apps run with the venv's
//! Python (scripts/gradio-venv.sh), the gateway in front of them, and curl.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{METRICS_TOKEN, home, temp_dir};

/// A child process killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Gradio 5's Python: `$GLINT_GRADIO_PYTHON`, else the venv setup makes.
pub fn python() -> PathBuf {
    let p = std::env::var_os("GLINT_GRADIO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".glint/gradio-venv/bin/python"));
    assert!(p.exists(), "{} is missing: run scripts/gradio-venv.sh (scripts/test.sh does)", p.display());
    p
}

/// Starts `cmd`; waits for the stdout line containing `marker`; the URL in it.
pub fn spawn_until(mut cmd: Command, marker: &str) -> (Proc, String) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .find(|l| l.as_ref().is_ok_and(|l| l.contains(marker)))
        .unwrap_or_else(|| panic!("no {marker:?} line"))
        .unwrap();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let from = line.find("http://").unwrap_or_else(|| panic!("no URL in {line:?}"));
    let url = line[from..].split([' ', ')']).next().unwrap().trim_end_matches('/').to_string();
    (Proc(child), url)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Gradio app script of tests/gateway/ run by `python` on a free port.
pub fn gradio_app(python: &Path, script: &str, env: &[(&str, &Path)]) -> (Proc, String) {
    let mut cmd = Command::new(python);
    cmd.arg(home().join("tests/gateway").join(script)).env("GRADIO_SERVER_PORT", free_port().to_string());
    for (k, v) in env {
        cmd.env(k, v);
    }
    spawn_until(cmd, "ready http://")
}

/// `glint gateway` in front of `upstream` with `manifest`'s policy; its
/// address and its audit database.
pub fn gateway(upstream: &str, manifest: &Path, extra: &[&str]) -> (Proc, String, PathBuf) {
    let database = temp_dir("gateway-db").join("audit.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glint"));
    cmd.current_dir(home())
        .args(["gateway", "--upstream", upstream, "--listen", "127.0.0.1:0", "--manifest"])
        .arg(manifest)
        .arg("--database")
        .arg(&database)
        .args(extra)
        .env("GLINT_METRICS_TOKEN", METRICS_TOKEN);
    let (proc, url) = spawn_until(cmd, "gateway on http://");
    (proc, url, database)
}

pub fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(["-s", "-N", "--max-time", "60"]).args(args).output().expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// POST `<base><prefix>/call/<api>` with `data`, then its event stream, with curl.
pub fn call(base: &str, prefix: &str, api: &str, data: serde_json::Value) -> String {
    let body = serde_json::json!({ "data": data }).to_string();
    let started = curl(&["-X", "POST", &format!("{base}{prefix}/call/{api}"), "-H", "content-type: application/json", "-d", &body]);
    let id: serde_json::Value = serde_json::from_str(&started).unwrap_or_else(|e| panic!("{started}: {e}"));
    curl(&[&format!("{base}{prefix}/call/{api}/{}", id["event_id"].as_str().unwrap())])
}

/// Runs a check script of tests/gateway/ with `python`; panics unless it prints "ok" last.
pub fn check_script(python: &Path, script: &str, args: &[&str]) {
    let out = Command::new(python).arg(home().join("tests/gateway").join(script)).args(args).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim_end().ends_with("ok"), "{script}: {said}");
}
