//! The web app for a stock Spin edge (`components/web-edge`, `spin-edge.toml`),
//! checked with Spin's own artefacts, not with glint's:
//!
//! - `wasm-tools component targets` against Spin's `spin:up/http-trigger@3.6.0`
//!   world, read from the WIT that ships in the spin-sdk 5.2 crate the edge
//!   build is compiled with (the cargo registry's copy); its imports name
//!   nothing of glint's own interfaces;
//! - the real Spin CLI (`GLINT_SPIN_BIN`, else `../shared/tools/spin/spin`
//!   beside the checkout; skipped with a message where neither exists) serves
//!   it in front of a real `glint up` node on loopback: the page, guest and
//!   signed-in detection, feedback and history, the CSRF and cross-site
//!   refusals, and a clear 502 when the node is gone;
//! - `glint up` serves the same manifest with Spin's interfaces only, and the
//!   same checks pass; an outbound request outside `allowed_outbound_hosts`
//!   is refused, and glint-platform components may not ask for one.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::gradio::free_port;
use common::live::wasm_tools;
use common::*;

const EDGE_WASM: &str = "components/target/wasm32-wasip2/release/glint_web_edge.wasm";
const SPIN_WORLD: &str = "spin:up/http-trigger@3.6.0";

/// The `wit/` folder of the spin-sdk crate the edge build locks (cargo metadata).
fn spin_sdk_wit() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--locked", "--format-version", "1", "--manifest-path"])
        .arg(home().join("components/Cargo.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sdk = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "spin-sdk" && p["version"].as_str().is_some_and(|v| v.starts_with("5.")))
        .expect("the edge build's spin-sdk 5 in components/Cargo.lock");
    PathBuf::from(sdk["manifest_path"].as_str().unwrap()).parent().unwrap().join("wit")
}

#[test]
fn the_edge_build_targets_spins_http_trigger_world_and_imports_nothing_of_glint() {
    let wasm = home().join(EDGE_WASM);
    assert!(wasm.is_file(), "{} is missing: run scripts/setup.sh", wasm.display());
    let wit = spin_sdk_wit();
    let out = Command::new(wasm_tools()).args(["component", "targets"]).arg(&wit).arg(&wasm).args(["--world", SPIN_WORLD]).output().unwrap();
    assert!(out.status.success(), "{} does not target {SPIN_WORLD} of {}: {}", wasm.display(), wit.display(), String::from_utf8_lossy(&out.stderr));
    // The web component, which imports glint's platform interfaces, does not.
    let web = home().join("components/target/wasm32-wasip2/release/glint_web.wasm");
    let out = Command::new(wasm_tools()).args(["component", "targets"]).arg(&wit).arg(&web).args(["--world", SPIN_WORLD]).output().unwrap();
    assert!(!out.status.success(), "the glint-linked web component should not fit Spin's world");

    let out = Command::new(wasm_tools()).args(["component", "wit"]).arg(&wasm).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let imports: Vec<&str> = text.lines().map(str::trim).filter(|l| l.starts_with("import ")).collect();
    assert!(!imports.is_empty() && imports.iter().all(|i| !i.contains("glint:")), "{imports:?}");
    assert!(imports.iter().any(|i| i.contains("wasi:http/outgoing-handler@0.2")), "{imports:?}");
    assert!(text.contains("export wasi:http/incoming-handler@0.2.0"), "{text}");
}

/// `spin up` of spin-edge.toml in front of `node`; killed on drop.
struct Edge {
    child: Child,
    addr: String,
}

impl Drop for Edge {
    /// `spin up` runs the trigger as a child process: end the whole group.
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this test started.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn spin_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("GLINT_SPIN_BIN").map(PathBuf::from).unwrap_or_else(|| home().join("../shared/tools/spin/spin"));
    bin.is_file().then_some(bin)
}

fn spin_up(spin: &PathBuf, manifest: &std::path::Path, node: &str) -> Edge {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(spin)
        .current_dir(home())
        .arg("up")
        .arg("-f")
        .arg(manifest)
        .args(["--listen", &addr, "--state-dir"])
        .arg(temp_dir("spin-state"))
        .env("SPIN_VARIABLE_GLINT_NODE_URL", format!("http://{node}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spin up starts");
    let started = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "spin up did not listen on {addr} in 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Edge { child, addr }
}

#[test]
fn real_spin_serves_the_edge_in_front_of_a_glint_node() {
    let Some(spin) = spin_bin() else {
        eprintln!("skipped: no Spin CLI (set GLINT_SPIN_BIN, or put it at ../shared/tools/spin/spin)");
        return;
    };
    let mut node = start(&[]);
    add_user(&node, "alice", "user", "alice-pass-1");
    let edge = spin_up(&spin, &home().join("spin-edge.toml"), &node.addr);
    the_edge_serves_the_app_of(&mut node, &edge.addr);
}

/// `glint up --manifest spin-edge.toml`: Spin's interfaces only.
struct GlintEdge {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Drop for GlintEdge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn glint_up_edge(manifest: &std::path::Path, node: &str) -> GlintEdge {
    let log = temp_dir("glint-edge").join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .arg("up")
        .arg("--manifest")
        .arg(manifest)
        .args(["--listen", "127.0.0.1:0"])
        .env("SPIN_VARIABLE_GLINT_NODE_URL", format!("http://{node}"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("glint up starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next());
    let addr = addr.unwrap_or_else(|| panic!("no address in {line:?}: {}", std::fs::read_to_string(&log).unwrap_or_default())).to_string();
    GlintEdge { child, addr, log }
}

#[test]
fn glint_up_serves_the_edge_with_spins_interfaces_only() {
    let mut node = start(&[]);
    add_user(&node, "alice", "user", "alice-pass-1");
    let edge = glint_up_edge(&home().join("spin-edge.toml"), &node.addr);
    let log = std::fs::read_to_string(&edge.log).unwrap();
    assert!(log.contains("Spin's interfaces only") && log.contains("no model, database or glint interface is linked"), "{log}");
    assert!(!log.contains("model version loaded") && !log.contains("audit plugin"), "the edge loads nothing of glint's: {log}");
    the_edge_serves_the_app_of(&mut node, &edge.addr);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outbound {
    Allowed,
    Denied,
    /// The manifest is refused at start.
    Refused,
}

/// spin-edge.toml with `allowed_outbound_hosts` replaced by `hosts`, in a folder of its own.
fn edge_manifest_allowing(hosts: &str) -> PathBuf {
    let text = std::fs::read_to_string(home().join("spin-edge.toml"))
        .unwrap()
        .replace(r#"allowed_outbound_hosts = ["{{ glint_node_url }}"]"#, &format!("allowed_outbound_hosts = [{hosts}]"))
        .replace("components/target/", &format!("{}/components/target/", home().display()));
    assert!(text.contains(&format!("allowed_outbound_hosts = [{hosts}]")), "the test's edit applies");
    let path = temp_dir("edge-manifest").join("spin-edge.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn glint_up_holds_the_edge_to_its_allowed_outbound_hosts() {
    let node = start(&[]);
    let port = node.addr.rsplit(':').next().unwrap().to_string();
    // Entries that let the request to the node out, entries that do not, and
    // entries refused at start; the real Spin CLI, where there is one, must
    // judge each the same way.
    let (p, below, above) = (port.parse::<u32>().unwrap(), port.parse::<u32>().unwrap() - 1, port.parse::<u32>().unwrap() + 1);
    let cases = [
        (format!(r#""http://127.0.0.1:{p}""#), Outbound::Allowed),
        (r#""http://127.0.0.1:*""#.to_string(), Outbound::Allowed),
        (r#""*://*:*""#.to_string(), Outbound::Allowed),
        (format!(r#""http://127.0.0.1:{below}..{above}""#), Outbound::Allowed),
        (r#""http://127.0.0.1:1""#.to_string(), Outbound::Denied),
        (format!(r#""https://127.0.0.1:{p}""#), Outbound::Denied),
        (format!(r#""http://localhost:{p}""#), Outbound::Denied),
        (format!(r#""http://127.0.0.1:{p}..{p}""#), Outbound::Denied),
        (r#""""#.to_string(), Outbound::Refused),
        (r#""127.0.0.1""#.to_string(), Outbound::Refused),
    ];
    let spin = spin_bin();
    if spin.is_none() {
        eprintln!("not compared with Spin: no Spin CLI (set GLINT_SPIN_BIN, or put it at ../shared/tools/spin/spin)");
    }
    for (hosts, expected) in &cases {
        let manifest = edge_manifest_allowing(hosts);
        if *expected == Outbound::Refused {
            let out = Command::new(env!("CARGO_BIN_EXE_glint")).arg("up").arg("--manifest").arg(&manifest).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success() && err.contains("allowed_outbound_hosts"), "glint up, allowed_outbound_hosts = [{hosts}]: {err}");
            if let Some(spin) = &spin {
                let out = Command::new(spin).arg("up").arg("-f").arg(&manifest).args(["--listen", "127.0.0.1:1"]).output().unwrap();
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(!out.status.success() && err.contains("allowed_outbound_hosts"), "Spin, allowed_outbound_hosts = [{hosts}]: {err}");
            }
            continue;
        }
        let edge = glint_up_edge(&manifest, &node.addr);
        assert_eq!(request(&edge.addr, "GET", "/", b"").status, 200, "the page is the edge's own");
        let status = request(&edge.addr, "GET", "/api/models", b"").status;
        assert_eq!(status, if *expected == Outbound::Allowed { 200 } else { 502 }, "glint up, allowed_outbound_hosts = [{hosts}]");
        if *expected == Outbound::Denied {
            let log = std::fs::read_to_string(&edge.log).unwrap();
            assert!(log.contains(&format!("outbound request to http://{} denied", node.addr)), "{log}");
        }
        if let Some(spin) = &spin {
            let edge = spin_up(spin, &manifest, &node.addr);
            let spins = request(&edge.addr, "GET", "/api/models", b"").status;
            assert_eq!(spins, status, "Spin and glint disagree on allowed_outbound_hosts = [{hosts}]");
        }
    }

    // glint's own platform components get no outbound network at all.
    let dir = temp_dir("platform-manifest");
    let text = std::fs::read_to_string(home().join("spin.toml"))
        .unwrap()
        .replacen("allowed_outbound_hosts = []", "allowed_outbound_hosts = [\"https://example.com\"]", 1)
        .replace("components/target/", &format!("{}/components/target/", home().display()));
    assert!(text.contains("example.com"), "the test's edit applies");
    std::fs::write(dir.join("spin.toml"), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["up", "--listen", "127.0.0.1:0", "--manifest"])
        .arg(dir.join("spin.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("allowed_outbound_hosts") && err.contains("no outbound network"), "{err}");
}

/// The page, the API through the edge, signed-in work, CSRF and cross-site
/// refusals, and a 502 once the node is gone (it is stopped here).
fn the_edge_serves_the_app_of(node: &mut Server, edge: &str) {
    // The page comes from the edge itself, with the node's content policy.
    let page = request(edge, "GET", "/", b"");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<h1") && page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(request(edge, "GET", "/app.js", b"").status, 200);
    // The API is the node's.
    assert_eq!(request(edge, "GET", "/api/models", b"").json(), request(&node.addr, "GET", "/api/models", b"").json());
    let guest = request(edge, "POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(guest.status, 200, "{}", guest.text());
    assert_eq!(guest.json()["detections"][0]["label"], "cat");
    assert_eq!(request(edge, "GET", "/examples", b"").json(), request(&node.addr, "GET", "/examples", b"").json());

    // Signed in through the edge: the session cookie and CSRF token work there.
    let alice = Client::login(edge, "alice", "alice-pass-1");
    let r = alice.send("POST", "/api/detect?prompt=a%20cat%20.%20a%20dog", &chelsea());
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["result_id"].as_str().unwrap().to_string();
    let body = serde_json::json!({ "result_id": id, "rating": 5, "comment": "via the edge" }).to_string();
    assert_eq!(alice.send("POST", "/api/feedback", body.as_bytes()).status, 201);
    let history = alice.send("GET", "/api/history", b"").json();
    assert_eq!(history[0]["result_id"], id.as_str(), "{history}");
    // The node holds it: the same session reads it there directly.
    let direct = request_with(&node.addr, "GET", "/api/history", &[("Cookie", &alice.cookie)], b"").json();
    assert_eq!(direct, history);
    // A missing CSRF token, and a page of another site, are refused.
    let r = request_with(edge, "POST", "/api/feedback", &[("Cookie", &alice.cookie)], body.as_bytes());
    assert_eq!(r.status, 403, "{}", r.text());
    let r = request_with(edge, "POST", "/api/session", &[("Origin", "http://evil.example")], b"{}");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("cross-site"), "{}", r.text());
    // An unknown route is the node's 404.
    assert_eq!(request(edge, "GET", "/api/nothing-here", b"").status, 404);

    // Without its node, the edge says so.
    let _ = node.child.kill();
    let _ = node.child.wait();
    let r = request(edge, "GET", "/api/models", b"");
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("did not answer"), "{}", r.text());
}

/// spin.toml for a node that trusts proxies on loopback, with a guest limit
/// of `burst` requests, in a folder of its own.
fn node_manifest_trusting_loopback(trust: bool, burst: u32) -> PathBuf {
    let mut text = std::fs::read_to_string(home().join("spin.toml"))
        .unwrap()
        .replace("components/target/", &format!("{}/components/target/", home().display()))
        .replace(r#"source = "samples""#, &format!(r#"source = "{}/samples""#, home().display()))
        .replace("guest_per_minute = 30\nguest_burst = 10", &format!("guest_per_minute = 1\nguest_burst = {burst}"));
    assert!(text.contains(&format!("guest_burst = {burst}")), "the test's edit applies");
    if trust {
        text = text.replace("[application.tool.glint]\n", "[application.tool.glint]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    }
    let path = temp_dir("node-manifest").join("spin.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Guest POSTs as the visitor `xff` through `edge` until one is refused with 429; how many got through.
fn posts_until_limited(edge: &str, xff: &str) -> usize {
    for n in 0..20 {
        let r = request_with(edge, "POST", "/api/detect?prompt=a%20cat", &[("X-Forwarded-For", xff)], b"");
        if r.status == 429 {
            return n;
        }
        assert_eq!(r.status, 400, "an empty image is refused after the rate limit: {}", r.text());
    }
    panic!("no 429 in 20 requests");
}

#[test]
fn a_node_that_trusts_the_edge_limits_each_visitor_on_its_own() {
    let spin = spin_bin();
    for trust in [true, false] {
        let manifest = node_manifest_trusting_loopback(trust, 2);
        let node = start(&["--manifest", manifest.to_str().unwrap()]);
        let glint_edge = glint_up_edge(&home().join("spin-edge.toml"), &node.addr);
        let spin_edge = spin.as_ref().map(|s| spin_up(s, &home().join("spin-edge.toml"), &node.addr));
        let mut edges = vec![("glint up", glint_edge.addr.clone())];
        edges.extend(spin_edge.as_ref().map(|e| ("Spin", e.addr.clone())));
        for (i, (which, edge)) in edges.iter().enumerate() {
            let (a, b) = (format!("198.51.100.{}", 2 * i + 1), format!("198.51.100.{}", 2 * i + 2));
            let first = posts_until_limited(edge, &a);
            let second = posts_until_limited(edge, &b);
            if trust {
                assert_eq!((first, second), (2, 2), "through {which}: each visitor has a bucket of its own");
            } else {
                assert_eq!(second, 0, "through {which}: without trusted_proxies the header is ignored and all share the edge's bucket");
            }
        }
    }
}
