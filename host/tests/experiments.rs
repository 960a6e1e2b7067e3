//! A/B experiments through a real `glint up` on loopback: scripted subjects
//! (guests with their cookie, accounts that rate), the split and its
//! stickiness across a weight change and a restart, the anytime-valid
//! comparison (A/B and A/A), the sample-ratio check against a skewed
//! allocator, a guardrail that stops an experiment and calls a webhook, and
//! definitions that `glint up` refuses with file, line and key.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::live::{copy_model, temp_home};
use common::{Client, Server, add_user, chelsea, home, manifest_with, metrics, rate_limits_off, request, request_with, start_with};

const ADMIN: (&str, &str) = ("admin", "admin-password-123");

/// The manifest with rate limits off and `experiments` appended.
fn manifest(name: &str, experiments: &str) -> (std::path::PathBuf, String) {
    let (dir, m) = manifest_with(name, |t| {
        format!("{}\n{experiments}", rate_limits_off(t))
    });
    (dir, m.display().to_string())
}

/// A glint home with the allocators, the misbehaving plugins and a second
/// model version (`coco-grounded-v2`: the same weights under another name).
fn experiment_home(name: &str) -> std::path::PathBuf {
    let home_dir = temp_home(name);
    for (from, to) in [("plugins/ab.wasm", "ab.wasm"), ("tests/plugins/misbehave.wasm", "misbehave.wasm"), ("tests/plugins/misbehave-ab.wasm", "misbehave-ab.wasm")] {
        std::fs::copy(home().join(from), home_dir.join("plugins").join(to)).unwrap();
    }
    copy_model(&home_dir, "coco-grounded-v2", |t| t.replace("coco-grounded-v1", "coco-grounded-v2"));
    home_dir
}

fn up(home_dir: &Path, manifest: &str, database: Option<&str>) -> Server {
    let home_s = home_dir.display().to_string();
    let mut args = vec!["--backend", "onnx", "--manifest", manifest];
    if let Some(db) = database {
        args.extend(["--database", db]);
    }
    start_with(&args, Stdio::inherit(), &[("GLINT_HOME", &home_s)])
}

/// A guest's browser: its subject cookie once the server gave one.
struct Guest {
    cookie: Option<String>,
}

/// The arm in a detection answer (`None` outside any experiment).
fn arm_of(r: &common::Reply) -> Option<String> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["experiment"]["arm"].as_str().map(str::to_string)
}

impl Guest {
    fn detect(&mut self, addr: &str, image: &[u8], prompt: &str) -> common::Reply {
        let target = format!("/api/detect?prompt={}", prompt.replace(' ', "%20"));
        let cookie = self.cookie.as_ref().map(|c| format!("glint_subject={c}"));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        let r = request_with(addr, "POST", &target, &headers, image);
        if let Some(set) = r.header("set-cookie").filter(|c| c.starts_with("glint_subject=")) {
            assert!(self.cookie.is_none(), "a guest with a cookie got another: {set}");
            self.cookie = Some(set["glint_subject=".len()..].split(';').next().unwrap().to_string());
        }
        r
    }
}

/// A deterministic stream of numbers in [0, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick(&mut self, from: &[u8]) -> u8 {
        from[(self.next() * from.len() as f64) as usize % from.len()]
    }
}

/// `n` signed-in users, made by the admin; each detects once and rates the
/// result with `rate(arm)`. Their arms, by name.
fn rating_users(s: &Server, admin: &Client, experiment: &str, prefix: &str, n: usize, mut rate: impl FnMut(&str) -> u8) -> HashMap<String, String> {
    let image = chelsea();
    let mut arms = HashMap::new();
    for i in 0..n {
        let name = format!("{prefix}{i}");
        let body = serde_json::json!({ "name": name, "password": "password-123", "role": "user" }).to_string();
        let r = admin.send("POST", "/api/users", body.as_bytes());
        assert_eq!(r.status, 201, "{}", r.text());
        let user = Client::login(&s.addr, &name, "password-123");
        let r = user.send("POST", "/api/detect?prompt=a%20cat", &image);
        let arm = arm_of(&r).expect("a signed-in user is in the experiment");
        let result_id = r.json()["result_id"].as_str().expect("a recorded result").to_string();
        let body = serde_json::json!({ "result_id": result_id, "rating": rate(&arm), "comment": "" }).to_string();
        let f = user.send("POST", "/api/feedback", body.as_bytes());
        assert_eq!(f.status, 201, "{}", f.text());
        assert_eq!(f.json()["experiment"], format!("{experiment}/{arm}"), "the feedback row carries the arm");
        arms.insert(name, arm);
    }
    arms
}

fn report(admin: &Client, name: &str) -> serde_json::Value {
    let r = admin.send("GET", &format!("/api/experiments/{name}"), b"");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn share(arms: &[String], arm: &str) -> f64 {
    arms.iter().filter(|a| *a == arm).count() as f64 / arms.len() as f64
}

const AB: &str = r#"
[application.tool.glint.experiments.sim]
description = "v2 against v1"
min_subjects = 100
min_ratings = 30
[[application.tool.glint.experiments.sim.arms]]
name = "control"
model = "coco-grounded-v1"
weight = 50
[[application.tool.glint.experiments.sim.arms]]
name = "treatment"
model = "coco-grounded-v2"
weight = 50
"#;

#[test]
fn two_thousand_subjects_split_stick_and_the_better_arm_shows() {
    let home_dir = experiment_home("exp-sim");
    let (_d, m) = manifest("exp-sim", AB);
    let s = up(&home_dir, &m, None);
    let database = s.database.clone();
    add_user(&s, ADMIN.0, "admin", ADMIN.1);
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    let image = chelsea();

    // 1,760 guests, each with the cookie the server gives it.
    let mut guests: Vec<(Guest, String)> = Vec::new();
    for _ in 0..1760 {
        let mut g = Guest { cookie: None };
        let r = g.detect(&s.addr, &image, "a cat");
        let arm = arm_of(&r).expect("a guest is in the experiment");
        let version = r.json()["model"]["version"].as_str().unwrap().to_string();
        assert_eq!(version, if arm == "control" { "coco-grounded-v1" } else { "coco-grounded-v2" });
        assert!(g.cookie.is_some(), "the first answer sets the subject cookie");
        guests.push((g, arm));
    }
    // 240 accounts rate what they got: treatment is liked better by a known margin (mean 4.0 vs 3.0).
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let users = rating_users(&s, &admin, "sim", "sim-", 240, |arm| if arm == "treatment" { rng.pick(&[3, 4, 4, 5]) } else { rng.pick(&[2, 3, 3, 4]) });

    let all: Vec<String> = guests.iter().map(|(_, a)| a.clone()).chain(users.values().cloned()).collect();
    assert_eq!(all.len(), 2000);
    let control_share = share(&all, "control");
    assert!((control_share - 0.5).abs() < 0.04, "control got {control_share:.3} of 2,000 subjects at 50/50");

    let rep = report(&admin, "sim");
    assert_eq!(rep["srm"]["flagged"], false, "{}", rep["srm"]);
    assert_eq!(rep["enough_data"], true, "{rep}");
    let (control, treatment) = (&rep["arms"][0], &rep["arms"][1]);
    assert_eq!(control["subjects"].as_u64().unwrap() + treatment["subjects"].as_u64().unwrap(), 2000);
    assert_eq!(control["requests"].as_u64().unwrap() + treatment["requests"].as_u64().unwrap(), 2000);
    assert_eq!(treatment["errors"], 0);
    let cmp = &treatment["vs_control"];
    assert_eq!(cmp["verdict"], "better", "{cmp}");
    let cs = cmp["confidence_sequence"].as_array().unwrap();
    assert!(cs[0].as_f64().unwrap() > 0.0, "the anytime-valid bound excludes 0: {cs:?}");
    assert!((cmp["difference"].as_f64().unwrap() - 1.0).abs() < 0.3, "{cmp}");
    assert!(cmp["msprt_p"].as_f64().unwrap() < 0.05 && cmp["t_test"]["p"].as_f64().unwrap() < 0.05, "{cmp}");
    assert!(!cmp["series"].as_array().unwrap().is_empty());
    let text = metrics(&s.addr);
    assert!(text.contains("glint_experiment_requests_total{arm=\"treatment\",experiment=\"sim\",outcome=\"ok\"}"), "{text}");
    assert!(text.contains("glint_experiment_ratings_total{arm=\"control\",experiment=\"sim\""), "{text}");

    // The weights change: nobody moves; new subjects follow the new weights.
    let r = admin.send("PATCH", "/api/experiments/sim", br#"{"weights": {"control": 10, "treatment": 90}}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    for (g, arm) in guests.iter_mut().take(300) {
        assert_eq!(arm_of(&g.detect(&s.addr, &image, "a cat")).as_ref(), Some(&*arm), "a guest moved after a weight change");
    }
    let new: Vec<String> = (0..400).map(|_| arm_of(&Guest { cookie: None }.detect(&s.addr, &image, "a cat")).unwrap()).collect();
    let treated = share(&new, "treatment");
    assert!((treated - 0.9).abs() < 0.06, "new subjects at 10/90: {treated:.3} treatment");
    assert_eq!(report(&admin, "sim")["srm"]["flagged"], false, "the split is judged under the weights in force");

    // A restart on the same database, with a third arm added to spin.toml: nobody moves, the
    // live weights of the first two arms are kept, and only new subjects reach the new arm.
    drop(s);
    let third = format!("{AB}\n[[application.tool.glint.experiments.sim.arms]]\nname = \"third\"\nmodel = \"coco-grounded-v1\"\nweight = 100\n");
    let (_d3, m3) = manifest("exp-sim-3", &third);
    let s = up(&home_dir, &m3, Some(&database));
    for (g, arm) in guests.iter_mut().skip(300).take(300) {
        assert_eq!(arm_of(&g.detect(&s.addr, &image, "a cat")).as_ref(), Some(&*arm), "a guest moved across a restart");
    }
    for (name, arm) in users.iter().take(40) {
        let user = Client::login(&s.addr, name, "password-123");
        assert_eq!(arm_of(&user.send("POST", "/api/detect?prompt=a%20cat", &image)).as_ref(), Some(arm), "{name} moved across a restart");
    }
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    assert_eq!(report(&admin, "sim")["state"]["weights"], serde_json::json!([10, 90, 100]));
    let new: Vec<String> = (0..300).map(|_| arm_of(&Guest { cookie: None }.detect(&s.addr, &image, "a cat")).unwrap()).collect();
    let third_share = share(&new, "third");
    assert!((third_share - 0.5).abs() < 0.1, "new subjects at 10/90/100: {third_share:.3} third");

    // A request naming a model version is not in the experiment.
    let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat&model=coco-grounded-v1", &image);
    assert!(r.json()["experiment"].is_null(), "{}", r.text());

    // Declaring the winner ends the experiment: everyone gets it, uncounted.
    let r = admin.send("PATCH", "/api/experiments/sim", br#"{"winner": "treatment"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = Guest { cookie: None }.detect(&s.addr, &image, "a cat");
    assert!(r.json()["experiment"].is_null() && r.json()["model"]["version"] == "coco-grounded-v2", "{}", r.text());
    let r = admin.send("PATCH", "/api/experiments/sim", br#"{"status": "running"}"#);
    assert_eq!(r.status, 409, "{}", r.text());
    let events = admin.send("GET", "/api/admin/events?target=experiment:sim", b"").json();
    let actions: Vec<&str> = events["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"experiment-winner") && actions.contains(&"experiment-weights"), "{actions:?}");
}

#[test]
fn an_a_a_experiment_shows_no_difference_and_a_skewed_allocator_is_flagged() {
    let home_dir = experiment_home("exp-aa");
    let aa = AB.replace("coco-grounded-v2", "coco-grounded-v1");
    let (_d, m) = manifest("exp-aa", &aa);
    let s = up(&home_dir, &m, None);
    add_user(&s, ADMIN.0, "admin", ADMIN.1);
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    let image = chelsea();
    let arms: Vec<String> = (0..760).map(|_| arm_of(&Guest { cookie: None }.detect(&s.addr, &image, "a cat")).unwrap()).collect();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    rating_users(&s, &admin, "sim", "aa-", 240, |_| rng.pick(&[2, 3, 3, 4, 4, 5]));
    assert!((share(&arms, "control") - 0.5).abs() < 0.06);
    let rep = report(&admin, "sim");
    assert_eq!(rep["srm"]["flagged"], false, "{}", rep["srm"]);
    let cmp = &rep["arms"][1]["vs_control"];
    assert_eq!(cmp["verdict"], "no significant difference", "{cmp}");
    let cs = cmp["confidence_sequence"].as_array().unwrap();
    assert!(cs[0].as_f64().unwrap() < 0.0 && cs[1].as_f64().unwrap() > 0.0, "{cs:?}");
    drop(s);

    // The allocator is swapped live for one that ignores the weights (70/30 at 50/50): the
    // subjects it assigns are not split as the weights say, and the check flags it.
    let skew = AB.replace("[application.tool.glint.experiments.sim]", "[application.tool.glint.experiments.skew]")
        .replace("experiments.sim.arms", "experiments.skew.arms");
    let (_d, m) = manifest("exp-skew", &skew);
    let s = up(&home_dir, &m, None);
    add_user(&s, ADMIN.0, "admin", ADMIN.1);
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    let fair: Vec<String> = (0..100).map(|_| arm_of(&Guest { cookie: None }.detect(&s.addr, &image, "a cat")).unwrap()).collect();
    assert!((share(&fair, "control") - 0.5).abs() < 0.15);
    let skewing = std::fs::read(home().join("tests/plugins/misbehave-ab.wasm")).unwrap();
    let r = admin.send("PUT", "/api/admin/plugins/ab", &skewing);
    assert_eq!(r.status, 200, "the skewing allocator passes the canary (it is fair for other experiments): {}", r.text());
    assert_eq!(r.json()["event"]["outcome"], "swapped");
    let arms: Vec<String> = (0..500).map(|_| arm_of(&Guest { cookie: None }.detect(&s.addr, &image, "a cat")).unwrap()).collect();
    assert!(share(&arms, "control") > 0.62, "{}", share(&arms, "control"));
    let srm = &report(&admin, "skew")["srm"];
    assert_eq!(srm["flagged"], true, "{srm}");
    assert!(srm["p"].as_f64().unwrap() < 0.001, "{srm}");
    let list = admin.send("GET", "/api/experiments", b"").json();
    assert_eq!(list["experiments"][0]["srm_flagged"], true, "{list}");
}

/// One loopback receiver that answers 200 and passes on the first POST's body.
fn webhook_receiver() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (&stream).write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
        tx.send(format!("{} {}", first.trim(), String::from_utf8_lossy(&body))).unwrap();
    });
    (format!("http://{addr}/hook"), rx)
}

/// A small PNG that differs for each `i`.
fn png(i: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 48, |x, y| image::Rgb([(i % 251) as u8, (i / 251) as u8, ((x * 5 + y * 3) % 256) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_guardrail_breach_stops_the_experiment_routes_everyone_to_control_and_calls_the_webhook() {
    let home_dir = experiment_home("exp-guard");
    let (hook, received) = webhook_receiver();
    let guarded = format!(
        r#"
[application.tool.glint.experiments.guard]
webhook = "{hook}"
[application.tool.glint.experiments.guard.guardrails]
max_error_rate = 0.1
min_requests = 40
[[application.tool.glint.experiments.guard.arms]]
name = "control"
model = "coco-grounded-v1"
weight = 1
[[application.tool.glint.experiments.guard.arms]]
name = "flaky"
model = "coco-grounded-v1"
plugin = "misbehave"
weight = 1
"#
    );
    let (_d, m) = manifest("exp-guard", &guarded);
    let s = up(&home_dir, &m, None);
    add_user(&s, ADMIN.0, "admin", ADMIN.1);
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    let (mut flaky_ok, mut flaky_failed, mut after_stop) = (0, 0, 0);
    for i in 0..400 {
        let r = Guest { cookie: None }.detect(&s.addr, &png(i), "a cat . flaky:30");
        match (r.status, r.json()["experiment"]["arm"].as_str()) {
            (200, Some("flaky")) => flaky_ok += 1,
            (200, Some("control")) => {}
            (200, None) => {
                assert_eq!(r.json()["plugin"], "detect", "after the stop, control serves: {}", r.text());
                after_stop += 1;
                if after_stop == 20 {
                    break;
                }
            }
            (503, _) => flaky_failed += 1,
            (status, _) => panic!("{status}: {}", r.text()),
        }
    }
    assert!(flaky_failed > 5 && flaky_ok > 5, "flaky served {flaky_ok}, failed {flaky_failed}");
    assert_eq!(after_stop, 20, "the experiment was not stopped (flaky: {flaky_ok} ok, {flaky_failed} failed)");
    let rep = report(&admin, "guard");
    assert_eq!(rep["state"]["status"], "stopped", "{}", rep["state"]);
    assert_eq!(rep["state"]["actor"], "guardrail");
    let reason = rep["state"]["reason"].as_str().unwrap();
    assert!(reason.contains("arm flaky") && reason.contains("max_error_rate"), "{reason}");
    let hook_call = received.recv_timeout(Duration::from_secs(10)).expect("the webhook was called");
    assert!(hook_call.starts_with("POST /hook"), "{hook_call}");
    assert!(hook_call.contains("\"event\":\"experiment.stopped\"") && hook_call.contains("\"experiment\":\"guard\""), "{hook_call}");
}

#[test]
fn glint_up_refuses_bad_experiments_with_file_line_and_key() {
    let home_dir = experiment_home("exp-bad");
    let home_s = home_dir.display().to_string();
    let cases = [
        (AB.replace("coco-grounded-v2", "no-such-model"), "arms[1].model", "[[application.tool.glint.experiments.sim.arms]]\nname = \"treatment\""),
        (AB.replace("name = \"treatment\"", "name = \"control\""), "arms[1].name", "name = \"control\"\nmodel = \"coco-grounded-v2\""),
        (AB.replace("weight = 50", "weight = 0"), "] arms", "[[application.tool.glint.experiments.sim.arms]]"),
        (AB.replace("min_subjects = 100", "allocator = \"detect\""), "] allocator", "[application.tool.glint.experiments.sim]"),
    ];
    for (experiments, key, marker) in cases {
        let (_d, m) = manifest("exp-bad", &experiments);
        let text = std::fs::read_to_string(&m).unwrap();
        let line = text[..text.find(marker).unwrap_or_else(|| panic!("{marker}"))].matches('\n').count() + 1;
        let out = Command::new(env!("CARGO_BIN_EXE_glint"))
            .current_dir(home())
            .args(["--backend", "onnx", "up", "--listen", "127.0.0.1:0", "--manifest", &m])
            .env("GLINT_HOME", &home_s)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{key}: started");
        let at = format!("{m}:{line}");
        assert!(err.contains(&at) && err.contains(key), "{key}: want {at}: {err}");
    }
}
