//! Plugins written outside this repository's workspaces, on the real
//! toolchains a third party would use: Python (componentize-py), JavaScript
//! (componentize-js) and Rust (wit-bindgen from crates.io), built by their own
//! build scripts against the WIT that `glint plugins wit` publishes.
//!
//! - the examples in `plugins/examples/` (built by setup) serve through a
//!   real `glint up`: the Python auditor guards detections, the JavaScript
//!   exporter's formats are read back with Python's csv and XML parsers;
//! - every `glint plugins new` skeleton (4 worlds x 3 languages) builds and
//!   passes `glint plugins check` as written (the detector is refused at the
//!   canary, as its README says);
//! - a component for another package version, or one that imports what glint
//!   does not grant, is refused with a message that names it;
//! - a Python plugin that reaches for the clock, entropy, files, the
//!   environment or the network gets nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::live::{temp_home, wasm_tools};
use common::*;

const USER: (&str, &str) = ("alice", "alice-pass-1");

/// A built example's component (scripts/setup.sh builds them).
fn example(name: &str) -> PathBuf {
    let wasm = home().join("plugins/examples").join(name).join(format!("{name}.wasm"));
    assert!(wasm.is_file(), "{} is missing: run scripts/setup.sh (scripts/build-plugin-examples.sh)", wasm.display());
    wasm
}

fn glint() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_glint"));
    c.current_dir(home());
    c
}

fn tool(name: &str) -> PathBuf {
    home().join(".glint/venv/bin").join(name)
}

/// `glint plugins check FILE`: (accepted, stdout + stderr).
fn check(wasm: &Path) -> (bool, String) {
    let out = glint().args(["plugins", "check"]).arg(wasm).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Runs a plugin folder's build.sh with the tools setup installed.
fn build(dir: &Path) {
    let out = Command::new(dir.join("build.sh"))
        .env("WASM_TOOLS", wasm_tools())
        .env("COMPONENTIZE_PY", tool("componentize-py"))
        .env("GLINT", env!("CARGO_BIN_EXE_glint"))
        .env("CARGO_TARGET_DIR", home().join("target/plugin-skeletons"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}/build.sh: {}{}", dir.display(), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// `glint plugins new`, then its build; the built component's path.
fn new_plugin(parent: &Path, name: &str, world: &str, lang: &str) -> PathBuf {
    let out = glint().args(["plugins", "new", name, "--world", world, "--lang", lang, "--dir"]).arg(parent).output().unwrap();
    assert!(out.status.success(), "plugins new {name}: {}", String::from_utf8_lossy(&out.stderr));
    let dir = parent.join(name);
    if lang == "js" {
        // The pinned componentize-js the JavaScript example installed (npm ci).
        std::os::unix::fs::symlink(home().join("plugins/examples/table-export/node_modules"), dir.join("node_modules")).unwrap();
    }
    build(&dir);
    dir.join(format!("{name}.wasm"))
}

/// `glint up` in a home of its own with `plugins` added and `edit` applied to spin.toml.
fn serve(name: &str, plugins: &[&Path], edit: impl Fn(String) -> String) -> (Server, PathBuf) {
    let home = temp_home(name);
    for p in plugins {
        std::fs::copy(p, home.join("plugins").join(p.file_name().unwrap())).unwrap();
    }
    let (dir, m) = manifest_with(name, |t| edit(rate_limits_off(t)));
    let (home_s, m_s) = (home.display().to_string(), m.display().to_string());
    let s = start_with(&["--backend", "onnx", "--manifest", &m_s], Stdio::inherit(), &[("GLINT_HOME", &home_s)]);
    (s, dir)
}

fn detect(addr: &str, prompt: &str) -> Reply {
    let q: String = form_urlencoded::byte_serialize(prompt.as_bytes()).collect();
    request(addr, "POST", &format!("/api/detect?prompt={q}"), &chelsea())
}

#[test]
fn the_python_auditor_guards_a_real_server() {
    let (s, _dir) = serve("phrase-guard", &[&example("phrase-guard")], |t| t.replace("plugin = \"audit\"", "plugin = \"phrase-guard\""));
    for (prompt, reason) in [
        ("a gun", "text.denied:gun"),
        ("a cat next to a Rifle", "text.denied:rifle"),
        ("a cat, then mail bob.smith@example.com", "text.pii.email"),
        ("a cat. call me on +44 20 7946 0958", "text.pii.phone"),
        ("a cat 4111 1111 1111 1111", "text.pii.card"),
        ("you fucking idiot", "text.denied:fucking"),
    ] {
        let r = detect(&s.addr, prompt);
        assert_eq!(r.status, 422, "{prompt}: {}", r.text());
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains("blocked by the content policy") && message.contains(reason), "{prompt}: {message}");
    }
    // The allow list wins over the deny list; words that merely contain a denied one pass.
    for prompt in ["a cat . a glue gun", "a cat that has begun to sleep", "a cat . 12 mugs", "a cat"] {
        let r = detect(&s.addr, prompt);
        assert_eq!(r.status, 200, "{prompt}: {}", r.text());
    }
    let found = detect(&s.addr, "a cat").json();
    assert!(found["detections"].as_array().unwrap().iter().any(|d| d["label"] == "cat"), "{found}");
}

#[test]
fn the_javascript_exporter_writes_csv_and_svg_that_real_parsers_read() {
    let (s, dir) = serve("table-export", &[&example("table-export")], |t| t);
    add_user(&s, USER.0, "user", USER.1);
    let alice = Client::login(&s.addr, USER.0, USER.1);
    let offered = request(&s.addr, "GET", "/api/exports", b"").json();
    let names: Vec<&str> = offered["formats"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["csv", "svg"], "{offered}");

    let r = alice.send("POST", "/api/detect?prompt=a%20cat%20.%20a%20remote%20control&threshold=0.2", &chelsea());
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    let id = answer["result_id"].as_str().unwrap();
    let detections = answer["detections"].as_array().unwrap();
    assert!(!detections.is_empty(), "{answer}");

    let csv = alice.send("GET", &format!("/api/results/{id}/export?format=csv"), b"");
    assert_eq!((csv.status, csv.header("content-type").as_deref()), (200, Some("text/csv")), "{}", csv.text());
    let svg = alice.send("GET", &format!("/api/results/{id}/export?format=svg"), b"");
    assert_eq!((svg.status, svg.header("content-type").as_deref()), (200, Some("image/svg+xml")), "{}", svg.text());
    std::fs::write(dir.join("result.csv"), &csv.body).unwrap();
    std::fs::write(dir.join("result.svg"), &svg.body).unwrap();

    // Python's csv and xml.etree read them back; they print what they found as JSON.
    let script = r#"
import csv, json, sys, xml.etree.ElementTree as ET
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
svg = ET.parse(sys.argv[2]).getroot()
ns = {"s": "http://www.w3.org/2000/svg"}
rects = [dict(r.attrib) for r in svg.findall("s:g/s:rect", ns)]
print(json.dumps({"rows": rows, "width": svg.get("width"), "height": svg.get("height"), "rects": rects}))
"#;
    let out = Command::new(tool("python")).arg("-c").arg(script).arg(dir.join("result.csv")).arg(dir.join("result.svg")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = read["rows"].as_array().unwrap();
    assert_eq!(rows.len(), detections.len(), "{read}");
    for (row, d) in rows.iter().zip(detections) {
        assert_eq!(row["result_id"], id);
        assert_eq!(row["prompt"], "a cat . a remote control");
        assert_eq!(row["user"], USER.0);
        assert_eq!(row["model_version"], answer["model"]["version"]);
        assert_eq!(row["label"], d["label"]);
        let score: f64 = row["score"].as_str().unwrap().parse().unwrap();
        assert!((score - d["score"].as_f64().unwrap()).abs() < 1e-3, "{row} {d}");
        let x0: f64 = row["x0"].as_str().unwrap().parse().unwrap();
        assert!((x0 - d["box"]["x0"].as_f64().unwrap()).abs() < 0.1, "{row} {d}");
    }
    assert_eq!((read["width"].as_str(), read["height"].as_str()), (Some(answer["width"].to_string().as_str()), Some(answer["height"].to_string().as_str())));
    assert_eq!(read["rects"].as_array().unwrap().len(), detections.len(), "{read}");

}

#[test]
fn every_skeleton_builds_and_passes_the_checks_of_a_live_install() {
    let parent = temp_dir("skeletons");
    for lang in ["python", "js", "rust"] {
        for world in ["auditor", "exporter", "allocator", "detector"] {
            let name = format!("{}-{}", &world[..5], lang);
            let wasm = new_plugin(&parent, &name, world, lang);
            let (accepted, said) = check(&wasm);
            if world == "detector" {
                assert!(!accepted && said.contains("refused at step canary") && said.contains("cannot run coco-grounded-v1 yet"), "{name}: {said}");
            } else {
                let plugin_world = match world {
                    "auditor" => "audit-plugin",
                    "exporter" => "export-plugin",
                    _ => "ab-plugin",
                };
                assert!(accepted && said.contains(&format!("would be accepted ({plugin_world})")), "{name}: {said}");
            }
        }
    }
    // The Rust template in plugins/examples/ builds from the published WIT alone, and passes.
    let (accepted, said) = check(&example("minimal-auditor"));
    assert!(accepted, "{said}");
}

#[test]
fn components_for_another_version_or_with_ungranted_imports_are_refused_by_name() {
    let parent = temp_dir("refused");
    // Python, built against glint:plugins@0.3.0.
    let out = glint().args(["plugins", "new", "old-version", "--world", "auditor", "--lang", "python", "--dir"]).arg(&parent).output().unwrap();
    assert!(out.status.success());
    let wit = parent.join("old-version/wit/glint.wit");
    let text = std::fs::read_to_string(&wit).unwrap();
    std::fs::write(&wit, text.replace("package glint:plugins@0.6.0;", "package glint:plugins@0.3.0;")).unwrap();
    std::fs::remove_file(parent.join("old-version/wit/worlds.wit")).unwrap();
    build(&parent.join("old-version"));
    let (accepted, said) = check(&parent.join("old-version/old-version.wasm"));
    assert!(!accepted && said.contains("glint:plugins/auditor@0.3.0") && said.contains("this glint implements glint:plugins@0.6.0"), "{said}");

    // JavaScript with componentize-js's fetch support left on: it imports wasi:http.
    let dir = parent.join("wants-http");
    let out = glint().args(["plugins", "new", "wants-http", "--world", "exporter", "--lang", "js", "--dir"]).arg(&parent).output().unwrap();
    assert!(out.status.success());
    let script = std::fs::read_to_string(dir.join("build.mjs")).unwrap();
    std::fs::write(dir.join("build.mjs"), script.replace("\"http\", \"fetch-event\"", "\"fetch-event\"")).unwrap();
    std::os::unix::fs::symlink(home().join("plugins/examples/table-export/node_modules"), dir.join("node_modules")).unwrap();
    build(&dir);
    let (accepted, said) = check(&dir.join("wants-http.wasm"));
    assert!(!accepted && said.contains("wasi:http/") && said.contains("which glint does not grant"), "{said}");
}

#[test]
fn a_python_plugin_gets_no_clock_entropy_files_environment_or_network() {
    let parent = temp_dir("probe");
    let out = glint().args(["plugins", "new", "probe", "--world", "auditor", "--lang", "python", "--dir"]).arg(&parent).output().unwrap();
    assert!(out.status.success());
    std::fs::write(
        parent.join("probe/app.py"),
        r#"
import os, time, random
from wit_world import exports
from wit_world.imports.types import Action, Verdict

def attempt(f):
    try:
        return repr(f())
    except BaseException as e:
        return type(e).__name__

class Auditor(exports.Auditor):
    def check_input(self, input):
        if "fuck" in input.prompt:
            return Verdict(action=Action.BLOCK, reasons=["text.blocked-word"], scores=[])
        seen = [
            "time=" + attempt(time.time),
            "monotonic=" + attempt(time.monotonic_ns),
            "urandom=" + attempt(lambda: os.urandom(8).hex()),
            "environ=" + attempt(lambda: len(os.environ)),
            "file=" + attempt(lambda: open("/etc/hostname").read()),
            "listdir=" + attempt(lambda: os.listdir("/")),
            "socket=" + attempt(lambda: __import__("socket").create_connection(("127.0.0.1", 9))),
        ]
        return Verdict(action=Action.REVIEW, reasons=seen, scores=[])

    def check_output(self, output):
        return Verdict(action=Action.ALLOW, reasons=[], scores=[])
"#,
    )
    .unwrap();
    build(&parent.join("probe"));
    let wasm = parent.join("probe/probe.wasm");
    let (s, _dir) = serve("probe", &[&wasm], |t| t.replace("plugin = \"audit\"", "plugin = \"probe\""));
    const ADMIN: (&str, &str) = ("root", "root-pass-1");
    add_user(&s, ADMIN.0, "admin", ADMIN.1);
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    let mut seen = Vec::new();
    for _ in 0..2 {
        assert_eq!(detect(&s.addr, "a cat").status, 200);
        let rows = admin.send("GET", "/api/audit?check=input.text", b"").json()["rows"].as_array().unwrap().clone();
        seen.push(rows[0]["reasons"].clone());
    }
    let reasons: Vec<&str> = seen[0].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    for expected in ["time=0.0", "monotonic=0", "environ=0"] {
        assert!(reasons.contains(&expected), "{expected} missing from {reasons:?}");
    }
    for denied in ["file=", "listdir=", "socket="] {
        let r = reasons.iter().find(|r| r.starts_with(denied)).unwrap();
        assert!(r.ends_with("Error") || r == &format!("{denied}[]"), "{r}: the sandbox let it through");
    }
    assert_eq!(seen[0], seen[1], "the same call gave another answer: the plugin drew entropy");
}
