//! `glint gateway` in front of a real Gradio 5 app (tests/gateway/gradio_app.py,
//! from the venv scripts/gradio-venv.sh makes): curl and gradio_client
//! through the gateway, benign traffic unchanged, blocked inputs never reach
//! the app (it counts its calls), blocked outputs never reach the client,
//! and clear errors for an upstream that is down or a body that is too big.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::gradio::*;
use common::*;

/// The test app, counting calls into `calls`.
fn gradio_app_counting(calls: &Path) -> (Proc, String) {
    gradio_app(&python(), "gradio_app.py", &[("GLINT_GATEWAY_CALLS", calls)])
}

/// A three-frame animated GIF (written by Pillow from the Gradio venv).
fn animated_gif() -> PathBuf {
    let path = temp_dir("gif").join("animated.gif");
    let script = "import sys\nfrom PIL import Image\n\
        frames = [Image.new('RGB', (48, 32), c) for c in [(200, 120, 40), (40, 120, 200), (90, 200, 90)]]\n\
        frames[0].save(sys.argv[1], 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0)\n";
    let status = Command::new(python()).args(["-c", script]).arg(&path).status().unwrap();
    assert!(status.success(), "Pillow could not write {}", path.display());
    path
}

/// curl's multipart upload of `file` to the gateway: the body, then the HTTP status on the last line.
fn upload(gw: &str, file: &Path) -> String {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "-F"])
        .arg(format!("files=@{}", file.display()))
        .arg(format!("{gw}/gradio_api/upload"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// POST /gradio_api/call/echo then the event stream, with curl.
fn call_echo(base: &str, text: &str) -> String {
    call(base, "/gradio_api", "echo", serde_json::json!([text]))
}

fn calls(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|s| s.lines().count()).unwrap_or(0)
}

#[test]
fn the_gateway_audits_a_real_gradio_app() {
    let counter = temp_dir("gradio-calls").join("calls.txt");
    let (_app, app_url) = gradio_app_counting(&counter);
    let (_gw, gw, _) = gateway(&app_url, &home().join("spin.toml"), &[]);

    // Benign text: the same event stream as the app's own.
    let direct = call_echo(&app_url, "hello there");
    let through = call_echo(&gw, "hello there");
    assert!(direct.contains("event: complete") && direct.contains("[\"echo: hello there\"]"), "{direct}");
    assert_eq!(through, direct);
    assert_eq!(calls(&counter), 2);

    // A blocked input never reaches the app; the stream carries the error.
    let blocked = call_echo(&gw, "you fucking idiot");
    assert!(blocked.starts_with("event: error\ndata: \"blocked by the content policy"), "{blocked}");
    assert!(blocked.contains("input.text") && blocked.contains("text.profanity"), "{blocked}");
    assert_eq!(calls(&counter), 2, "the app was called for a blocked input");

    // A blocked output: the app ran, the client only sees the error.
    let out = call_echo(&gw, "reverse:tihs");
    assert!(out.contains("event: error") && out.contains("output.text"), "{out}");
    assert!(!out.contains("shit"), "{out}");
    assert_eq!(calls(&counter), 3);

    // The app's own errors pass through as Gradio made them.
    assert_eq!(call_echo(&gw, "raise:nope"), call_echo(&app_url, "raise:nope"));

    // gradio_client: queue/join + queue/data, an upload and an image result.
    check_script(&python(), "client_check.py", &[&gw, home().join("samples/chelsea.png").to_str().unwrap()]);

    // Upload then flip with curl: the result's URL points at the gateway and
    // the file is served through it.
    let uploaded = curl(&["-F", &format!("files=@{}", home().join("samples/coffee.png").display()), &format!("{gw}/gradio_api/upload")]);
    let path = serde_json::from_str::<serde_json::Value>(&uploaded).unwrap()[0].as_str().unwrap_or_else(|| panic!("{uploaded}")).to_string();
    let body = serde_json::json!({ "data": [{ "path": path, "meta": { "_type": "gradio.FileData" } }] }).to_string();
    let id = curl(&["-X", "POST", &format!("{gw}/gradio_api/call/flip"), "-H", "content-type: application/json", "-d", &body]);
    let id: serde_json::Value = serde_json::from_str(&id).unwrap();
    let events = curl(&[&format!("{gw}/gradio_api/call/flip/{}", id["event_id"].as_str().unwrap())]);
    let data = events.lines().rev().find_map(|l| l.strip_prefix("data: ")).unwrap_or_else(|| panic!("{events}"));
    let url = serde_json::from_str::<serde_json::Value>(data).unwrap()[0]["url"].as_str().unwrap_or_else(|| panic!("{events}")).to_string();
    assert!(url.starts_with(&gw), "{url} should point at the gateway {gw}");
    let image = Command::new("curl").args(["-s", "--max-time", "30", &url]).output().unwrap().stdout;
    assert!(image::load_from_memory(&image).is_ok(), "the flipped image is served through the gateway");
    // An animated GIF is audited frame by frame and, being harmless, uploaded.
    let said = upload(&gw, &animated_gif());
    assert!(said.ends_with("\n200") && said.contains("animated.gif"), "{said}");

    let m = request_with(gw.trim_start_matches("http://"), "GET", "/metrics", &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))], b"").text();
    assert!(m.contains("glint_audit_decisions_total{check=\"input.text\",outcome=\"checked\",verdict=\"block\"}"), "{m}");
    assert!(m.contains("glint_audit_decisions_total{check=\"output.image\",outcome=\"checked\",verdict=\"allow\"}"), "{m}");
    assert!(m.contains("glint_audit_decisions_total{check=\"input.image\",outcome=\"checked\",verdict=\"allow\"}"), "{m}");
}

#[test]
fn blocked_images_never_reach_the_app_and_failures_are_clear() {
    let counter = temp_dir("gradio-calls").join("calls.txt");
    let (_app, app_url) = gradio_app_counting(&counter);
    // A policy that blocks every image.
    let (_dir, strict) = manifest_with("gateway-strict", |m| m.replace("review = { \"image.nsfw\" = 0.2 }", "review = { \"image.nsfw\" = 0.0 }").replace("block = { \"image.nsfw\" = 0.8 }", "block = { \"image.nsfw\" = 0.0 }"));
    let (_gw, gw, _) = gateway(&app_url, &strict, &["--max-body-bytes", "2000000"]);

    for file in [home().join("samples/coffee.png"), animated_gif()] {
        let said = upload(&gw, &file);
        assert!(said.ends_with("\n400") && said.contains("input.image"), "{file:?}: {said}");
    }
    // An inline (data URL) image in a call is audited the same way.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(16, 16, image::Rgb([200, 120, 40]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let data_url = format!("data:image/png;base64,{}", base64_encode(&png));
    let out = call_echo(&gw, &data_url);
    assert!(out.contains("event: error") && out.contains("input.image"), "{out}");
    let big = vec![b'x'; 2_500_000];
    let r = request_with(gw.trim_start_matches("http://"), "POST", "/gradio_api/call/echo", &[("content-type", "application/json")], &big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("2000000 bytes"), "{}", r.text());
    assert_eq!(calls(&counter), 0, "nothing reached the app");

    // The app goes away: a clear 502, not a hang.
    drop(_app);
    let r = request_with(gw.trim_start_matches("http://"), "GET", "/config", &[], b"");
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.text().contains("not reachable"), "{}", r.text());
}

fn base64_encode(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ABC[(n >> (18 - 6 * i)) as usize & 63] as char } else { '=' });
        }
    }
    out
}
