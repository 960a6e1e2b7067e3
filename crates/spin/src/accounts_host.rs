//! `glint:plugins/accounts` for app components: sign-in, sign-out, and
//! account management (admins only).

use super::app_bindings::glint::plugins::accounts::{
    self, Account, AccountChange, Principal as WitPrincipal, Role as WitRole, Session,
};
use super::app_bindings::glint::plugins::platform::{Failure, PlatformError};
use super::app_state::{AppState, denied};
use glint_auth::{Locked, Role, hash_password, validate_password, validate_user_name};
use glint_store::{NewUser, StoreError, UserRow};

impl accounts::Host for AppState {
    async fn whoami(&mut self) -> WitPrincipal {
        let p = &self.cx.principal;
        WitPrincipal { role: to_wit_role(p.role), user: p.user.clone(), csrf: p.csrf.clone() }
    }

    async fn login(&mut self, user: String, password: String) -> Result<Session, PlatformError> {
        let wrong = || denied(Failure::Unauthenticated, "wrong user name or password, or the account is disabled");
        let throttle = self.cx.accounts.throttle.clone();
        let client = self.cx.client;
        if let Err(Locked(wait)) = throttle.check(&user, client) {
            let seconds = wait.as_secs().max(1);
            tracing::warn!(target: "glint::audit", "sign-in refused: too many failed attempts for the account or from {client}");
            return Err(PlatformError {
                failure: Failure::TooManyAttempts,
                message: format!("too many failed sign-ins: try again in {seconds} s"),
                retry_after_s: seconds.min(u64::from(u32::MAX)) as u32,
            });
        }
        if validate_user_name(&user).is_err() || password.len() > 256 {
            throttle.failed(&user, client);
            return Err(wrong());
        }
        let Some(ok) = self.cx.accounts.login(&user, &password).await.map_err(store_error)? else {
            throttle.failed(&user, client);
            return Err(wrong());
        };
        throttle.succeeded(&ok.user);
        // A new session id at every sign-in: the session the request came with (if any) ends.
        if let Some(old) = self.cx.session_token.take() {
            self.cx.accounts.logout(&old).await.map_err(store_error)?;
        }
        tracing::info!(target: "glint::audit", user = %ok.user, "signed in");
        Ok(Session {
            token: ok.token,
            csrf: ok.csrf,
            user: ok.user,
            role: to_wit_role(ok.role),
            max_age_s: ok.max_age.as_secs().min(u64::from(u32::MAX)) as u32,
        })
    }

    async fn logout(&mut self) -> Result<(), PlatformError> {
        if let Some(token) = &self.cx.session_token {
            self.cx.accounts.logout(token).await.map_err(store_error)?;
        }
        Ok(())
    }

    async fn list_users(&mut self) -> Result<Vec<Account>, PlatformError> {
        self.require(Role::Admin)?;
        let users = self.cx.accounts.store.users().await.map_err(store_error)?;
        Ok(users.iter().map(account).collect())
    }

    async fn add_user(&mut self, name: String, password: String, role: WitRole) -> Result<Account, PlatformError> {
        self.require(Role::Admin)?;
        validate_user_name(&name).map_err(invalid)?;
        validate_password(&password).map_err(invalid)?;
        let role = from_wit_role(role)?;
        let hash = hash(password).await?;
        let row = NewUser { name: &name, role: role.as_str(), password_hash: &hash };
        let added = self.cx.accounts.store.add_user(row).await.map_err(store_error)?;
        tracing::info!(target: "glint::audit", by = ?self.cx.principal.user, user = %name, %role, "account added");
        Ok(account(&added))
    }

    async fn change_user(&mut self, name: String, change: AccountChange) -> Result<Account, PlatformError> {
        self.require(Role::Admin)?;
        let role = change.role.map(from_wit_role).transpose()?;
        let store = &self.cx.accounts.store;
        let current = store.user(&name).await.map_err(store_error)?;
        let current = current.ok_or_else(|| denied(Failure::NotFound, &format!("no user {name}")))?;
        let loses_admin = current.role == "admin"
            && !current.disabled
            && (role.is_some_and(|r| r != Role::Admin) || change.disabled == Some(true));
        if loses_admin && store.admin_count().await.map_err(store_error)? <= 1 {
            return Err(denied(Failure::Conflict, "this is the last enabled admin: add another admin first"));
        }
        let hash = match change.password {
            Some(p) => {
                validate_password(&p).map_err(invalid)?;
                Some(hash(p).await?)
            }
            None => None,
        };
        let role = role.map(Role::as_str);
        let row = store.update_user(&name, role, change.disabled, hash.as_deref()).await.map_err(store_error)?;
        tracing::info!(target: "glint::audit", by = ?self.cx.principal.user, user = %name, "account changed");
        Ok(account(&row))
    }
}

async fn hash(password: String) -> Result<String, PlatformError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| denied(Failure::Internal, &format!("hashing failed: {e}")))?
        .map_err(|e| denied(Failure::Internal, &format!("hashing failed: {e}")))
}

fn account(u: &UserRow) -> Account {
    let role = u.role.parse().map_or(WitRole::User, to_wit_role);
    Account { name: u.name.clone(), role, disabled: u.disabled, created_ms: u.created_ms }
}

fn to_wit_role(r: Role) -> WitRole {
    match r {
        Role::Guest => WitRole::Guest,
        Role::User => WitRole::User,
        Role::Admin => WitRole::Admin,
    }
}

fn from_wit_role(r: WitRole) -> Result<Role, PlatformError> {
    match r {
        WitRole::User => Ok(Role::User),
        WitRole::Admin => Ok(Role::Admin),
        WitRole::Guest => Err(invalid("accounts are user or admin; guests have no account".into())),
    }
}

fn invalid(message: String) -> PlatformError {
    denied(Failure::InvalidInput, &message)
}

/// A store failure as the app sees it; database details go to the log only.
pub(crate) fn store_error(e: StoreError) -> PlatformError {
    match e {
        StoreError::Conflict(m) => denied(Failure::Conflict, &m),
        StoreError::NotFound(m) => denied(Failure::NotFound, &m),
        StoreError::Database(e) => {
            tracing::error!("database: {e}");
            denied(Failure::Unavailable, "the database is unavailable; try again")
        }
    }
}
