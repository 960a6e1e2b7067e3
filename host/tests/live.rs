//! Live plugins and model versions against a real `glint up` on loopback,
//! in a glint folder of each test's own: installs, swaps and rollbacks
//! through the admin API and the CLI, the candidates that must be refused
//! (and at which step), model versions added, reloaded and removed, the
//! watcher, every admin route by role, and a swap under load with nothing
//! failing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::live::*;
use common::*;

const TOKEN: &str = "test-admin-token";
const ADMIN_PW: &str = "admin-pass-1";

/// A manifest with the rate limits off (the tests send many requests), the
/// result cache as given, and `live` as its `[….live]` table.
fn manifest(name: &str, cache_entries: usize, live: &str) -> (PathBuf, PathBuf) {
    manifest_with(name, |m| {
        let m = rate_limits_off(m)
            .replace("detect_plugin = \"detect\"", &format!("detect_plugin = \"detect\"\ncache_entries = {cache_entries}"));
        format!("{m}\n[application.tool.glint.live]\n{live}\n")
    })
}

/// `glint up` in `home` with the admin token set, on ONNX Runtime (the faster to load here).
fn serve(home: &Path, manifest: &Path) -> Server {
    let home_s = home.display().to_string();
    let manifest_s = manifest.display().to_string();
    start_with(
        &["--backend", "onnx", "--manifest", &manifest_s],
        Stdio::inherit(),
        &[("GLINT_HOME", &home_s), ("GLINT_ADMIN_TOKEN", TOKEN), ("GLINT_LOG", "warn,glint::live=info")],
    )
}

fn admin(s: &Server, method: &str, path: &str, body: &[u8]) -> Reply {
    request_with(&s.addr, method, path, &[("Authorization", &format!("Bearer {TOKEN}"))], body)
}

fn serving(s: &Server, plugin: &str) -> String {
    let status = admin(s, "GET", "/api/admin/plugins", b"").json();
    status["plugins"].as_array().unwrap().iter().find(|p| p["name"] == plugin).unwrap()["sha256"].as_str().unwrap().to_string()
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

fn detect(s: &Server, threshold: f32) -> Reply {
    request(&s.addr, "POST", &format!("/api/detect?prompt=a%20cat&threshold={threshold}"), &chelsea())
}

#[test]
fn installs_rollbacks_and_refused_candidates() {
    let home = temp_home("live-home");
    let (_d, m) = manifest("live", 16, "keep_builds = 2\nmax_plugin_bytes = 3000000");
    let s = serve(&home, &m);
    let scratch = temp_dir("live-candidates");
    let original = sha256(&home.join("plugins/detect.wasm"));
    let variant = detect_variant(&scratch);
    let variant_sha = sha256(&variant);

    // The same build again changes nothing.
    let r = admin(&s, "PUT", "/api/admin/plugins/detect", &std::fs::read(home.join("plugins/detect.wasm")).unwrap());
    assert_eq!((r.status, r.json()["event"]["outcome"].as_str()), (200, Some("unchanged")), "{}", r.text());

    // A cached answer is keyed by the build: after a swap the answer is new and names the new build.
    let before = detect(&s, 0.3).json();
    assert_eq!(before["plugin_sha256"], original.as_str());
    assert_eq!(detect(&s, 0.3).json()["cached"], true);
    let r = admin(&s, "PUT", "/api/admin/plugins/detect", &std::fs::read(&variant).unwrap());
    assert_eq!(r.status, 200, "{}", r.text());
    let event = &r.json()["event"];
    assert_eq!((event["outcome"].as_str(), event["old_sha256"].as_str(), event["new_sha256"].as_str()), (Some("swapped"), Some(original.as_str()), Some(variant_sha.as_str())));
    for step in ["checks", "compile", "canary", "swap"] {
        assert!(event["steps"][step].is_u64(), "step {step} timed: {event}");
    }
    let after = detect(&s, 0.3).json();
    assert_eq!((after["plugin_sha256"].as_str(), after["cached"].as_bool()), (Some(variant_sha.as_str()), Some(false)), "{after}");
    assert_eq!(after["detections"], before["detections"], "the same code answers the same");
    // On disk too: a restart serves what serves now.
    assert_eq!(sha256(&home.join("plugins/detect.wasm")), variant_sha);

    // Candidates that must be refused, each at its step; the variant keeps serving.
    let trapping = dummy_component(&scratch, "trapping");
    let greedy = dummy_component(&scratch, "greedy");
    let mut wrong_world = std::fs::read(home.join("plugins/audit.wasm")).unwrap();
    let big = vec![0u8; 3_100_000];
    for (what, body, status, step, words) in [
        ("not a component", b"this is not wasm".to_vec(), 422, Some("world"), "not a WebAssembly component"),
        ("a core module", b"\0asm\x01\0\0\0".to_vec(), 422, Some("world"), "core WebAssembly module"),
        ("an ungranted import", std::fs::read(&greedy).unwrap(), 422, Some("imports"), "glint:plugins/platform"),
        ("a canary trap", std::fs::read(&trapping).unwrap(), 422, Some("canary"), "crashed"),
        ("another world", std::mem::take(&mut wrong_world), 422, Some("world"), "serves as a detect-plugin"),
        ("too big", big, 413, None, "plugin limit"),
    ] {
        let r = admin(&s, "PUT", "/api/admin/plugins/detect", &body);
        assert_eq!(r.status, status, "{what}: {}", r.text());
        let e = &r.json()["error"];
        assert!(e["message"].as_str().unwrap().contains(words), "{what}: {e}");
        assert_eq!(e["step"].as_str(), step, "{what}: {e}");
        assert_eq!(serving(&s, "detect"), variant_sha, "{what} changed what serves");
    }
    // Names with path characters or capitals are not plugin names.
    for bad in ["..%2Fx", "UPPER", "a%20b"] {
        let r = admin(&s, "PUT", &format!("/api/admin/plugins/{bad}"), b"x");
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }

    // Rollback goes back to the previous build, then there is nothing older kept.
    let r = admin(&s, "POST", "/api/admin/plugins/detect/rollback", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(serving(&s, "detect"), original);
    assert_eq!(detect(&s, 0.3).json()["plugin_sha256"], original.as_str());
    let r = admin(&s, "POST", "/api/admin/plugins/detect/rollback", b"");
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(admin(&s, "POST", "/api/admin/plugins/nope/rollback", b"").status, 404);

    // Every change and refusal is recorded and counted.
    let events = admin(&s, "GET", "/api/admin/events?target=detect", b"").json();
    let outcomes: Vec<(&str, &str, &str)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap(), e["step"].as_str().unwrap()))
        .collect();
    for want in [("install", "unchanged", ""), ("install", "swapped", ""), ("install", "refused", "canary"), ("install", "refused", "imports"), ("rollback", "swapped", "")] {
        assert!(outcomes.contains(&want), "{want:?} in {outcomes:?}");
    }
    assert!(events["events"][0]["actor"] == "token");
    let m = metrics(&s.addr);
    assert!(m.contains(&format!("glint_plugin_info{{plugin=\"detect\",sha256=\"{original}\",world=\"detect-plugin\"}} 1")), "{m}");
    assert!(!m.contains(&format!("sha256=\"{variant_sha}\"")), "the build no longer serving is not in the info metric");
    assert!(m.contains("glint_plugin_swaps_total{outcome=\"refused\",plugin=\"detect\"} 5"), "{m}");

    // The CLI talks to the same API with the token, and `check` runs the checks here.
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_glint"))
            .args(args)
            .env("GLINT_HOME", &home)
            .env("GLINT_ADMIN_TOKEN", TOKEN)
            .output()
            .unwrap()
    };
    let server = format!("http://{}", s.addr);
    let out = cli(&["plugins", "install", variant.to_str().unwrap(), "--name", "detect", "--server", &server]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serving(&s, "detect"), variant_sha);
    let out = cli(&["plugins", "install", trapping.to_str().unwrap(), "--name", "detect", "--server", &server]);
    assert_eq!(out.status.code(), Some(5), "a refused candidate exits 5");
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused at step canary"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&["plugins", "rollback", "detect", "--server", &server]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serving(&s, "detect"), original);
    let out = cli(&["plugins", "check", greedy.to_str().unwrap(), "--name", "detect"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("would be refused at step imports"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&["plugins", "check", variant.to_str().unwrap(), "--name", "detect"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("would be accepted") && said.contains("imports"), "{said}");
    let out = cli(&["plugins", "install", variant.to_str().unwrap(), "--server", &server, "--token", "wrong"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("401"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn model_versions_come_and_go_while_serving() {
    let home = temp_home("live-models");
    let (_d, m) = manifest("live-models", 0, "");
    let s = serve(&home, &m);
    let versions = || -> Vec<String> {
        request(&s.addr, "GET", "/api/models", b"").json().as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap().to_string()).collect()
    };
    assert!(!versions().contains(&"coco-copy-v1".to_string()));
    // A new folder: validated, canaried, then selectable.
    copy_model(&home, "coco-copy-v1", |t| t);
    // A folder whose graph file is corrupt, and one whose file is missing: refused, nothing else changes.
    let broken = copy_model(&home, "broken-v1", |t| t);
    std::fs::remove_file(broken.join("ssd.onnx")).unwrap();
    std::fs::remove_file(broken.join("ssd.xml")).unwrap();
    std::fs::write(broken.join("ssd.onnx"), b"not an onnx graph").unwrap();
    std::fs::write(broken.join("ssd.xml"), b"<not an openvino ir/>").unwrap();
    let missing = copy_model(&home, "missing-v1", |t| t);
    std::fs::remove_file(missing.join("vocab.txt")).unwrap();
    let r = admin(&s, "POST", "/api/admin/models/reload", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let events = r.json()["events"].as_array().unwrap().clone();
    let by = |t: &str| events.iter().find(|e| e["target"] == t).unwrap_or_else(|| panic!("no event for {t}: {events:?}")).clone();
    assert_eq!((by("coco-copy-v1")["action"].as_str(), by("coco-copy-v1")["outcome"].as_str()), (Some("model-add"), Some("swapped")));
    assert_eq!((by("broken-v1")["outcome"].as_str(), by("broken-v1")["step"].as_str()), (Some("refused"), Some("graphs")), "{:?}", by("broken-v1"));
    assert_eq!((by("missing-v1")["step"].as_str()), Some("files"));
    assert!(by("missing-v1")["reason"].as_str().unwrap().contains("vocab.txt"));
    assert_eq!(events.len(), 3, "unchanged versions are not touched: {events:?}");
    assert!(versions().contains(&"coco-copy-v1".to_string()) && !versions().contains(&"broken-v1".to_string()));
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat&model=coco-copy-v1", &chelsea());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["model"]["version"], "coco-copy-v1");

    // Reloading one version swaps its graphs; a bad name or a missing folder is the request's fault.
    let r = admin(&s, "POST", "/api/admin/models/coco-copy-v1/reload", b"");
    assert_eq!((r.status, r.json()["event"]["outcome"].as_str()), (200, Some("swapped")), "{}", r.text());
    assert_eq!(admin(&s, "POST", "/api/admin/models/nope-v9/reload", b"").status, 404);
    assert_eq!(admin(&s, "POST", "/api/admin/models/Bad%20Name/reload", b"").status, 400);
    let r = admin(&s, "POST", "/api/admin/models/broken-v1/reload", b"");
    assert_eq!((r.status, r.json()["error"]["step"].as_str()), (422, Some("graphs")), "{}", r.text());

    // Removing a folder takes the version out of service, unless configuration uses it.
    std::fs::remove_dir_all(home.join("models/coco-copy-v1")).unwrap();
    std::fs::remove_dir_all(&broken).unwrap();
    std::fs::remove_dir_all(&missing).unwrap();
    std::fs::remove_file(home.join("models/coco-grounded-v1")).unwrap();
    let r = admin(&s, "POST", "/api/admin/models/reload", b"");
    let events = r.json()["events"].as_array().unwrap().clone();
    let removed = events.iter().find(|e| e["target"] == "coco-copy-v1").unwrap();
    assert_eq!((removed["action"].as_str(), removed["outcome"].as_str()), (Some("model-remove"), Some("swapped")));
    let default = events.iter().find(|e| e["target"] == "coco-grounded-v1").unwrap();
    assert_eq!((default["outcome"].as_str(), default["step"].as_str()), (Some("refused"), Some("in-use")));
    assert!(default["reason"].as_str().unwrap().contains("default model"), "{default}");
    assert!(!versions().contains(&"coco-copy-v1".to_string()));
    assert!(versions().contains(&"coco-grounded-v1".to_string()), "the default is still listed");
    // Its folder back, as the refusal asks: it serves as before.
    std::os::unix::fs::symlink(common::home().join("models/coco-grounded-v1"), home.join("models/coco-grounded-v1")).unwrap();
    assert_eq!(detect(&s, 0.3).status, 200, "the default serves");
}

#[test]
fn the_watcher_installs_a_dropped_plugin() {
    let home = temp_home("live-watch");
    let (_d, m) = manifest("live-watch", 0, "watch = true");
    let s = serve(&home, &m);
    let variant = detect_variant(&temp_dir("live-watch-candidates"));
    let variant_sha = sha256(&variant);
    // Written the way an editor or `cp` would, straight over the file.
    std::fs::copy(&variant, home.join("plugins/detect.wasm")).unwrap();
    let started = Instant::now();
    while serving(&s, "detect") != variant_sha {
        assert!(started.elapsed() < Duration::from_secs(60), "the watcher did not install the dropped plugin");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The event is recorded right after the swap.
    while admin(&s, "GET", "/api/admin/events?target=detect", b"").json()["events"][0]["actor"] != "watcher" {
        assert!(started.elapsed() < Duration::from_secs(60), "no watcher event recorded");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(detect(&s, 0.3).json()["plugin_sha256"], variant_sha.as_str());
}

#[test]
fn every_admin_route_needs_an_admin_and_csrf() {
    let home = temp_home("live-roles");
    let (_d, m) = manifest("live-roles", 0, "");
    let s = serve(&home, &m);
    add_user(&s, "root", "admin", ADMIN_PW);
    add_user(&s, "alice", "user", "alice-pass-1");
    let admin_session = Client::login(&s.addr, "root", ADMIN_PW);
    let user = Client::login(&s.addr, "alice", "alice-pass-1");
    let wasm = std::fs::read(home.join("plugins/detect.wasm")).unwrap();
    let doc = request(&s.addr, "GET", "/api/openapi.json", b"").json();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| p.starts_with("/api/admin/")) {
        for (method, op) in ops.as_object().unwrap() {
            assert_eq!(op["x-glint-role"], "admin", "{method} {path}");
            let method = method.to_uppercase();
            let target = path.replace("{name}", "detect").replace("{version}", "coco-grounded-v1");
            let body: &[u8] = if method == "PUT" { &wasm } else { b"" };
            let r = request(&s.addr, &method, &target, body);
            assert_eq!(r.status, 401, "guest {method} {target}: {}", r.text());
            let r = user.send(&method, &target, body);
            assert_eq!(r.status, 403, "user {method} {target}: {}", r.text());
            let r = admin_session.send(&method, &target, body);
            let ok = (200..300).contains(&r.status) || (target.ends_with("/rollback") && r.status == 409);
            assert!(ok, "admin {method} {target}: {} {}", r.status, r.text());
            if method != "GET" {
                let r = request_with(&s.addr, &method, &target, &[("Cookie", &admin_session.cookie)], body);
                assert_eq!(r.status, 403, "admin {method} {target} without its CSRF token: {}", r.text());
                let r = request_with(&s.addr, &method, &target, &[("Authorization", "Bearer wrong")], body);
                assert_eq!(r.status, 401, "a wrong bearer token: {}", r.text());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "admin routes checked");
    // The session's actor is the account.
    let events = admin(&s, "GET", "/api/admin/events", b"").json();
    assert!(events["events"].as_array().unwrap().iter().any(|e| e["actor"] == "root"), "{events}");
}

/// One request of the load: when it ran and the build that answered.
struct Answered {
    start: Instant,
    end: Instant,
    sha: String,
}

/// One swap: the call's start and return, and the build it put in service.
struct Swapped {
    start: Instant,
    end: Instant,
    sha: String,
}

#[test]
fn a_live_swap_under_load_fails_no_request() {
    let home = temp_home("live-load");
    let (_d, m) = manifest("live-load", 0, "keep_builds = 3");
    let s = Arc::new(serve(&home, &m));
    let scratch = temp_dir("live-load-candidates");
    let a = home.join("plugins/detect.wasm");
    let (a_sha, a_bytes) = (sha256(&a), std::fs::read(&a).unwrap());
    let b = detect_variant(&scratch);
    let (b_sha, b_bytes) = (sha256(&b), std::fs::read(&b).unwrap());
    let trapping = std::fs::read(dummy_component(&scratch, "trapping")).unwrap();
    let greedy = std::fs::read(dummy_component(&scratch, "greedy")).unwrap();
    // Warm the compiled cache of b, as a real rollout would before the swap window.
    let r = admin(&s, "PUT", "/api/admin/plugins/detect", &b_bytes);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(admin(&s, "POST", "/api/admin/plugins/detect/rollback", b"").status, 200);

    let began = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let answered: Arc<Mutex<Vec<Answered>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (s, stop, answered, failures) = (s.clone(), stop.clone(), answered.clone(), failures.clone());
            std::thread::spawn(move || {
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    let r = detect(&s, 0.3 + 0.0001 * (c * 1000 + n % 1000) as f32);
                    let end = Instant::now();
                    n += 1;
                    if r.status != 200 {
                        failures.lock().unwrap().push(format!("{} {}", r.status, r.text()));
                        continue;
                    }
                    let sha = r.json()["plugin_sha256"].as_str().unwrap().to_string();
                    answered.lock().unwrap().push(Answered { start, end, sha });
                }
            })
        })
        .collect();

    let mut swaps = vec![Swapped { start: began, end: began, sha: a_sha.clone() }];
    let mut refusals = Vec::new();
    for i in 0..10 {
        std::thread::sleep(Duration::from_millis(900));
        let (bytes, sha) = if i % 2 == 0 { (&b_bytes, &b_sha) } else { (&a_bytes, &a_sha) };
        let start = Instant::now();
        let r = admin(&s, "PUT", "/api/admin/plugins/detect", bytes);
        assert_eq!(r.status, 200, "swap {i}: {}", r.text());
        swaps.push(Swapped { start, end: Instant::now(), sha: sha.clone() });
        if i % 2 == 1 {
            let r = admin(&s, "POST", "/api/admin/models/coco-grounded-v1/reload", b"");
            assert_eq!(r.status, 200, "model reload {i}: {}", r.text());
        }
        if i == 3 {
            refusals.push(("canary", admin(&s, "PUT", "/api/admin/plugins/detect", &trapping)));
            refusals.push(("imports", admin(&s, "PUT", "/api/admin/plugins/detect", &greedy)));
            let broken = copy_model(&home, "broken-v1", |t| t);
            std::fs::remove_file(broken.join("ssd.onnx")).unwrap();
            std::fs::write(broken.join("ssd.onnx"), b"corrupt").unwrap();
            std::fs::remove_file(broken.join("ssd.xml")).unwrap();
            std::fs::write(broken.join("ssd.xml"), b"corrupt").unwrap();
            refusals.push(("graphs", admin(&s, "POST", "/api/admin/models/broken-v1/reload", b"")));
        }
    }
    while began.elapsed() < Duration::from_secs(22) {
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    clients.into_iter().for_each(|c| c.join().unwrap());

    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "{} failed requests, e.g. {:?}", failures.len(), failures.first());
    for (step, r) in &refusals {
        assert_eq!(r.status, 422, "{step}: {}", r.text());
        assert_eq!(r.json()["error"]["step"], *step, "{}", r.text());
    }
    let answered = answered.lock().unwrap();
    assert!(answered.len() >= 40, "only {} requests in 22 s", answered.len());
    // Each build's time in service: from the start of the call that swapped it in to the return of the one that swapped it out.
    let windows: Vec<(Instant, Option<Instant>, &str)> =
        swaps.iter().enumerate().map(|(i, w)| (w.start, swaps.get(i + 1).map(|n| n.end), w.sha.as_str())).collect();
    for r in answered.iter() {
        let ok = windows.iter().any(|(from, until, sha)| *sha == r.sha && *from <= r.end && until.is_none_or(|u| r.start <= u));
        assert!(ok, "a response named {} which was not serving while it ran", r.sha);
    }
    // After a swap call returns, the next request uses the new build.
    for w in swaps.iter().skip(1) {
        let next = answered.iter().filter(|r| r.start > w.end).min_by_key(|r| r.start);
        if let Some(next) = next {
            let later = swaps.iter().any(|o| o.start > w.end && o.start < next.start);
            assert!(later || next.sha == w.sha, "the first request after a swap to {} got {}", w.sha, next.sha);
            assert!(next.start.duration_since(w.end) < Duration::from_secs(1) || later);
        }
    }
    assert_eq!(serving(&s, "detect"), a_sha, "the last swap put a back");
}
