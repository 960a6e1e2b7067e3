//! The tables, created when missing. Types and statements are the subset
//! sqlite and PostgreSQL share.

use sqlx::Executor;

use super::{Backend, Store};

const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled BIGINT NOT NULL,
        created_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (
        token_sha256 TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS results (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        user_name TEXT NOT NULL,
        session_id TEXT NOT NULL,
        image_sha256 TEXT NOT NULL,
        prompt TEXT NOT NULL,
        detections TEXT NOT NULL,
        model_version TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        cached BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS results_by_session ON results (session_id, time_ms)",
    "CREATE TABLE IF NOT EXISTS feedback (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        user_name TEXT NOT NULL,
        session_id TEXT NOT NULL,
        result_id TEXT NOT NULL,
        image_sha256 TEXT NOT NULL,
        prompt TEXT NOT NULL,
        detections TEXT NOT NULL,
        model_version TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        rating BIGINT NOT NULL,
        comment TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS feedback_by_time ON feedback (time_ms)",
    "CREATE TABLE IF NOT EXISTS audit_log (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        user_name TEXT NOT NULL,
        session_id TEXT NOT NULL,
        route TEXT NOT NULL,
        check_name TEXT NOT NULL,
        verdict TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reasons TEXT NOT NULL,
        scores TEXT NOT NULL,
        error TEXT NOT NULL,
        policy_version TEXT NOT NULL,
        latency_us BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (time_ms)",
    "CREATE TABLE IF NOT EXISTS result_details (
        result_id TEXT PRIMARY KEY,
        plugin_sha256 TEXT NOT NULL,
        width BIGINT NOT NULL,
        height BIGINT NOT NULL,
        phrases TEXT NOT NULL,
        audit TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS images (
        sha256 TEXT PRIMARY KEY,
        bytes BYTEA NOT NULL,
        created_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS live_events (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        old_sha256 TEXT NOT NULL,
        new_sha256 TEXT NOT NULL,
        outcome TEXT NOT NULL,
        step TEXT NOT NULL,
        reason TEXT NOT NULL,
        duration_ms BIGINT NOT NULL,
        steps TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS live_events_by_time ON live_events (time_ms)",
    // BYTEA: PostgreSQL's bytes; sqlite stores a blob as it is in any column.
    "CREATE TABLE IF NOT EXISTS kv (
        store TEXT NOT NULL,
        key TEXT NOT NULL,
        value BYTEA NOT NULL,
        PRIMARY KEY (store, key))",
];

pub async fn migrate(store: &Store) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    if store.backend() == Backend::Postgres {
        // Replicas starting together must not race on CREATE TABLE.
        tx.execute("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(7474)) AS l").await?;
    }
    for statement in TABLES {
        tx.execute(*statement).await?;
    }
    tx.commit().await
}
