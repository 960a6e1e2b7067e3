//! The audit policy of the shipped spin.toml through a real `glint up`: a
//! blocked request gets 422 with the reason codes and leaves no result, every
//! decision lands in the audit log (admins browse it at /api/audit) and in
//! /metrics by verdict.

mod common;

use common::*;

#[test]
fn blocks_are_explained_logged_and_counted() {
    let s = start(&[]);
    add_user(&s, "root", "admin", "admin-pass-1");
    add_user(&s, "alice", "user", "user-pass-1");
    let admin = Client::login(&s.addr, "root", "admin-pass-1");
    let alice = Client::login(&s.addr, "alice", "user-pass-1");

    let blocked = alice.send("POST", "/api/detect?prompt=a%20fucking%20cat", &chelsea());
    assert_eq!(blocked.status, 422, "{}", blocked.text());
    let message = blocked.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("blocked by the content policy") && message.contains("text.profanity"), "{message}");
    // Nothing was recorded for the blocked request.
    let history = alice.send("GET", "/api/history", b"").json();
    assert_eq!(history.as_array().map(Vec::len), Some(0), "{history}");

    // Queued jobs are audited the same way.
    let job = request(&s.addr, "POST", "/api/jobs?prompt=%E5%82%BB%E9%80%BC", &chelsea()).json();
    let done = wait_for(&s.addr, job["id"].as_str().unwrap());
    assert_eq!(done["state"], "failed", "{done}");
    assert!(done.to_string().contains("text.profanity"), "{done}");

    let fine = request(&s.addr, "POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(fine.status, 200, "{}", fine.text());

    // Admins browse the log; filters narrow it.
    let rows = admin.send("GET", "/api/audit?verdict=block", b"").json()["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let mine = rows.iter().find(|r| r["user"] == "alice").expect("alice's block");
    assert_eq!(mine["check"], "input.text");
    assert_eq!(mine["route"], "POST /api/detect");
    assert_eq!(mine["outcome"], "checked");
    assert_eq!(mine["policy_version"], "2026-11-22.2");
    assert!(mine["reasons"][0].as_str().unwrap().starts_with("text.profanity"), "{mine}");
    assert!(mine["scores"]["text.profanity"].as_f64().unwrap() >= 0.6, "{mine}");
    assert!(!mine["session_id"].as_str().unwrap().is_empty());
    let guest_rows = admin.send("GET", "/api/audit?user=&verdict=allow", b"").json()["rows"].as_array().unwrap().clone();
    let checks: Vec<&str> = guest_rows.iter().map(|r| r["check"].as_str().unwrap()).collect();
    for check in ["input.text", "input.image", "output.text", "output.image"] {
        assert!(checks.contains(&check), "{check} missing from the guest's allowed decisions: {checks:?}");
    }
    let csv = admin.send("GET", "/api/audit?format=csv&check=input.text", b"");
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.text().starts_with("id,time_ms,user,session_id,route,check,verdict"), "{}", csv.text());
    assert_eq!(csv.text().lines().count(), 1 + 3, "{}", csv.text());
    let bad = admin.send("GET", "/api/audit?verdict=maybe", b"");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("allow, review or block"), "{}", bad.text());
    let bad = admin.send("GET", "/api/audit?colour=red", b"");
    assert!(bad.status == 400 && bad.text().contains("colour"), "{}", bad.text());

    // Users and guests may not read it.
    assert_eq!(alice.send("GET", "/api/audit", b"").status, 403);
    assert_eq!(request(&s.addr, "GET", "/api/audit", b"").status, 401);

    let m = metrics(&s.addr);
    assert!(m.contains("glint_audit_decisions_total{check=\"input.text\",outcome=\"checked\",verdict=\"block\"} 2"), "{m}");
    assert!(m.contains("glint_audit_decisions_total{check=\"output.image\",outcome=\"checked\",verdict=\"allow\"} 1"), "{m}");
}
