//! Helpers shared by the tests that run `glint up`: a real server on
//! loopback with its own sqlite file, raw HTTP/1.1 requests, and signed-in
//! clients (cookie + CSRF token) for accounts made with `glint users add`.
#![allow(dead_code)]

pub mod gradio;
pub mod live;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The bearer token the test servers accept on /metrics.
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub fn home() -> PathBuf {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    assert!(
        home.join("components/target/wasm32-wasip2/release/glint_web.wasm").is_file(),
        "run scripts/setup.sh before the tests"
    );
    home
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!("glint-{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `glint up`; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Its database (`--database`).
    pub database: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `glint up` on a free port with a new sqlite database (unless
/// `extra` names one) and stderr inherited.
pub fn start(extra: &[&str]) -> Server {
    start_with(extra, Stdio::inherit(), &[])
}

pub fn start_with(extra: &[&str], stderr: Stdio, env: &[(&str, &str)]) -> Server {
    let database = match extra.iter().position(|a| *a == "--database") {
        Some(i) => extra[i + 1].to_string(),
        None => temp_dir("db").join("glint.db").display().to_string(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["up", "--listen", "127.0.0.1:0"])
        .args(if extra.contains(&"--database") { vec![] } else { vec!["--database", database.as_str()] })
        .args(extra)
        .env("GLINT_METRICS_TOKEN", METRICS_TOKEN)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
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
    Server { child, addr, database }
}

/// `glint users add NAME --role ROLE` on the server's database.
pub fn add_user(server: &Server, name: &str, role: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["users", "add", name, "--role", role, "--password-stdin", "--database", &server.database])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success(), "glint users add {name}");
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value (names are lower case in hyper's answers).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(|v| v.trim().to_string()))
    }
}

/// One HTTP/1.1 request with `Connection: close`.
pub fn request(addr: &str, method: &str, target: &str, body: &[u8]) -> Reply {
    request_with(addr, method, target, &[], body)
}

/// One HTTP/1.1 request with extra headers.
pub fn request_with(addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    try_request_with(addr, method, target, headers, body).unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

/// One HTTP/1.1 request with extra headers; an error when the server closed the
/// connection without an answer (a refused oversized head may be reset instead).
pub fn try_request_with(addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // A server may answer (a 401, a 413, a 431) and close before it has read all
    // of a large head or body: what it answered is read below either way.
    let _ = s.write_all(head.as_bytes()).and_then(|()| s.write_all(body));
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no end of headers"))?;
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let chunked = headers.lines().any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked { dechunk(&raw[split + 4..]) } else { raw[split + 4..].to_vec() };
    Ok(Reply { status, headers, body })
}

/// A `Transfer-Encoding: chunked` body, decoded (servers other than glint's,
/// such as Spin, send answers that way).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        body.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
    body
}

/// A signed-in session: its cookie and CSRF token go with every request.
pub struct Client {
    pub addr: String,
    pub cookie: String,
    pub csrf: String,
}

impl Client {
    /// Signs in; panics unless it works.
    pub fn login(addr: &str, user: &str, password: &str) -> Client {
        let body = serde_json::json!({ "user": user, "password": password }).to_string();
        let r = request(addr, "POST", "/api/session", body.as_bytes());
        assert_eq!(r.status, 200, "login {user}: {}", r.text());
        let set_cookie = r.header("set-cookie").expect("Set-Cookie");
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        Client { addr: addr.into(), cookie, csrf: r.json()["csrf"].as_str().unwrap().into() }
    }

    pub fn send(&self, method: &str, target: &str, body: &[u8]) -> Reply {
        request_with(&self.addr, method, target, &[("Cookie", &self.cookie), ("x-csrf-token", &self.csrf)], body)
    }
}

pub fn chelsea() -> Vec<u8> {
    std::fs::read(home().join("samples/chelsea.png")).unwrap()
}

/// The /metrics text, read with the bearer token.
pub fn metrics(addr: &str) -> String {
    let r = request_with(addr, "GET", "/metrics", &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

/// A copy of spin.toml in a temporary folder with `edit` applied.
pub fn manifest_with(name: &str, edit: impl Fn(String) -> String) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let home = home();
    let text = std::fs::read_to_string(home.join("spin.toml"))
        .unwrap()
        .replace("components/target/", &format!("{}/components/target/", home.display()))
        .replace("source = \"samples\"", &format!("source = \"{}/samples\"", home.display()));
    let manifest = dir.join("spin.toml");
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit of {name} changed nothing");
    std::fs::write(&manifest, edited).unwrap();
    (dir, manifest)
}

/// spin.toml's text with its rate limits off (per account and per guest), for
/// tests that send many requests from one address.
pub fn rate_limits_off(manifest: String) -> String {
    manifest.replace("per_minute = 120", "per_minute = 0").replace("guest_per_minute = 30", "guest_per_minute = 0")
}

/// Polls a job until it is done or failed (at most 60 s).
pub fn wait_for(addr: &str, id: &str) -> serde_json::Value {
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
