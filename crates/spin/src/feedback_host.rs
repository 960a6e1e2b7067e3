//! `glint:plugins/feedback` for app components: the session's history,
//! ratings of its results, and the admins' feedback browser.

use super::accounts_host::store_error;
use super::app_bindings::glint::plugins::feedback::{self, FeedbackFilter, FeedbackRow, HistoryEntry};
use super::app_bindings::glint::plugins::platform::{Failure, PlatformError};
use super::app_state::{AppState, denied};
use glint_auth::Role;
use glint_store::{self as store, NewFeedback};

/// Longest comment kept, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

impl feedback::Host for AppState {
    async fn history(&mut self, limit: u32) -> Result<Vec<HistoryEntry>, PlatformError> {
        self.require(Role::User)?;
        let Some(session) = self.cx.principal.session_id.clone() else { return Ok(vec![]) };
        let rows = self.cx.accounts.store.history(&session, i64::from(limit.clamp(1, 200))).await.map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|r| HistoryEntry {
                result_id: r.id,
                time_ms: r.time_ms,
                prompt: r.prompt,
                model_version: r.model_version,
                image_sha256: r.image_sha256,
                detections: r.detections,
                cached: r.cached,
                experiment: Some(r.experiment).filter(|e| !e.is_empty()),
            })
            .collect())
    }

    async fn submit(&mut self, result_id: String, rating: u8, comment: String) -> Result<FeedbackRow, PlatformError> {
        self.require(Role::User)?;
        if !(1..=5).contains(&rating) {
            return Err(denied(Failure::InvalidInput, "rating must be 1 to 5 stars"));
        }
        let chars = comment.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(denied(
                Failure::TooLarge,
                &format!("the comment has {chars} characters, the limit is {MAX_COMMENT_CHARS}"),
            ));
        }
        let p = &self.cx.principal;
        let (Some(user), Some(session)) = (p.user.clone(), p.session_id.clone()) else {
            return Err(denied(Failure::Unauthenticated, "sign in to give feedback"));
        };
        let store = &self.cx.accounts.store;
        let result = store.result(&result_id).await.map_err(store_error)?;
        // Users rate results of their own account (admins any).
        let admin = p.role == Role::Admin;
        let result = result.filter(|r| r.user_name == user || admin).ok_or_else(|| {
            denied(Failure::NotFound, "no such result in your history (run a detection while signed in first)")
        })?;
        let row = NewFeedback { user_name: &user, session_id: &session, result: &result, rating, comment: &comment };
        let row = store.add_feedback(row).await.map_err(store_error)?;
        if let Some((experiment, arm)) = row.experiment.split_once('/') {
            let stars = row.rating.to_string();
            self.cx.glint.metrics.experiment_ratings.with_label_values(&[experiment, arm, stars.as_str()]).inc();
        }
        Ok(to_wit(row))
    }

    async fn browse(&mut self, filter: FeedbackFilter) -> Result<Vec<FeedbackRow>, PlatformError> {
        self.require(Role::Admin)?;
        let filter = store::FeedbackFilter {
            user: filter.user,
            model: filter.model,
            min_rating: filter.min_rating,
            max_rating: filter.max_rating,
            since_ms: filter.since_ms,
            until_ms: filter.until_ms,
            text: filter.text,
            limit: i64::from(filter.limit.clamp(1, 10_000)),
        };
        let rows = self.cx.accounts.store.feedback(&filter).await.map_err(store_error)?;
        Ok(rows.into_iter().map(to_wit).collect())
    }
}

fn to_wit(r: store::FeedbackRow) -> FeedbackRow {
    FeedbackRow {
        id: r.id,
        time_ms: r.time_ms,
        user: r.user_name,
        session_id: r.session_id,
        result_id: r.result_id,
        image_sha256: r.image_sha256,
        prompt: r.prompt,
        detections: r.detections,
        model_version: r.model_version,
        cache_key: r.cache_key,
        rating: r.rating,
        comment: r.comment,
        experiment: Some(r.experiment).filter(|e| !e.is_empty()),
    }
}
