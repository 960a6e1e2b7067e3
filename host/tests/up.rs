//! `glint up` as a user runs it: a real server on loopback serving the
//! spin.toml app (spin-sdk component) whose detections go through the
//! platform import to the detect plugin, wasi-nn and the real model.

mod common;

use std::process::Command;

use common::*;

#[test]
fn serves_the_ui_models_and_detections() {
    let s = start(&[]);
    let ui = request(&s.addr, "GET", "/", b"");
    assert_eq!(ui.status, 200);
    assert!(ui.headers.contains("text/html") && ui.headers.contains("x-request-id"), "{}", ui.headers);
    assert!(String::from_utf8_lossy(&ui.body).contains("<script src=\"/app.js\">"), "the page loads its script");
    let script = request(&s.addr, "GET", "/app.js", b"");
    assert_eq!(script.status, 200);
    assert!(String::from_utf8_lossy(&script.body).contains("/api/jobs"), "the UI submits jobs");

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

/// The smallest GIF: one transparent pixel (header, colour table, graphic control, image, trailer).
const TINY_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

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
    // A 1x1 GIF passes the audit (which reads GIFs) and is refused by the detector.
    check(request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &TINY_GIF), 400, &["GIF", "JPEG, PNG or WebP"]);
    check(request(&s.addr, "POST", "/api/detect?prompt=a%20cat", b"not an image"), 400, &["not a JPEG, PNG or WebP"]);
    // A GIF header that declares a 28192x29807 canvas: too large, refused before any decoding.
    check(request(&s.addr, "POST", "/api/detect?prompt=a%20cat", b"GIF89a not really"), 413, &["GIF", "pixels"]);
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

/// `n` POSTs of chelsea.png at once, the i-th to `target(i)`; their replies in that order.
fn post_at_once(addr: &str, n: usize, target: impl Fn(usize) -> String + Sync) -> Vec<Reply> {
    let image = chelsea();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..n)
            .map(|i| {
                let (image, target) = (&image, &target);
                scope.spawn(move || request(addr, "POST", &target(i), image))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_requests_all_succeed() {
    let s = start(&[]);
    for r in post_at_once(&s.addr, 4, |_| "/api/detect?prompt=a%20cat".to_string()) {
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["detections"][0]["label"], "cat");
    }
}

/// More requests at once than the instance pool holds (64 slots, 32 of them
/// for the app component): they wait for an instance instead of failing
/// (48 at once got 500 "maximum concurrent limit of 32 for component
/// instances reached" before the app's instances were bounded).
#[test]
fn more_requests_at_once_than_the_instance_pool_wait_and_succeed() {
    // Rate limits off: 48 guests' requests from one address.
    let (dir, manifest) = manifest_with("instances", rate_limits_off);
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    // Distinct thresholds: no answer comes from the result cache, so each
    // request holds its app instance while it waits for a detection slot.
    let replies = post_at_once(&s.addr, 48, |i| format!("/api/detect?prompt=a%20cat&threshold=0.{}", 30 + i));
    for r in &replies {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["detections"][0]["label"], "cat");
    }
    std::fs::remove_dir_all(&dir).ok();
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

    let metrics = metrics(&s.addr);
    for line in [
        "glint_cache_requests_total{result=\"hit\"} 1",
        "glint_cache_requests_total{result=\"miss\"} 2",
        "glint_http_requests_total{method=\"POST\",route=\"/api/detect\",status=\"200\"} 3",
        "glint_inference_duration_seconds_count{model=\"coco-grounded-v1\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line:?} missing from:\n{metrics}");
    }
}

#[test]
fn rate_limit_per_guest_address_answers_429_with_retry_after() {
    let (dir, manifest) =
        manifest_with("rate", |t| t.replace("guest_per_minute = 30", "guest_per_minute = 1").replace("guest_burst = 10", "guest_burst = 2"));
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
    let metrics = metrics(&s.addr);
    assert!(metrics.contains("glint_rejections_total{reason=\"rate_limited\"} 2"), "{metrics}");
    std::fs::remove_dir_all(&dir).ok();
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
        format!("{t}\n[application.tool.glint.jobs]\nqueue = 1\nconcurrency = 1\nkeep_seconds = 60\n")
    });
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    // Distinct thresholds: no answer comes from the result cache.
    let replies = post_at_once(&s.addr, 6, |i| format!("/api/jobs?prompt=a%20cat&threshold=0.{}", 30 + i));
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
    let metrics = metrics(&s.addr);
    assert!(metrics.contains(&format!("glint_rejections_total{{reason=\"queue_full\"}} {}", busy.len())), "{metrics}");
    assert!(metrics.contains("glint_queue_depth 0"), "{metrics}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn spin_variables_reach_the_component() {
    let s = start_with(&[], std::process::Stdio::inherit(), &[("SPIN_VARIABLE_SITE_TITLE", "ACME <detector>")]);
    let page = request(&s.addr, "GET", "/", b"").text();
    assert!(page.contains(r#"content="ACME &lt;detector&gt;""#), "the title reaches the page, escaped");
    let plain = start(&[]);
    assert!(request(&plain.addr, "GET", "/", b"").text().contains(r#"content="""#), "the default is empty");
}

#[test]
fn pixel_and_prompt_limits_from_spin_toml_name_the_limit() {
    let (dir, manifest) = manifest_with("limits", |t| {
        t.replace("max_pixels = 40000000", "max_pixels = 10000").replace("max_prompt_chars = 1000", "max_prompt_chars = 12")
    });
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("10000"), "names the pixel limit: {}", r.text());
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat%20.%20a%20coffee%20mug", &chelsea());
    assert!(r.status == 413 || r.status == 400, "{}", r.text());
    assert!(r.text().contains("12"), "names the prompt limit: {}", r.text());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn start_says_how_long_each_step_took_and_serves_warm() {
    let log = temp_dir("start-log").join("stderr.log");
    let env = [("GLINT_LOG", "info,glint_models::derived=debug")];
    let s = start_with(&[], std::process::Stdio::from(std::fs::File::create(&log).unwrap()), &env);
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("glint: ready, ") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for step in [
        "glint: start: plugins loaded in ",
        "glint: start: model version coco-grounded-v1 in ",
        "glint: start: model version audit-v1 in ",
        "glint: start: detector plugin detect in ",
        "glint: start: audit plugin audit in ",
        "glint: ready, ",
    ] {
        assert!(text.contains(step), "no {step:?} in:\n{text}");
    }
    assert!(text.contains(" ms (graph cache "), "the model steps say what the graph cache did:\n{text}");
    // The detector's warm-up derived its label embeddings (or read them back from an earlier start).
    let before_ready = &text[..text.find("glint: ready, ").unwrap()];
    assert!(before_ready.contains("derived value kept") || before_ready.contains("derived value read from the cache"), "{text}");
    // Each step says the resident memory after it, and it grows as graphs load.
    let rss: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with("glint: start: ") || l.starts_with("glint: ready, "))
        .map(|l| l.rsplit_once(", RSS ").and_then(|(_, m)| m.strip_suffix(" MiB")).unwrap_or_else(|| panic!("no RSS in {l:?}")).parse().unwrap())
        .collect();
    assert!(rss.len() >= 6 && rss[0] > 0 && rss[2] > rss[0], "{rss:?}\n{text}");
    assert!(!text.contains("failed:"), "{text}");
    // The warm-up is not recorded: the first visitor's request is the first counted.
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(r.status, 200, "{}", r.text());
    let metrics = request_with(&s.addr, "GET", "/metrics", &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))], b"").text();
    let misses = metrics.lines().find(|l| l.starts_with("glint_cache_requests_total{result=\"miss\"}")).unwrap_or("");
    assert!(misses.ends_with(" 1"), "{misses}");
}
