//! `glint up` as a user runs it: a real server on loopback serving the
//! spin.toml app (spin-sdk component) whose detections go through the
//! platform import to the detect plugin, wasi-nn and the real model.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn home() -> PathBuf {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    assert!(
        home.join("components/target/wasm32-wasip2/release/glint_web.wasm").is_file(),
        "run scripts/setup.sh before the tests"
    );
    home
}

/// A running `glint up`; killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["up", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("glint up starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, addr }
}

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request with `Connection: close`.
fn request(addr: &str, method: &str, target: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(s, "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len())
        .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    Reply { status, headers, body: raw[split + 4..].to_vec() }
}

fn chelsea() -> Vec<u8> {
    std::fs::read(home().join("samples/chelsea.png")).unwrap()
}

#[test]
fn serves_the_ui_models_and_detections() {
    let s = start(&[]);
    let ui = request(&s.addr, "GET", "/", b"");
    assert_eq!(ui.status, 200);
    assert!(ui.headers.contains("text/html") && ui.headers.contains("x-request-id"), "{}", ui.headers);
    assert!(String::from_utf8_lossy(&ui.body).contains("/api/jobs"), "the UI submits jobs");

    let models = request(&s.addr, "GET", "/api/models", b"").json();
    assert_eq!(models[0]["version"], "coco-grounded-v1");
    assert_eq!(models[0]["installed"], true);

    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20kitty%20.%20a%20dog&threshold=0.3", &chelsea());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let out = r.json();
    assert_eq!(out["detections"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["detections"][0]["label"], "cat");
    assert_eq!(out["detections"][0]["phrase"], "a kitty");
    assert_eq!(out["model"]["version"], "coco-grounded-v1");
    assert_eq!(out["model"]["device"], "CPU (f32)");
    assert_eq!(out["plugin"], "detect");
}

#[test]
fn bad_requests_get_clear_json_errors() {
    let s = start(&[]);
    let check = |r: Reply, status: u16, words: &[&str]| {
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        for w in words {
            assert!(message.contains(w), "{w:?} not in {message:?}");
        }
    };
    check(request(&s.addr, "POST", "/api/detect?prompt=a%20cat", b"GIF89a not really"), 400, &["GIF"]);
    check(request(&s.addr, "POST", "/api/detect", &chelsea()), 400, &["prompt"]);
    check(request(&s.addr, "POST", "/api/detect?prompt=%20.%20", &chelsea()), 400, &["no phrase"]);
    check(request(&s.addr, "POST", "/api/detect?prompt=cat&threshold=high", &chelsea()), 400, &["threshold"]);
    check(request(&s.addr, "POST", "/api/detect?prompt=cat&model=glip", &chelsea()), 404, &["glip", "coco-grounded-v1"]);
    check(request(&s.addr, "GET", "/api/detect", b""), 405, &["POST"]);
    check(request(&s.addr, "GET", "/no/such/page", b""), 404, &["/no/such/page"]);
}

#[test]
fn body_limit_from_spin_toml() {
    let (dir, manifest) = manifest_with("body", |t| t.replace("max_body_bytes = 20971520", "max_body_bytes = 1000"));
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(r.status, 413);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("1000 bytes"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn concurrent_requests_all_succeed() {
    let s = start(&[]);
    let image = chelsea();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &image)))
            .collect();
        for w in workers {
            let r = w.join().unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["detections"][0]["label"], "cat");
        }
    });
}

#[test]
fn a_broken_manifest_names_file_and_line() {
    let (dir, manifest) = manifest_with("bad", |t| t.replace("component = \"web\"", "component = \"wbe\""));
    let text = std::fs::read_to_string(&manifest).unwrap();
    let line = text.lines().position(|l| l.contains("\"wbe\"")).unwrap() + 1;
    let out = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["up", "--listen", "127.0.0.1:0", "--manifest", manifest.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("spin.toml:{line}:")) && err.contains("wbe"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A copy of spin.toml in a temporary folder with `edit` applied.
fn manifest_with(name: &str, edit: impl Fn(String) -> String) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("glint-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let web = home().join("components/target/wasm32-wasip2/release/glint_web.wasm");
    let text = std::fs::read_to_string(home().join("spin.toml"))
        .unwrap()
        .replace("components/target/wasm32-wasip2/release/glint_web.wasm", web.to_str().unwrap());
    let manifest = dir.join("spin.toml");
    std::fs::write(&manifest, edit(text)).unwrap();
    (dir, manifest)
}

#[test]
fn repeated_requests_hit_the_cache_and_metrics_count_them() {
    let s = start(&[]);
    let first = request(&s.addr, "POST", "/api/detect?prompt=a%20cat%20.%20a%20bed", &chelsea()).json();
    let second = request(&s.addr, "POST", "/api/detect?prompt=%20a%20cat.a%20bed%20", &chelsea()).json();
    assert_eq!(first["cached"], false);
    assert_eq!(second["cached"], true, "same image, same phrases: {second}");
    assert_eq!(first["detections"], second["detections"]);
    let other = request(&s.addr, "POST", "/api/detect?prompt=a%20cat%20.%20a%20bed&threshold=0.5", &chelsea()).json();
    assert_eq!(other["cached"], false, "another threshold is another entry");

    let metrics = String::from_utf8(request(&s.addr, "GET", "/metrics", b"").body).unwrap();
    for line in [
        "glint_cache_requests_total{result=\"hit\"} 1",
        "glint_cache_requests_total{result=\"miss\"} 2",
        "glint_http_requests_total{method=\"POST\",route=\"/...\",status=\"200\"} 3",
        "glint_inference_duration_seconds_count{model=\"coco-grounded-v1\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line:?} missing from:\n{metrics}");
    }
}

#[test]
fn rate_limit_per_client_answers_429_with_retry_after() {
    let (dir, manifest) = manifest_with("rate", |t| {
        format!("{t}\n[tool.glint.rate_limit]\nper_minute = 1\nburst = 2\n")
    });
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    let statuses: Vec<u16> =
        (0..3).map(|_| request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea()).status).collect();
    assert_eq!(statuses, [200, 200, 429]);
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(r.status, 429);
    let retry: u64 = r
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("Retry-After header");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(request(&s.addr, "GET", "/api/models", b"").status, 200, "reading is not limited");
    let metrics = String::from_utf8(request(&s.addr, "GET", "/metrics", b"").body).unwrap();
    assert!(metrics.contains("glint_rejections_total{reason=\"rate_limited\"} 2"), "{metrics}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Polls a job until it is done or failed (at most 60 s).
fn wait_for(addr: &str, id: &str) -> serde_json::Value {
    for _ in 0..600 {
        let s = request(addr, "GET", &format!("/api/jobs/{id}"), b"").json();
        if s["state"] == "done" || s["state"] == "failed" {
            return s;
        }
        assert!(s["state"] == "queued" || s["state"] == "running", "{s}");
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("job {id} did not finish in 60 s");
}

#[test]
fn jobs_run_in_the_background() {
    let s = start(&[]);
    let r = request(&s.addr, "POST", "/api/jobs?prompt=a%20kitty", &chelsea());
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "128 random bits");
    let done = wait_for(&s.addr, &id);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["result"]["detections"][0]["label"], "cat");
    assert_eq!(done["result"]["threshold"], 0.3f32 as f64);

    let failed = request(&s.addr, "POST", "/api/jobs?prompt=a%20cat", b"not an image").json();
    let failed = wait_for(&s.addr, failed["id"].as_str().unwrap());
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"]["message"].as_str().unwrap().contains("not a JPEG"), "{failed}");

    assert_eq!(request(&s.addr, "GET", "/api/jobs/0123456789abcdef0123456789abcdef", b"").status, 404);
    assert_eq!(request(&s.addr, "POST", "/api/jobs", &chelsea()).status, 400, "no prompt");
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    let (dir, manifest) = manifest_with("queue", |t| {
        format!("{t}\n[tool.glint.jobs]\nqueue = 1\nconcurrency = 1\nkeep_seconds = 60\n")
    });
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    let image = chelsea();
    // Distinct thresholds: no answer comes from the result cache.
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..6)
            .map(|i| {
                let (addr, image) = (&s.addr, &image);
                scope.spawn(move || request(addr, "POST", &format!("/api/jobs?prompt=a%20cat&threshold=0.{}", 30 + i), image))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let busy: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    let accepted: Vec<&Reply> = replies.iter().filter(|r| r.status == 202).collect();
    assert_eq!(busy.len() + accepted.len(), 6);
    assert!(!busy.is_empty() && !accepted.is_empty(), "queue 1 + 1 running cannot take 6 at once");
    for r in &busy {
        assert!(r.headers.contains("retry-after: 5"), "{}", r.headers);
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("queue is full"));
    }
    for r in accepted {
        assert_eq!(wait_for(&s.addr, r.json()["id"].as_str().unwrap())["state"], "done");
    }
    let metrics = String::from_utf8(request(&s.addr, "GET", "/metrics", b"").body).unwrap();
    assert!(metrics.contains(&format!("glint_rejections_total{{reason=\"queue_full\"}} {}", busy.len())), "{metrics}");
    assert!(metrics.contains("glint_queue_depth 0"), "{metrics}");
    std::fs::remove_dir_all(&dir).ok();
}
