//! The platform around detection, through a real `glint up` on loopback
//! with a real sqlite file: every route for every role, sign-in, CSRF,
//! accounts, history, feedback (JSON and CSV), job ownership, and logs that
//! never show secrets or personal data.

mod common;

use std::process::Stdio;

use common::*;
use serde_json::json;

const ADMIN_PW: &str = "admin-pass-1";
const USER_PW: &str = "user-pass-1";

/// An experiment for the route checks, paused (so detections are served by
/// its control, coco-grounded-v1, outside it).
const PAUSED_EXPERIMENT: &str = r#"
[application.tool.glint.experiments.demo]
status = "paused"
[[application.tool.glint.experiments.demo.arms]]
name = "control"
model = "coco-grounded-v1"
weight = 1
[[application.tool.glint.experiments.demo.arms]]
name = "treatment"
model = "coco-grounded-v1"
weight = 1
"#;

/// A server with an admin `root` and a user `alice`.
fn server() -> Server {
    // Guests may post in bursts of 100 here: the route checks and the sign-in tests post many times from one address.
    let (_dir, manifest) = manifest_with("platform", |t| format!("{}{PAUSED_EXPERIMENT}", t.replace("guest_burst = 10", "guest_burst = 100")));
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    add_user(&s, "root", "admin", ADMIN_PW);
    add_user(&s, "alice", "user", USER_PW);
    s
}

/// A route of the table with a request that the role may make.
struct Case {
    method: &'static str,
    target: String,
    body: Vec<u8>,
}

#[test]
fn every_route_checks_the_role() {
    let s = server();
    let admin = Client::login(&s.addr, "root", ADMIN_PW);
    let user = Client::login(&s.addr, "alice", USER_PW);
    // A result of alice's to rate.
    let detected = user.send("POST", "/api/detect?prompt=a%20cat", &chelsea());
    let result_id = detected.json()["result_id"].as_str().expect("signed-in results are recorded").to_string();
    let job = request(&s.addr, "POST", "/api/jobs?prompt=a%20cat", &chelsea()).json()["id"].as_str().unwrap().to_string();

    let doc = request(&s.addr, "GET", "/api/openapi.json", b"").json();
    let mut checked = 0;
    // The live-change routes (/api/admin/*) change plugins and models: host/tests/live.rs
    // checks them by role, in a glint folder of its own.
    for (path, ops) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| !p.starts_with("/api/admin/")) {
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_uppercase();
            let need = op["x-glint-role"].as_str().unwrap();
            let target = path.replace("{id}", &job).replace("/api/experiments/{name}", "/api/experiments/demo").replace("{name}", "alice");
            let target = if target == "/examples/alice" { "/examples/chelsea.png".into() } else { target };
            let case = match (method.as_str(), path.as_str()) {
                ("POST", "/api/detect" | "/api/jobs") => Case { method: "POST", target: format!("{target}?prompt=a%20cat"), body: chelsea() },
                // Documents of alice's result, and of the rated results (COCO: no fonts needed).
                ("GET", "/api/results/{id}/export") => Case { method: "GET", target: format!("/api/results/{result_id}/export?format=coco"), body: vec![] },
                ("GET", "/api/feedback/export") => Case { method: "GET", target: format!("{target}?format=coco"), body: vec![] },
                ("POST", "/api/session") => Case { method: "POST", target, body: json!({"user": "alice", "password": USER_PW}).to_string().into() },
                ("POST", "/api/feedback") => Case { method: "POST", target, body: json!({"result_id": result_id, "rating": 4}).to_string().into() },
                ("POST", "/api/users") => Case { method: "POST", target, body: json!({"name": format!("u{checked}"), "password": "long-enough-1"}).to_string().into() },
                ("PATCH", "/api/experiments/{name}") => Case { method: "PATCH", target, body: json!({"weights": {"treatment": 2}}).to_string().into() },
                ("PATCH", _) => Case { method: "PATCH", target, body: json!({"role": "user"}).to_string().into() },
                ("PUT", _) => Case { method: "PUT", target, body: json!({"lang": "zh"}).to_string().into() },
                ("DELETE", _) => Case { method: "DELETE", target, body: vec![] },
                (m, _) => Case { method: if m == "GET" { "GET" } else { panic!("untested method {m} {path}") }, target, body: vec![] },
            };
            for (role, client) in [("guest", None), ("user", Some(&user)), ("admin", Some(&admin))] {
                let allowed = match need {
                    "guest" => true,
                    "user" => role != "guest",
                    _ => role == "admin",
                };
                let r = match client {
                    None => request(&s.addr, case.method, &case.target, &case.body),
                    // Signing in ends the session it came with: the shared clients' sessions must stay.
                    Some(_) if case.target == "/api/session" && case.method == "POST" => request(&s.addr, "POST", &case.target, &case.body),
                    // DELETE /api/session would sign the shared clients out: use a fresh one.
                    Some(_) if case.method == "DELETE" => {
                        let c = if role == "admin" { Client::login(&s.addr, "root", ADMIN_PW) } else { Client::login(&s.addr, "alice", USER_PW) };
                        c.send("DELETE", &case.target, b"")
                    }
                    Some(c) => c.send(case.method, &case.target, &case.body),
                };
                let what = format!("{role} {} {}: {} {}", case.method, case.target, r.status, r.text());
                if allowed {
                    assert!((200..300).contains(&r.status), "allowed, but {what}");
                } else {
                    let want = if role == "guest" { 401 } else { 403 };
                    assert_eq!(r.status, want, "refused, but {what}");
                    assert!(r.json()["error"]["message"].is_string(), "{what}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 21 * 3, "{checked} route×role cases");
}

#[test]
fn every_answer_carries_the_security_headers_and_the_page_runs_no_inline_script() {
    let s = server();
    for (method, path) in [("GET", "/"), ("GET", "/app.js"), ("GET", "/api/models"), ("GET", "/nope"), ("POST", "/api/detect"), ("GET", "/examples/chelsea.png")] {
        let r = request(&s.addr, method, path, b"");
        assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"), "{method} {path}");
        assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"), "{method} {path}");
        assert_eq!(r.header("referrer-policy").as_deref(), Some("same-origin"), "{method} {path}");
    }
    let page = request(&s.addr, "GET", "/", b"");
    let csp = page.header("content-security-policy").expect("the page has a CSP");
    let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).expect("script-src");
    assert_eq!(script_src, "script-src 'self'", "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    // The page has no inline script left for the policy to block.
    let html = page.text();
    assert!(html.contains("<script src=\"/app.js\"></script>") && !html.contains("<script>"), "{html}");
    let js = request(&s.addr, "GET", "/app.js", b"");
    assert_eq!((js.status, js.header("content-type").as_deref()), (200, Some("text/javascript; charset=utf-8")));
    assert!(js.text().contains("function applyLang()"));
}

#[test]
fn openapi_lists_exactly_the_served_routes() {
    let s = server();
    let doc = request(&s.addr, "GET", "/api/openapi.json", b"").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/", "/api/detect", "/api/jobs/{id}", "/api/feedback", "/api/users/{name}", "/metrics"] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    // What is not in the document is not served.
    assert_eq!(request(&s.addr, "GET", "/api/secret", b"").status, 404);
    assert_eq!(request(&s.addr, "DELETE", "/api/users/alice", b"").status, 405);
}

#[test]
fn sign_in_errors_and_csrf() {
    let s = server();
    let bad = |body: &str| request(&s.addr, "POST", "/api/session", body.as_bytes());
    for (body, status, words) in [
        (r#"{"user":"alice","password":"wrong-password"}"#, 401, "wrong user name or password"),
        (r#"{"user":"nobody","password":"whatever-1"}"#, 401, "wrong user name or password"),
        (r#"{"user":"alice"}"#, 400, "password"),
        ("not json", 400, "JSON"),
    ] {
        let r = bad(body);
        assert_eq!(r.status, status, "{body}: {}", r.text());
        assert!(r.json()["error"]["message"].as_str().unwrap().contains(words), "{}", r.text());
    }
    let alice = Client::login(&s.addr, "alice", USER_PW);
    let cookie = [("Cookie", alice.cookie.as_str())];
    // A session without its CSRF token cannot change anything.
    let r = request_with(&s.addr, "POST", "/api/detect?prompt=a%20cat", &cookie, &chelsea());
    assert_eq!(r.status, 403);
    assert!(r.text().contains("x-csrf-token"), "{}", r.text());
    let wrong = [("Cookie", alice.cookie.as_str()), ("x-csrf-token", "0000")];
    assert_eq!(request_with(&s.addr, "POST", "/api/detect?prompt=a%20cat", &wrong, &chelsea()).status, 403);
    // Another site's page cannot post, signed in or not.
    let evil = [("Origin", "http://evil.example")];
    assert_eq!(request_with(&s.addr, "POST", "/api/detect?prompt=a%20cat", &evil, &chelsea()).status, 403);
    // Reading needs no token.
    assert_eq!(request_with(&s.addr, "GET", "/api/history", &cookie, b"").status, 200);
    // Signed out, the cookie is worth nothing.
    assert_eq!(alice.send("DELETE", "/api/session", b"").status, 200);
    let me = request_with(&s.addr, "GET", "/api/session", &cookie, b"").json();
    assert_eq!(me["role"], "guest");
    assert_eq!(request_with(&s.addr, "GET", "/api/history", &cookie, b"").status, 401);
}

#[test]
fn sign_in_rotates_the_session_and_guessing_is_throttled_per_account_and_address() {
    let s = server();
    // Signing in with a session cookie ends that session: the new one has a new id.
    let first = Client::login(&s.addr, "root", ADMIN_PW);
    let body = json!({"user": "root", "password": ADMIN_PW}).to_string();
    let again = first.send("POST", "/api/session", body.as_bytes());
    assert_eq!(again.status, 200, "{}", again.text());
    let second = again.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert_ne!(second, first.cookie);
    assert_eq!(request_with(&s.addr, "GET", "/api/session", &[("Cookie", first.cookie.as_str())], b"").json()["role"], "guest");
    assert_eq!(request_with(&s.addr, "GET", "/api/session", &[("Cookie", second.as_str())], b"").json()["role"], "admin");

    // Five wrong passwords lock the account: even the right one gets 429 with Retry-After.
    let try_login = |user: &str, password: &str| {
        request(&s.addr, "POST", "/api/session", json!({"user": user, "password": password}).to_string().as_bytes())
    };
    for _ in 0..5 {
        assert_eq!(try_login("alice", "wrong-password").status, 401);
    }
    let locked = try_login("alice", USER_PW);
    assert_eq!(locked.status, 429, "{}", locked.text());
    let wait: u64 = locked.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert!(locked.text().contains("too many failed sign-ins"), "{}", locked.text());
    // Other accounts from the same address still sign in...
    assert_eq!(try_login("root", ADMIN_PW).status, 200);
    // ...until the address has failed 20 times, whatever the names.
    for i in 0..15 {
        assert_eq!(try_login(&format!("guess{i}"), "password-1").status, 401, "failure {i}");
    }
    assert_eq!(try_login("root", ADMIN_PW).status, 429);
}

#[test]
fn admins_manage_accounts() {
    let s = server();
    let admin = Client::login(&s.addr, "root", ADMIN_PW);
    let add = |name: &str, password: &str, role: &str| {
        admin.send("POST", "/api/users", json!({"name": name, "password": password, "role": role}).to_string().as_bytes())
    };
    assert_eq!(add("bob", "bob-pass-1", "user").status, 201);
    for (name, password, role, status, words) in [
        ("bob", "bob-pass-1", "user", 409, "exists"),
        ("Bob Smith", "bob-pass-1", "user", 400, "not allowed"),
        ("carol", "short", "user", 400, "too short"),
        ("carol", "carol-pass-1", "root", 400, "not user or admin"),
    ] {
        let r = add(name, password, role);
        assert_eq!(r.status, status, "{}", r.text());
        assert!(r.text().contains(words), "{}", r.text());
    }
    let bob = Client::login(&s.addr, "bob", "bob-pass-1");
    // A new password ends the sessions signed in with the old one.
    let r = admin.send("PATCH", "/api/users/bob", br#"{"password": "bob-pass-2"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(bob.send("GET", "/api/history", b"").status, 401);
    assert_eq!(request(&s.addr, "POST", "/api/session", br#"{"user":"bob","password":"bob-pass-1"}"#).status, 401);
    let bob = Client::login(&s.addr, "bob", "bob-pass-2");
    // Disabling ends bob's sessions and sign-ins.
    let r = admin.send("PATCH", "/api/users/bob", br#"{"disabled": true}"#);
    assert_eq!(r.json()["disabled"], true, "{}", r.text());
    assert_eq!(bob.send("GET", "/api/history", b"").status, 401);
    assert_eq!(request(&s.addr, "POST", "/api/session", br#"{"user":"bob","password":"bob-pass-2"}"#).status, 401);
    // The last admin stays.
    let r = admin.send("PATCH", "/api/users/root", br#"{"role": "user"}"#);
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(admin.send("PATCH", "/api/users/nobody", br#"{"role": "user"}"#).status, 404);
    assert_eq!(admin.send("PATCH", "/api/users/bob", br#"{"colour": "red"}"#).status, 400);
    let users = admin.send("GET", "/api/users", b"").json();
    let names: Vec<&str> = users.as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob", "root"]);
    assert!(users.to_string().find("argon2").is_none(), "no hashes leave the server");
}

#[test]
fn feedback_is_stored_with_what_produced_the_result() {
    let s = server();
    let alice = Client::login(&s.addr, "alice", USER_PW);
    let admin = Client::login(&s.addr, "root", ADMIN_PW);
    let result = alice.send("POST", "/api/detect?prompt=a%20cat", &chelsea()).json();
    let result_id = result["result_id"].as_str().unwrap();
    // A queued job of alice's is recorded too, and only alice (and admins) may read it.
    let job = alice.send("POST", "/api/jobs?prompt=a%20kitty&threshold=0.4", &chelsea()).json();
    let job_id = job["id"].as_str().unwrap();
    let done = loop {
        let j = alice.send("GET", &format!("/api/jobs/{job_id}"), b"").json();
        if j["state"] == "done" {
            break j;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(done["result"]["result_id"].is_string(), "{done}");
    assert_eq!(request(&s.addr, "GET", &format!("/api/jobs/{job_id}"), b"").status, 404, "a guest cannot read it");
    assert_eq!(admin.send("GET", &format!("/api/jobs/{job_id}"), b"").status, 200);

    let history = alice.send("GET", "/api/history", b"").json();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history[0]["prompt"], "a kitty", "newest first");

    for (body, status) in [
        (json!({"result_id": result_id, "rating": 0}), 400),
        (json!({"result_id": result_id, "rating": 6}), 400),
        (json!({"result_id": "feedfacefeedfacefeedfacefeedface", "rating": 3}), 404),
        (json!({"result_id": result_id, "rating": 3, "comment": "x".repeat(2001)}), 413),
    ] {
        let r = alice.send("POST", "/api/feedback", body.to_string().as_bytes());
        assert_eq!(r.status, status, "{body}: {}", r.text());
    }
    let comment = "good box, but =cmd|' \"quoted\", 猫";
    let r = alice.send("POST", "/api/feedback", json!({"result_id": result_id, "rating": 5, "comment": comment}).to_string().as_bytes());
    assert_eq!(r.status, 201, "{}", r.text());
    let row = r.json();
    assert_eq!(row["user"], "alice");
    assert_eq!(row["model_version"], "coco-grounded-v1");
    assert_eq!(row["prompt"], "a cat");
    assert_eq!(row["image_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(row["cache_key"].as_str().unwrap().len(), 64);
    assert_eq!(row["detections"][0]["label"], "cat");
    // Another account cannot rate alice's result.
    add_user(&s, "bob", "user", "bob-pass-1");
    let bob = Client::login(&s.addr, "bob", "bob-pass-1");
    assert_eq!(bob.send("POST", "/api/feedback", json!({"result_id": result_id, "rating": 1}).to_string().as_bytes()).status, 404);

    // The admin's browser: filters, JSON and CSV.
    let all = admin.send("GET", "/api/feedback", b"").json();
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["comment"], comment);
    assert_eq!(all[0]["session_id"].as_str().unwrap().len(), 32);
    for (query, n) in [("user=alice", 1), ("user=bob", 0), ("min_rating=5", 1), ("max_rating=4", 0), ("model=coco-grounded-v1", 1), ("q=%E7%8C%AB", 1), ("q=dog", 0), ("since=9999999999999", 0)] {
        let got = admin.send("GET", &format!("/api/feedback?{query}"), b"").json();
        assert_eq!(got.as_array().unwrap().len(), n, "{query}: {got}");
    }
    assert_eq!(admin.send("GET", "/api/feedback?min_rating=lots", b"").status, 400);
    assert_eq!(admin.send("GET", "/api/feedback?format=xml", b"").status, 400);
    let csv = admin.send("GET", "/api/feedback?format=csv", b"");
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("id,time_ms,user,session_id,result_id,image_sha256,prompt,detections,model_version"));
    assert!(lines[1].ends_with(r#","good box, but =cmd|' ""quoted"", 猫","#), "the comment, then no experiment: {}", lines[1]);
}

#[test]
fn signed_in_users_get_their_own_rate_limit() {
    let (dir, manifest) =
        manifest_with("rate2", |t| t.replace("guest_per_minute = 30", "guest_per_minute = 1").replace("guest_burst = 10", "guest_burst = 1"));
    let s = start(&["--manifest", manifest.to_str().unwrap()]);
    add_user(&s, "alice", "user", USER_PW);
    let alice = Client::login(&s.addr, "alice", USER_PW); // the guest's one request
    assert_eq!(request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea()).status, 429);
    for _ in 0..3 {
        assert_eq!(alice.send("POST", "/api/detect?prompt=a%20cat", &chelsea()).status, 200);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn logs_never_show_secrets_or_personal_data() {
    let dir = temp_dir("logs");
    let log = dir.join("glint.log");
    let s = start_with(&[], Stdio::from(std::fs::File::create(&log).unwrap()), &[("GLINT_LOG", "debug")]);
    add_user(&s, "alice", "user", USER_PW);
    let alice = Client::login(&s.addr, "alice", USER_PW);
    let secrets = ["alice.smith@example.com", "13812345678", "+1 415-555-0100", "11010519491231002X"];
    let prompt = format!("a cat . {} . {}", secrets[0], secrets[1]);
    let target = format!("/api/detect?prompt={}", prompt.replace(' ', "%20").replace('+', "%2B"));
    alice.send("POST", &target, &chelsea());
    let result = alice.send("GET", "/api/history", b"").json();
    let id = result[0]["result_id"].as_str().unwrap();
    let comment = format!("mail me at {} or {} / {}", secrets[0], secrets[2], secrets[3]);
    alice.send("POST", "/api/feedback", json!({"result_id": id, "rating": 2, "comment": comment}).to_string().as_bytes());
    request(&s.addr, "POST", "/api/session", json!({"user": "alice", "password": "wrong-password-9"}).to_string().as_bytes());
    request_with(&s.addr, "GET", "/metrics", &[("Authorization", "Bearer not-the-token-5")], b"");
    alice.send("DELETE", "/api/session", b"");
    drop(s);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("glint::access"), "the access log is on:\n{text}");
    let token = alice.cookie.split('=').nth(1).unwrap();
    for secret in [USER_PW, "wrong-password-9", token, &alice.csrf, "not-the-token-5", METRICS_TOKEN].iter().chain(secrets.iter()) {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn preferences_live_in_spin_key_value_per_account() {
    let s = server();
    let alice = Client::login(&s.addr, "alice", USER_PW);
    let root = Client::login(&s.addr, "root", ADMIN_PW);
    assert_eq!(alice.send("GET", "/api/preferences", b"").json(), json!({}));
    let r = alice.send("PUT", "/api/preferences", r#"{"lang": "zh", "prompt": "a cat . 猫", "threshold": 0.4}"#.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"lang": "zh", "prompt": "a cat . 猫", "threshold": 0.4}));
    assert_eq!(alice.send("PUT", "/api/preferences", br#"{"lang": "en"}"#).json()["lang"], "en");
    for (body, words) in [
        (r#"{"lang": "fr"}"#, "lang"),
        (r#"{"threshold": 2}"#, "threshold"),
        (r#"{"colour": "red"}"#, "unknown preference"),
        ("[1]", "JSON"),
    ] {
        let r = alice.send("PUT", "/api/preferences", body.as_bytes());
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.text().contains(words), "{}", r.text());
    }
    assert_eq!(root.send("GET", "/api/preferences", b"").json(), json!({}), "another account sees none of them");
    // A new session of the same account finds them.
    let again = Client::login(&s.addr, "alice", USER_PW);
    assert_eq!(again.send("GET", "/api/preferences", b"").json()["prompt"], "a cat . 猫");
    assert_eq!(again.send("DELETE", "/api/preferences", b"").status, 200);
    assert_eq!(alice.send("GET", "/api/preferences", b"").json(), json!({}));
}
