//! Accounts: name, role, argon2id hash, disabled flag.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, StoreResult, now_ms};

/// An account as stored (the hash never leaves the auth module's checks).
#[derive(Clone, Debug)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_ms: i64,
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

fn user(row: &AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_ms: row.try_get("created_ms")?,
    })
}

impl Store {
    /// Adds an account; `Conflict` when the name is taken.
    pub async fn add_user(&self, u: NewUser<'_>) -> StoreResult<UserRow> {
        let created_ms = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO users (name, role, password_hash, disabled, created_ms) VALUES ($1, $2, $3, 0, $4)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(u.name)
        .bind(u.role)
        .bind(u.password_hash)
        .bind(created_ms)
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("user {} exists already", u.name)));
        }
        Ok(UserRow {
            name: u.name.into(),
            role: u.role.into(),
            password_hash: u.password_hash.into(),
            disabled: false,
            created_ms,
        })
    }

    pub async fn user(&self, name: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE name = $1").bind(name).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(user).transpose()?)
    }

    /// Every account, by name.
    pub async fn users(&self) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY name").fetch_all(self.pool()).await?;
        Ok(rows.iter().map(user).collect::<Result<_, _>>()?)
    }

    /// How many enabled admins there are (the last one cannot be demoted).
    pub async fn admin_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Changes what is given; `NotFound` for an unknown name.
    pub async fn update_user(
        &self,
        name: &str,
        role: Option<&str>,
        disabled: Option<bool>,
        password_hash: Option<&str>,
    ) -> StoreResult<UserRow> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE users SET role = COALESCE($2, role), disabled = COALESCE($3, disabled),
             password_hash = COALESCE($4, password_hash) WHERE name = $1",
        )
        .bind(name)
        .bind(role)
        .bind(disabled.map(i64::from))
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no user {name}")));
        }
        if disabled == Some(true) || password_hash.is_some() {
            // A disabled account or a new password ends the account's sessions.
            sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        }
        let row = sqlx::query("SELECT * FROM users WHERE name = $1").bind(name).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(user(&row)?)
    }
}
