//! The store on both databases it supports, with the same code: sqlite (a
//! real file) and PostgreSQL (a real server; scripts/test.sh starts one and
//! sets GLINT_TEST_POSTGRES). Then two `glint up` replicas sharing one
//! PostgreSQL, as behind a load balancer.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use glint::store::{Backend, FeedbackFilter, NewFeedback, NewResult, NewUser, Store, StoreError, now_ms};
use serde_json::json;

/// A fresh, empty PostgreSQL database on the test server.
async fn postgres_database() -> String {
    let url = std::env::var("GLINT_TEST_POSTGRES")
        .expect("GLINT_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL");
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!("glint_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.expect("PostgreSQL is up");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    format!("{}/{name}", url.rsplit_once('/').unwrap().0)
}

async fn exercise(store: &Store) {
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    store.add_user(NewUser { name: "ann", role: "admin", password_hash: hash }).await.unwrap();
    store.add_user(NewUser { name: "ben", role: "user", password_hash: hash }).await.unwrap();
    assert!(matches!(
        store.add_user(NewUser { name: "ben", role: "user", password_hash: hash }).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.admin_count().await.unwrap(), 1);
    let ben = store.update_user("ben", Some("admin"), None, None).await.unwrap();
    assert_eq!(ben.role, "admin");
    assert!(matches!(store.update_user("nobody", Some("user"), None, None).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.users().await.unwrap().len(), 2);

    let far = now_ms() + 3_600_000;
    store.add_session("hash-1", "sess-1", "ben", "csrf-1", far).await.unwrap();
    store.add_session("hash-old", "sess-0", "ben", "csrf-0", now_ms() - 1).await.unwrap();
    let s = store.session("hash-1").await.unwrap().expect("live session");
    assert_eq!((s.user_name.as_str(), s.role.as_str(), s.csrf.as_str()), ("ben", "admin", "csrf-1"));
    assert!(store.session("hash-old").await.unwrap().is_none(), "expired");
    store.update_user("ben", None, Some(true), None).await.unwrap();
    assert!(store.session("hash-1").await.unwrap().is_none(), "disabling ends sessions");

    for (i, prompt) in ["a cat", "a dog 100%_off"].iter().enumerate() {
        let id = format!("result-{i}");
        store
            .add_result(NewResult {
                id: &id, time_ms: 1000 + i as i64, user_name: "ann", session_id: "sess-a", image_sha256: "ab",
                prompt, detections: "[]", model_version: "coco-grounded-v1", cache_key: "cd", cached: i == 1,
                experiment: if i == 0 { "exp/b" } else { "" },
            })
            .await
            .unwrap();
    }
    let history = store.history("sess-a", 10).await.unwrap();
    assert_eq!(history.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["result-1", "result-0"]);
    assert!(history[0].cached && !history[1].cached);

    for (i, rating) in [(0, 5u8), (1, 2)] {
        let result = store.result(&format!("result-{i}")).await.unwrap().unwrap();
        let comment = format!("comment {i} 猫");
        store
            .add_feedback(NewFeedback { user_name: "ann", session_id: "sess-a", result: &result, rating, comment: &comment })
            .await
            .unwrap();
    }
    let count = |f: FeedbackFilter| async move { store.feedback(&FeedbackFilter { limit: 100, ..f }).await.unwrap().len() };
    assert_eq!(count(FeedbackFilter::default()).await, 2);
    assert_eq!(count(FeedbackFilter { min_rating: Some(3), ..Default::default() }).await, 1);
    assert_eq!(count(FeedbackFilter { user: Some("ben".into()), ..Default::default() }).await, 0);
    assert_eq!(count(FeedbackFilter { text: Some("猫".into()), ..Default::default() }).await, 2);
    assert_eq!(count(FeedbackFilter { text: Some("100%_".into()), ..Default::default() }).await, 1, "% and _ are literal");
    assert_eq!(count(FeedbackFilter { text: Some("0%".into()), ..Default::default() }).await, 1);
    assert_eq!(count(FeedbackFilter { model: Some("other".into()), ..Default::default() }).await, 0);
    let one = store.feedback(&FeedbackFilter { limit: 1, ..Default::default() }).await.unwrap();
    assert_eq!(one.len(), 1);
    // (Both ratings may fall in the same millisecond, so their order is not asserted.)
    let mut rated: Vec<(String, String)> =
        store.feedback(&FeedbackFilter { limit: 10, ..Default::default() }).await.unwrap().into_iter().map(|f| (f.result_id, f.experiment)).collect();
    rated.sort();
    assert_eq!(rated, [("result-0".to_string(), "exp/b".to_string()), ("result-1".to_string(), String::new())], "feedback carries the arm of the rated result");

    // Experiments: the first assignment holds (as if two replicas raced), the
    // live state is one row per experiment, and ratings join the events.
    assert_eq!(store.assign_once("exp", 1, "user:ann", "b").await.unwrap(), ("b".to_string(), true));
    assert_eq!(store.assign_once("exp", 1, "user:ann", "a").await.unwrap(), ("b".to_string(), false));
    assert_eq!(store.assignment("exp", 2, "user:ann").await.unwrap(), None, "a new version starts over");
    store.assign_once("exp", 1, "guest:00", "a").await.unwrap();
    let mut subjects = store.experiment_subjects("exp", 1, 0).await.unwrap();
    subjects.sort();
    assert_eq!(subjects, [("a".to_string(), 1), ("b".to_string(), 1)]);
    assert!(store.experiment_subjects("exp", 1, now_ms() + 60_000).await.unwrap().is_empty());
    store.save_experiment_state("exp", 1, r#"{"x":1}"#).await.unwrap();
    store.save_experiment_state("exp", 2, r#"{"x":2}"#).await.unwrap();
    assert_eq!(store.experiment_state("exp").await.unwrap(), Some((2, r#"{"x":2}"#.to_string())));
    let event = |ok, result_id| glint::store::NewExperimentEvent {
        experiment: "exp", version: 1, arm: "b", subject: "user:ann", ok, latency_us: 1500, result_id,
    };
    store.add_experiment_event(event(true, "result-0")).await.unwrap();
    store.add_experiment_event(event(false, "")).await.unwrap();
    let events = store.experiment_events("exp", 1).await.unwrap();
    // Two events in the same millisecond may come back in either order.
    let mut outcomes: Vec<bool> = events.iter().map(|e| e.ok).collect();
    outcomes.sort();
    assert_eq!(outcomes, [false, true]);
    let ratings = store.experiment_ratings("exp", 1).await.unwrap();
    assert_eq!(ratings.iter().map(|r| (r.arm.as_str(), r.rating)).collect::<Vec<_>>(), [("b", 5)]);

    // spin:key-value's table: bytes in, bytes out, per store label.
    store.kv_set("default", "b", &[0, 255, 7]).await.unwrap();
    store.kv_set("default", "a", b"one").await.unwrap();
    store.kv_set("default", "a", b"two").await.unwrap();
    store.kv_set("other", "a", b"x").await.unwrap();
    assert_eq!(store.kv_get("default", "a").await.unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(store.kv_get("default", "b").await.unwrap(), Some(vec![0, 255, 7]));
    assert_eq!(store.kv_keys("default").await.unwrap(), ["a", "b"]);
    store.kv_delete("default", "a").await.unwrap();
    assert_eq!(store.kv_get("default", "a").await.unwrap(), None);
    assert_eq!(store.kv_keys("other").await.unwrap(), ["a"]);
}

#[tokio::test]
async fn sqlite_store() {
    let dir = temp_dir("store");
    let store = Store::open(dir.join("glint.db").to_str().unwrap(), &dir).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    exercise(&store).await;
    // Reopening keeps everything (and the tables are not created twice).
    drop(store);
    let again = Store::open(dir.join("glint.db").to_str().unwrap(), &dir).await.unwrap();
    assert_eq!(again.users().await.unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_database_from_before_experiments_gets_the_new_columns() {
    let dir = temp_dir("store-old");
    let path = dir.join("glint.db");
    {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
        for table in [
            "CREATE TABLE results (id TEXT PRIMARY KEY, time_ms BIGINT NOT NULL, user_name TEXT NOT NULL, session_id TEXT NOT NULL,
             image_sha256 TEXT NOT NULL, prompt TEXT NOT NULL, detections TEXT NOT NULL, model_version TEXT NOT NULL,
             cache_key TEXT NOT NULL, cached BIGINT NOT NULL)",
            "INSERT INTO results VALUES ('old', 1, 'ann', 's', 'ab', 'a cat', '[]', 'coco-grounded-v1', 'cd', 0)",
        ] {
            sqlx::Executor::execute(&mut conn, table).await.unwrap();
        }
    }
    let store = Store::open(path.to_str().unwrap(), &dir).await.unwrap();
    let old = store.result("old").await.unwrap().unwrap();
    assert_eq!((old.prompt.as_str(), old.experiment.as_str()), ("a cat", ""));
    drop(store);
    Store::open(path.to_str().unwrap(), &dir).await.expect("reopening finds the column there");
}

#[tokio::test]
async fn postgres_store() {
    let url = postgres_database().await;
    let store = Store::open(&url, std::path::Path::new("/")).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    exercise(&store).await;
}

#[tokio::test]
async fn a_bad_database_url_is_a_clear_error() {
    let e = Store::open("postgres://glint:secret-pw@127.0.0.1:1/none", std::path::Path::new("/")).await.err().unwrap();
    let text = format!("{e:#}");
    assert!(text.contains("cannot open the database postgres://glint:***@127.0.0.1:1/none"), "{text}");
    assert!(!text.contains("secret-pw"));
}

#[test]
fn two_replicas_share_one_postgres() {
    let url = tokio::runtime::Runtime::new().unwrap().block_on(postgres_database());
    let a = start(&["--database", &url]);
    let b = start(&["--database", &url]);
    add_user(&a, "root", "admin", "admin-pass-1");
    add_user(&a, "alice", "user", "user-pass-1");
    // Signed in on replica a, the session works on replica b.
    let on_a = Client::login(&a.addr, "alice", "user-pass-1");
    let on_b = Client { addr: b.addr.clone(), cookie: on_a.cookie.clone(), csrf: on_a.csrf.clone() };
    let r = on_b.send("POST", "/api/detect?prompt=a%20cat", &chelsea());
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["result_id"].as_str().unwrap().to_string();
    let fb = on_a.send("POST", "/api/feedback", json!({"result_id": id, "rating": 4, "comment": "via a"}).to_string().as_bytes());
    assert_eq!(fb.status, 201, "{}", fb.text());
    let admin_b = Client::login(&b.addr, "root", "admin-pass-1");
    let rows = admin_b.send("GET", "/api/feedback", b"").json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["comment"], "via a");
    assert_eq!(rows[0]["result_id"], id.as_str());
    // spin:key-value is shared too.
    assert_eq!(on_a.send("PUT", "/api/preferences", br#"{"lang": "zh"}"#).status, 200);
    assert_eq!(on_b.send("GET", "/api/preferences", b"").json()["lang"], "zh");
}
