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
        cached BIGINT NOT NULL,
        experiment TEXT NOT NULL DEFAULT '')",
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
        comment TEXT NOT NULL,
        experiment TEXT NOT NULL DEFAULT '')",
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
        latency_us BIGINT NOT NULL,
        experiment TEXT NOT NULL DEFAULT '')",
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
    // A/B experiments: each subject's first arm per experiment version
    // (sticky), the live state an admin set, and one row per request served.
    "CREATE TABLE IF NOT EXISTS experiment_assignments (
        experiment TEXT NOT NULL,
        version BIGINT NOT NULL,
        subject TEXT NOT NULL,
        arm TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        PRIMARY KEY (experiment, version, subject))",
    "CREATE TABLE IF NOT EXISTS experiment_state (
        experiment TEXT PRIMARY KEY,
        version BIGINT NOT NULL,
        state TEXT NOT NULL,
        updated_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS experiment_events (
        id TEXT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        experiment TEXT NOT NULL,
        version BIGINT NOT NULL,
        arm TEXT NOT NULL,
        subject TEXT NOT NULL,
        ok BIGINT NOT NULL,
        latency_us BIGINT NOT NULL,
        result_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS experiment_events_by_experiment ON experiment_events (experiment, version, time_ms)",
    "CREATE INDEX IF NOT EXISTS experiment_events_by_result ON experiment_events (result_id)",
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
    tx.commit().await?;
    // Columns added after a table first shipped: databases made before them get them here.
    for (table, column) in [("results", "experiment"), ("feedback", "experiment"), ("audit_log", "experiment")] {
        add_text_column(store, table, column).await?;
    }
    Ok(())
}

/// Adds `column TEXT NOT NULL DEFAULT ''` to `table` unless it is there
/// (sqlite has no `ADD COLUMN IF NOT EXISTS`; asking for the column is portable).
async fn add_text_column(store: &Store, table: &str, column: &str) -> Result<(), sqlx::Error> {
    let probe = format!("SELECT {column} FROM {table} LIMIT 0");
    if store.pool().execute(probe.as_str()).await.is_ok() {
        return Ok(());
    }
    let alter = format!("ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''");
    match store.pool().execute(alter.as_str()).await {
        Ok(_) => Ok(()),
        // Another replica added it meanwhile.
        Err(_) if store.pool().execute(probe.as_str()).await.is_ok() => Ok(()),
        Err(e) => Err(e),
    }
}
