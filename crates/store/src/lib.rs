//! glint's store: accounts, sessions, detection history, feedback, the audit log and A/B experiments in one
//! database, sqlite (WAL, the default) or PostgreSQL. Both run the very same
//! queries through sqlx's `Any` driver (and `spin:key-value` keeps its stores here) (`$n` placeholders, portable types:
//! TEXT, BIGINT), so several replicas can share one PostgreSQL.

mod audit_log;
mod experiments;
mod feedback;
mod history;
mod kv;
mod live_events;
mod result_details;
mod schema;
mod sessions;
mod users;

use std::path::Path;

use anyhow::Context;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

pub use audit_log::{AuditContext, AuditFilter, AuditRow};
pub use experiments::{ExperimentEvent, ExperimentRating, NewExperimentEvent};
pub use feedback::{FeedbackFilter, FeedbackRow, NewFeedback};
pub use history::{NewResult, ResultRow};
pub use live_events::LiveEvent;
pub use result_details::ResultDetails;
pub use sessions::SessionRow;
pub use users::{NewUser, UserRow};

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to glint's database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A store failure; `Conflict` and `NotFound` are the caller's fault, the
/// rest is the database's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl Store {
    /// Opens (creating when needed) the database at `url`: `postgres://…`, or
    /// `sqlite://path` / a plain path, relative to `base`.
    pub async fn open(url: &str, base: &Path) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalize_url(url, base)?;
        let sqlite = backend == Backend::Sqlite;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Writers wait for each other instead of failing at once.
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        // In WAL mode, NORMAL syncs at checkpoints rather than at
                        // every commit: a commit survives the process being killed
                        // (the kill loop proves it), and only a power loss or an OS
                        // crash may roll back the last few. FULL cost ~0.5 ms per
                        // commit here, a third of a cached detection.
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
        if sqlite {
            pool.execute("PRAGMA journal_mode = WAL").await.context("switching sqlite to WAL")?;
        }
        let store = Store { pool, backend };
        schema::migrate(&store).await.context("creating the database tables")?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// `sqlite://…` (or a plain path) made absolute against `base`, `postgres://…` as given.
fn normalize_url(url: &str, base: &Path) -> anyhow::Result<(String, Backend)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_string(), Backend::Postgres));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let (path, _) = path.split_once('?').unwrap_or((path, ""));
    if path.is_empty() || url.contains("://") && !url.starts_with("sqlite://") {
        anyhow::bail!("database {}: give a file path, sqlite://path or postgres://user@host/db", redact_url(url));
    }
    let path = base.join(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok((format!("sqlite://{}?mode=rwc", path.display()), Backend::Sqlite))
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

pub use glint_common::clock::{now_ms, random_id};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let base = std::env::temp_dir();
        let (u, b) = normalize_url("sqlite://x/glint.db", &base).unwrap();
        assert_eq!(b, Backend::Sqlite);
        assert!(u.ends_with("x/glint.db?mode=rwc") && u.starts_with("sqlite:///"), "{u}");
        assert_eq!(normalize_url("postgres://a@b/c", &base).unwrap().1, Backend::Postgres);
        assert!(normalize_url("mysql://x", &base).is_err());
        assert_eq!(redact_url("postgres://glint:hunter2@db/glint"), "postgres://glint:***@db/glint");
    }
}
