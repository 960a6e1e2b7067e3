//! `glint gateway` in front of a Gradio app that streams
//! (tests/gateway/stream_app.py), on Gradio 5 and Gradio 4: what the client
//! rebuilds from the stream is what is audited, a word split over pieces
//! never reaches it, resources that outputs make the browser load are
//! audited or rewritten, files no check reads follow the policy, and the
//! gateway's diffs agree with Gradio's own code.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::gradio::*;
use common::*;

const OPENING: &str = "this is a long and harmless opening sentence that streams first, ";

fn stream_app(python: &Path) -> (Proc, String) {
    stream_app_noting_ends(python, &temp_dir("stream-ends").join("ends.txt"))
}

/// The stream app, appending how each of its streams ended to `ends`.
fn stream_app_noting_ends(python: &Path, ends: &Path) -> (Proc, String) {
    gradio_app(python, "stream_app.py", &[("GLINT_GATEWAY_FILES", &home().join("samples")), ("GLINT_STREAM_ENDS", ends)])
}

/// Gradio 4's Python (scripts/gradio-venv.sh 4).
fn python4() -> PathBuf {
    let p = std::env::var_os("GLINT_GRADIO4_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".glint/gradio4-venv/bin/python"));
    assert!(p.exists(), "{} is missing: run scripts/gradio-venv.sh 4 (scripts/test.sh does)", p.display());
    p
}

fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a' + 13) % 26) + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A' + 13) % 26) + b'A') as char,
            _ => c,
        })
        .collect()
}

/// A text the app says with a blocked word split as `split`; the input itself passes.
fn blocked(split: &str) -> String {
    format!("rot13:{}", rot13(&format!("{OPENING}|what a {split}| is this")))
}

/// (event, data) of each event of a call-API stream.
fn events(sse: &str) -> Vec<(String, String)> {
    sse.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let field = |name: &str| e.lines().find_map(|l| l.strip_prefix(name)).unwrap_or("").trim().to_string();
            (field("event:"), field("data:"))
        })
        .collect()
}

/// The call API (whole values in every event), with curl.
fn check_call_api(gw: &str, app: &str, prefix: &str) {
    for split in ["mother|fucker", "moth|erfu|cker", "mo|th|e|r|f|u|c|k|e|r"] {
        let got = events(&call(gw, prefix, "stream", serde_json::json!([blocked(split)])));
        assert!(got.iter().all(|(_, d)| !d.contains("what a m")), "{split}: a partial of the word reached the client: {got:?}");
        assert!(got.iter().any(|(e, d)| e == "generating" && d.contains("harmless opening")), "{split}: nothing streamed first: {got:?}");
        let (last, message) = got.last().unwrap();
        assert!(last == "error" && message.contains("output.text"), "{split}: {got:?}");
    }
    let benign: String = (0..10).map(|i| format!("part {i} of a harmless answer, |")).collect();
    let through = events(&call(gw, prefix, "stream", serde_json::json!([benign])));
    let direct = events(&call(app, prefix, "stream", serde_json::json!([benign])));
    assert!(through.iter().filter(|(e, _)| e == "generating").count() >= 4, "{through:?}");
    assert_eq!(through.last(), direct.last(), "the benign stream ends as the app's own");
}

#[test]
fn streamed_outputs_are_audited_as_the_client_rebuilds_them() {
    let py = python();
    let ends = temp_dir("stream-ends").join("ends.txt");
    let (_app, app) = stream_app_noting_ends(&py, &ends);
    let (_gw, gw, db) = gateway(&app, &home().join("spin.toml"), &[]);
    // gradio_client: queue/join + queue/data, where later messages are diffs.
    check_script(&py, "stream_check.py", &[&gw, &app, db.to_str().unwrap(), ends.to_str().unwrap()]);
    check_call_api(&gw, &app, "/gradio_api");
}

#[test]
fn gradio_4_streams_are_audited_the_same() {
    let py = python4();
    let ends = temp_dir("stream-ends").join("ends.txt");
    let (_app, app) = stream_app_noting_ends(&py, &ends);
    let (_gw, gw, db) = gateway(&app, &home().join("spin.toml"), &[]);
    check_script(&py, "stream_check.py", &[&gw, &app, db.to_str().unwrap(), ends.to_str().unwrap()]);
    check_call_api(&gw, &app, "");
}

/// The `complete` data of the markdown API for `text`, or the error event's message.
fn markdown(gw: &str, text: &str) -> Result<String, String> {
    let got = events(&call(gw, "/gradio_api", "markdown", serde_json::json!([text])));
    match got.last() {
        Some((e, d)) if e == "complete" => Ok(d.clone()),
        Some((e, d)) if e == "error" => Err(d.clone()),
        _ => panic!("{text}: {got:?}"),
    }
}

fn file(gw: &str, kind: &str) -> Result<String, String> {
    let got = events(&call(gw, "/gradio_api", "file", serde_json::json!([kind])));
    match got.last() {
        Some((e, d)) if e == "complete" => Ok(d.clone()),
        Some((e, d)) if e == "error" => Err(d.clone()),
        _ => panic!("{kind}: {got:?}"),
    }
}

/// A policy of spin.toml with `gateway` as its `[….audit.gateway]` table, `strict` blocking every image.
fn policy(name: &str, gateway: &str, strict: bool) -> (PathBuf, PathBuf) {
    manifest_with(name, |m| {
        let m = if strict {
            m.replace("review = { \"image.nsfw\" = 0.2 }", "review = { \"image.nsfw\" = 0.0 }")
                .replace("block = { \"image.nsfw\" = 0.8 }", "block = { \"image.nsfw\" = 0.0 }")
        } else {
            m
        };
        format!("{m}\n[application.tool.glint.audit.gateway]\n{gateway}\n")
    })
}

#[test]
fn resources_and_files_in_outputs_follow_the_policy() {
    let py = python();
    let (_app, app) = stream_app(&py);
    let mut cmd = Command::new(&py);
    let other_port = free_port();
    cmd.args(["-u", "-m", "http.server", &other_port.to_string(), "--bind", "127.0.0.1", "--directory"]).arg(home().join("samples"));
    let (_other, other) = spawn_until(cmd, "Serving HTTP");
    let elsewhere = format!("{other}/coffee.png");
    let app_port = app.rsplit(':').next().unwrap().to_string();

    // The shipped policy: the app's images audited, other hosts' rewritten.
    let (_gw, gw, _db) = gateway(&app, &home().join("spin.toml"), &[]);
    let own = markdown(&gw, "a cat: ![cat]({file:chelsea.png}) done").unwrap();
    assert!(own.contains("](/gradio_api/file=") && own.contains("chelsea.png"), "{own}");
    let absolute = markdown(&gw, "a cat: ![cat]({upstream}{file:chelsea.png}) done").unwrap();
    assert!(!absolute.contains(&format!(":{app_port}/")) && absolute.contains("](/gradio_api/file="), "the app's absolute URL goes through the gateway: {absolute}");
    let other_host = markdown(&gw, &format!("look ![x]({elsewhere}) <img src=\"{elsewhere}\"> done")).unwrap();
    assert!(!other_host.contains(&other) && other_host.matches("about:blank").count() == 2, "{other_host}");
    // Streamed: the other host's URL never shows in any piece.
    let pieces = call(&gw, "/gradio_api", "markdown", serde_json::json!([format!("intro text |![x]({elsewhere})| and more| text")]));
    assert!(!pieces.contains(&other) && pieces.contains("about:blank"), "{pieces}");
    // Files no check reads are blocked (the image check fails closed); text files are read.
    for (kind, reason) in [("pdf", "file.unreadable.pdf"), ("wav", "file.unreadable.audio")] {
        let e = file(&gw, kind).unwrap_err();
        assert!(e.contains("output.file") && e.contains(reason), "{kind}: {e}");
    }
    assert!(file(&gw, "txt:a harmless note").is_ok());
    let e = file(&gw, &format!("txt:rot13:{}", rot13("you fucking idiot"))).unwrap_err();
    assert!(e.contains("output.text"), "a text file is audited as text: {e}");
    assert!(file(&gw, "png").is_ok());
    let m = request_with(gw.trim_start_matches("http://"), "GET", "/metrics", &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))], b"").text();
    for line in [
        "glint_audit_decisions_total{check=\"output.image\",outcome=\"checked\",verdict=\"allow\"}",
        "glint_audit_decisions_total{check=\"output.resource\",outcome=\"not-auditable\",verdict=\"review\"}",
        "glint_audit_decisions_total{check=\"output.file\",outcome=\"not-auditable\",verdict=\"block\"}",
    ] {
        assert!(m.contains(line), "{line} in {m}");
    }

    // A strict policy: every image blocks, other hosts block, one host is fetched and audited.
    let other_authority = other.trim_start_matches("http://").to_string();
    let (_dir, strict) = policy("gateway-resources-strict", &format!("external_resources = \"block\"\nfetch_hosts = [\"{other_authority}\"]"), true);
    let (_gw2, gw2, _) = gateway(&app, &strict, &[]);
    let e = markdown(&gw2, "![cat]({file:chelsea.png})").unwrap_err();
    assert!(e.contains("output.image"), "{e}");
    let e = markdown(&gw2, &format!("![x]({elsewhere})")).unwrap_err();
    assert!(e.contains("output.image"), "the listed host's image is fetched and audited: {e}");
    let e = markdown(&gw2, "![x](http://198.51.100.7/x.png)").unwrap_err();
    assert!(e.contains("output.resource") && e.contains("resource.external"), "{e}");

    // A lenient policy: the listed host's image passes unchanged, unreadable files are allowed (and logged).
    let (_dir, lenient) = policy("gateway-resources-lenient", &format!("unreadable_files = \"allow\"\nfetch_hosts = [\"{other_authority}\"]"), false);
    let (_gw3, gw3, _) = gateway(&app, &lenient, &[]);
    assert!(markdown(&gw3, &format!("![x]({elsewhere})")).unwrap().contains(&elsewhere));
    assert!(file(&gw3, "pdf").is_ok());
    let m = request_with(gw3.trim_start_matches("http://"), "GET", "/metrics", &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))], b"").text();
    assert!(m.contains("glint_audit_decisions_total{check=\"output.file\",outcome=\"not-auditable\",verdict=\"allow\"}"), "{m}");

    // Uploads follow the same rule for files no check reads.
    let pdf = temp_dir("upload").join("report.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%%EOF\n").unwrap();
    let up = |base: &str| curl(&["-w", "\n%{http_code}", "-F", &format!("files=@{}", pdf.display()), &format!("{base}/gradio_api/upload")]);
    let refused = up(&gw);
    assert!(refused.ends_with("\n400") && refused.contains("file.unreadable.pdf"), "{refused}");
    assert!(up(&gw3).ends_with("\n200"));
}

#[test]
fn the_gateways_diffs_agree_with_gradios_own_code() {
    let py = python();
    let script = home().join("tests/gateway/diff_cases.py");
    // Gradio's diff of random value pairs, and what gradio_client's apply_diff makes of it.
    let out = Command::new(&py).arg(&script).arg("make").arg("400").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut ours = String::new();
    let mut n = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let applied = glint::gateway::diff::apply(case["old"].clone(), &case["diff"]).unwrap();
        assert_eq!(applied, case["applied"], "applying Gradio's diff as gradio_client does: {case}");
        let d = glint::gateway::diff::diff(&case["old"], &case["new"]);
        ours.push_str(&serde_json::json!({ "old": case["old"], "new": case["new"], "diff": d }).to_string());
        ours.push('\n');
        n += 1;
    }
    assert_eq!(n, 400);
    // The gateway's own diffs, applied by gradio_client's apply_diff, give the new values.
    let mut child = Command::new(&py)
        .arg(&script)
        .arg("check")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(ours.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.trim_end().ends_with("ok"), "{said}");
}
