//! Hostile clients against a real `glint up` on loopback, with small limits
//! (`[application.tool.glint.server]`): slow and idle connections are
//! dropped at the header deadline, one connection over `max_connections` is
//! closed at once, huge headers get 431, a body that never ends gets 408,
//! and odd inputs (a million-character prompt, deeply nested JSON, path
//! traversal, malformed cookies) get a clear 4xx — while benign requests
//! keep being answered and the server's memory stays bounded. `glint
//! gateway` takes the same limits from the same table and is tried the same
//! way in front of a plain upstream, and a malformed queue stream from the
//! app ends each call the client waits for by name.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Reply, Server, chelsea, manifest_with, request, request_with, start, try_request_with};

const LIMITS: &str = "
[application.tool.glint.server]
max_connections = 64
header_timeout_s = 1
body_timeout_s = 1
max_header_bytes = 16384
";

fn server() -> Server {
    let (_d, m) = manifest_with("hostile", |t| format!("{t}{LIMITS}"));
    start(&["--manifest", m.to_str().unwrap()])
}

/// Whether the server closes `s` within `within` (reads until EOF; what it
/// said before closing, if anything).
fn closed_within(s: &mut TcpStream, within: Duration) -> Option<String> {
    s.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(String::from_utf8_lossy(&got).into_owned()),
            Err(_) => return None,
        }
    }
}

fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB").trim().parse().unwrap()
}

/// An HTTP upstream on loopback: reads each connection's request head,
/// writes `answer(head)` and closes the connection.
fn canned_upstream(answer: fn(&[u8]) -> &'static [u8]) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(answer(&seen));
            });
        }
    });
    format!("http://{addr}")
}

/// A plain HTTP upstream on loopback: answers every request `200 upstream ok`.
fn plain_upstream() -> String {
    canned_upstream(|_| b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 11\r\nconnection: close\r\n\r\nupstream ok")
}

/// Slowloris and an idle connection are dropped at the header deadline;
/// with `max_connections` held, one more is closed at once, unanswered
/// (`while_held` runs then); the held ones go at the deadline. `benign` must
/// succeed before and after.
fn assert_drops_slow_idle_and_excess(addr: &str, max_connections: usize, benign: &dyn Fn(), while_held: &dyn Fn()) {
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /api/models HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
    let mut idle = TcpStream::connect(addr).unwrap();
    benign();
    assert!(closed_within(&mut slow, Duration::from_secs(5)).is_some(), "a slow header was not dropped");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).is_some(), "an idle connection was not dropped");
    let mut held: Vec<TcpStream> = (0..max_connections).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(addr).unwrap();
    let said = closed_within(&mut extra, Duration::from_millis(900)).expect("the connection over max_connections is closed at once");
    assert!(said.is_empty(), "{said}");
    while_held();
    for h in &mut held {
        assert!(closed_within(h, Duration::from_secs(5)).is_some());
    }
    benign();
}

/// A chunked body to `target` that never ends gets 408 at the 1 s body deadline.
fn assert_endless_body_times_out(addr: &str, target: &str) {
    let mut endless = TcpStream::connect(addr).unwrap();
    let head = format!("POST {target} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n");
    endless.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let answer = closed_within(&mut endless, Duration::from_secs(10)).unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout_s"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn benign_ok(s: &Server) {
    let r = request(&s.addr, "GET", "/api/models", b"");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn slow_idle_and_excess_connections_are_dropped_and_benign_requests_still_work() {
    let s = server();
    benign_ok(&s);
    let before = rss_kib(&s);
    let during = std::cell::Cell::new(0);
    assert_drops_slow_idle_and_excess(&s.addr, 64, &|| benign_ok(&s), &|| during.set(rss_kib(&s)));
    let during = during.get();
    assert!(during < before + 32 * 1024, "64 idle connections grew RSS from {before} to {during} KiB");
}

#[test]
fn huge_headers_endless_bodies_and_odd_inputs_get_clear_answers() {
    let s = server();
    // Headers over max_header_bytes.
    let big = "a".repeat(64 << 10);
    let r = try_request_with(&s.addr, "GET", "/api/models", &[("X-Big", big.as_str())], b"");
    assert_refused(r, &[431]);
    benign_ok(&s);

    // A chunked body that never ends: 408 at the body deadline.
    assert_endless_body_times_out(&s.addr, "/api/detect?prompt=a%20cat");

    // A million-character prompt: refused before any model runs.
    let prompt = "a".repeat(1_000_000);
    let r = try_request_with(&s.addr, "POST", &format!("/api/detect?prompt={prompt}"), &[], &chelsea());
    assert_refused(r, &[400, 413, 414, 431]);
    // Deeply nested JSON at sign-in.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = request(&s.addr, "POST", "/api/session", nested.as_bytes());
    assert_eq!(r.status, 400, "{}", r.text());
    // Path traversal out of /examples.
    for target in ["/examples/../spin.toml", "/examples/..%2f..%2fspin.toml", "/examples/%2e%2e/spin.toml", "/examples//etc/passwd"] {
        let r = request(&s.addr, "GET", target, b"");
        assert!((400..500).contains(&r.status), "{target}: {}", r.status);
        assert!(!r.text().contains("spin_manifest_version") && !r.text().contains("root:"), "{target} leaked a file");
    }
    // Malformed cookies and CSRF tokens: a guest, nothing worse.
    let r = request_with(&s.addr, "GET", "/api/session", &[("Cookie", "glint_session=%%%; glint_subject=../../x; =;;")], b"");
    assert_eq!((r.status, r.json()["role"].as_str()), (200, Some("guest")));
    let r = request_with(&s.addr, "POST", "/api/detect?prompt=a%20cat", &[("Cookie", "glint_session=zz"), ("x-csrf-token", "\u{7f}")], &chelsea());
    assert!(r.status == 200 || r.status == 400 || r.status == 403, "{}", r.status);
    benign_ok(&s);
}

/// The server refused: it answered one of `statuses`, or closed the connection
/// without an answer while the client was still sending (a reset or broken pipe).
fn assert_refused(reply: std::io::Result<Reply>, statuses: &[u16]) {
    match reply {
        Ok(r) => assert!(statuses.contains(&r.status), "{}: {}", r.status, r.text()),
        Err(e) => assert!(
            matches!(e.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::UnexpectedEof),
            "neither an answer nor a closed connection: {e}"
        ),
    }
}

/// A GIF of `frames` 1x1 frames (header and colour table, then each frame's
/// graphic control, descriptor and data, then the trailer).
fn gif_with_frames(frames: usize) -> Vec<u8> {
    let mut out = vec![0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00];
    for _ in 0..frames {
        out.extend_from_slice(&[0x21, 0xf9, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00]);
        out.extend_from_slice(&[0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
    }
    out.push(0x3b);
    out
}

#[test]
fn images_that_would_decompress_to_gigabytes_are_refused_from_their_headers() {
    let s = server();
    // JPEG: SOI, a baseline frame header declaring 65535x65535, EOI.
    let jpeg = [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9];
    // WebP (VP8X): a 16384x16384 canvas.
    let mut webp = b"RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
    webp.extend_from_slice(&[0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00]);
    // GIF: 2,000 frames (the audit reads at most 64).
    let gif = gif_with_frames(2000);
    for (name, body) in [("jpeg", jpeg.to_vec()), ("webp", webp), ("gif", gif)] {
        let started = Instant::now();
        let r = request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &body);
        assert!(r.status == 413 || r.status == 400, "{name}: {} {}", r.status, r.text());
        assert!(r.json()["error"]["message"].is_string(), "{name}");
        assert!(started.elapsed() < Duration::from_secs(5), "{name} took {:?}", started.elapsed());
    }
    benign_ok(&s);
}

#[test]
fn sigterm_stops_accepting_and_finishes_the_request_in_flight() {
    let mut s = server();
    let image = chelsea();
    let (first, rest) = image.split_at(image.len() / 2);
    let mut in_flight = TcpStream::connect(&s.addr).unwrap();
    let head = format!(
        "POST /api/detect?prompt=a%20cat HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        image.len()
    );
    in_flight.write_all(head.as_bytes()).unwrap();
    in_flight.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = s.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(TcpStream::connect(&s.addr).is_err(), "a new connection was accepted after SIGTERM");
    // The request that was arriving when the signal came is still answered.
    in_flight.write_all(rest).unwrap();
    let answer = closed_within(&mut in_flight, Duration::from_secs(30)).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{}", &answer[..answer.len().min(300)]);
    assert!(answer.contains("\"label\":\"cat\""), "{}", &answer[..answer.len().min(300)]);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "glint up did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn the_gateway_drops_slow_huge_and_endless_clients_and_keeps_proxying() {
    let (_d, manifest) = manifest_with("hostile-gateway", |t| format!("{t}{LIMITS}"));
    let (_gw, url, _db) = common::gradio::gateway(&plain_upstream(), &manifest, &[]);
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let benign = || {
        let r = request(&addr, "GET", "/config", b"");
        assert_eq!((r.status, r.text().as_str()), (200, "upstream ok"));
    };
    benign();
    assert_drops_slow_idle_and_excess(&addr, 64, &benign, &|| {});
    // Headers over max_header_bytes: 431 (or closed).
    let big = "a".repeat(64 << 10);
    if let Ok(r) = std::panic::catch_unwind(|| request_with(&addr, "GET", "/config", &[("X-Big", big.as_str())], b"")) {
        assert_eq!(r.status, 431, "{}", r.text());
    }
    assert_endless_body_times_out(&addr, "/gradio_api/upload");
    benign();
}

/// A Gradio-shaped upstream that joins every queue call as `e-1` and then
/// sends one estimation and a queue message that is not JSON, and closes.
fn malformed_queue_upstream() -> String {
    canned_upstream(|head| {
        if head.starts_with(b"POST /gradio_api/queue/join") {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 18\r\nconnection: close\r\n\r\n{\"event_id\":\"e-1\"}"
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\ndata: {\"msg\":\"estimation\",\"event_id\":\"e-1\"}\n\ndata: this is not json\n\n"
        }
    })
}

#[test]
fn a_malformed_queue_message_ends_each_pending_call_by_name() {
    let (_gw, url, _db) = common::gradio::gateway(&malformed_queue_upstream(), &common::home().join("spin.toml"), &[]);
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let join = request(&addr, "POST", "/gradio_api/queue/join", br#"{"data":["hello"],"fn_index":0,"session_hash":"s-1"}"#);
    assert_eq!((join.status, join.text().as_str()), (200, r#"{"event_id":"e-1"}"#));
    let stream = request(&addr, "GET", "/gradio_api/queue/data?session_hash=s-1", b"").text();
    let messages: Vec<serde_json::Value> =
        stream.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).map(|d| serde_json::from_str(d).unwrap()).collect();
    // gradio_client fails with KeyError on an error naming no call it waits for: each pending call is named.
    let ids: Vec<&str> = messages.iter().map(|m| m["event_id"].as_str().unwrap_or("null")).collect();
    assert_eq!(ids, ["e-1", "e-1", "null"], "{stream}");
    assert_eq!((messages[1]["msg"].as_str(), messages[1]["success"].as_bool()), (Some("process_completed"), Some(false)), "{stream}");
    assert!(messages[1]["output"]["error"].as_str().unwrap().contains("malformed queue message"), "{stream}");
    assert_eq!(messages[2]["msg"], "close_stream", "{stream}");
}
