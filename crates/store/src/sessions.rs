//! Login sessions. Only the sha256 of a session token is stored; the token
//! itself lives in the client's HttpOnly cookie.

use sqlx::Row;

use super::{Store, StoreResult, now_ms};

/// A live session and its account.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// Public session id (recorded with feedback; not a credential).
    pub id: String,
    pub user_name: String,
    pub role: String,
    /// The CSRF token state-changing requests must echo.
    pub csrf: String,
    pub expires_ms: i64,
}

impl Store {
    pub async fn add_session(
        &self,
        token_sha256: &str,
        id: &str,
        user_name: &str,
        csrf: &str,
        expires_ms: i64,
    ) -> StoreResult<()> {
        let now = now_ms();
        // Forget expired sessions while at it.
        sqlx::query("DELETE FROM sessions WHERE expires_ms < $1").bind(now).execute(self.pool()).await?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, id, user_name, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_sha256)
        .bind(id)
        .bind(user_name)
        .bind(csrf)
        .bind(now)
        .bind(expires_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The unexpired session of an enabled account with this token hash.
    pub async fn session(&self, token_sha256: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT s.id, s.user_name, s.csrf, s.expires_ms, u.role FROM sessions s JOIN users u ON u.name = s.user_name
             WHERE s.token_sha256 = $1 AND s.expires_ms > $2 AND u.disabled = 0",
        )
        .bind(token_sha256)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionRow {
            id: row.try_get("id")?,
            user_name: row.try_get("user_name")?,
            role: row.try_get("role")?,
            csrf: row.try_get("csrf")?,
            expires_ms: row.try_get("expires_ms")?,
        }))
    }

    pub async fn delete_session(&self, token_sha256: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1").bind(token_sha256).execute(self.pool()).await?;
        Ok(())
    }
}
