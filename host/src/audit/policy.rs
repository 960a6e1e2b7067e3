//! The audit policy, `[tool.glint.audit]` in spin.toml: which auditor plugin
//! runs, the policy's version (recorded with every decision), and per check
//! (`text`, `image`) whether it runs on input and output, its thresholds, its
//! timeout and whether a failure lets the request through (`open`) or stops
//! it (`closed`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::plugins::Action;

/// What happens when a check errors or times out.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// The request goes on as if the check allowed it (logged "failed open").
    Open,
    /// The request is stopped as if the check blocked it (logged "failed closed").
    Closed,
}

/// One check's policy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckPolicy {
    /// Runs on what goes in (prompt, uploaded image).
    #[serde(default = "yes")]
    pub input: bool,
    /// Runs on what comes out (phrases and labels, the annotated image).
    #[serde(default = "yes")]
    pub output: bool,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "closed")]
    pub on_error: FailMode,
    /// Score name → review when the score is at or above this.
    #[serde(default)]
    pub review: BTreeMap<String, f32>,
    /// Score name → block when the score is at or above this.
    #[serde(default)]
    pub block: BTreeMap<String, f32>,
}

fn yes() -> bool {
    true
}
fn default_timeout_ms() -> u64 {
    5000
}
fn closed() -> FailMode {
    FailMode::Closed
}

impl Default for CheckPolicy {
    fn default() -> Self {
        CheckPolicy {
            input: true,
            output: true,
            timeout_ms: default_timeout_ms(),
            on_error: FailMode::Closed,
            review: BTreeMap::new(),
            block: BTreeMap::new(),
        }
    }
}

impl CheckPolicy {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The action for a verdict's `scores`. When the policy names thresholds
    /// for none of them, the plugin's `suggested` action stands.
    pub fn action(&self, suggested: Action, scores: &[(String, f32)]) -> Action {
        let named: Vec<&(String, f32)> =
            scores.iter().filter(|(n, _)| self.review.contains_key(n) || self.block.contains_key(n)).collect();
        if named.is_empty() {
            return suggested;
        }
        let at_least = |map: &BTreeMap<String, f32>, n: &str, s: f32| map.get(n).is_some_and(|t| s >= *t);
        if named.iter().any(|(n, s)| at_least(&self.block, n, *s)) {
            Action::Block
        } else if named.iter().any(|(n, s)| at_least(&self.review, n, *s)) {
            Action::Review
        } else {
            Action::Allow
        }
    }

    fn validate(&self, check: &str) -> Result<(), String> {
        if self.timeout_ms == 0 || self.timeout_ms > 600_000 {
            return Err(format!("audit.{check}.timeout_ms must be 1 to 600000, not {}", self.timeout_ms));
        }
        for (kind, map) in [("review", &self.review), ("block", &self.block)] {
            for (name, t) in map {
                if !(0.0..=1.0).contains(t) {
                    return Err(format!("audit.{check}.{kind}.\"{name}\" must be in [0, 1], not {t}"));
                }
            }
        }
        for (name, review) in &self.review {
            if let Some(block) = self.block.get(name).filter(|b| *b < review) {
                return Err(format!(
                    "audit.{check}: \"{name}\" blocks at {block} but reviews only from {review}: review must not be above block"
                ));
            }
        }
        Ok(())
    }
}

/// `[tool.glint.audit]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditPolicy {
    /// The auditor plugin (a file stem in plugins/).
    #[serde(default = "default_plugin")]
    pub plugin: String,
    /// Recorded with every decision, so a log row says which rules decided it.
    pub version: String,
    #[serde(default)]
    pub text: CheckPolicy,
    #[serde(default)]
    pub image: CheckPolicy,
    /// Decisions remembered by content (0 turns the memo off).
    #[serde(default = "default_memo")]
    pub memo_entries: usize,
}

fn default_plugin() -> String {
    "audit".into()
}
fn default_memo() -> usize {
    1024
}

impl AuditPolicy {
    /// Checks values serde cannot: thresholds in [0, 1], review ≤ block,
    /// sane timeouts, a non-empty version.
    pub fn validate(&self) -> Result<(), String> {
        if self.version.trim().is_empty() {
            return Err("audit.version must not be empty: it is recorded with every decision".into());
        }
        self.text.validate("text")?;
        self.image.validate("image")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(toml_text: &str) -> Result<AuditPolicy, String> {
        let p: AuditPolicy = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        p.validate().map(|()| p)
    }

    #[test]
    fn thresholds_decide_when_named() {
        let p = policy("version = \"t1\"\n[image]\nreview = { \"image.nsfw\" = 0.2 }\nblock = { \"image.nsfw\" = 0.8 }").unwrap();
        let s = |v: f32| vec![("image.nsfw".to_string(), v)];
        assert_eq!(p.image.action(Action::Block, &s(0.1)), Action::Allow);
        assert_eq!(p.image.action(Action::Allow, &s(0.2)), Action::Review);
        assert_eq!(p.image.action(Action::Allow, &s(0.85)), Action::Block);
        // Scores the policy does not name: the plugin's suggestion stands.
        assert_eq!(p.text.action(Action::Review, &[("text.pii".into(), 1.0)]), Action::Review);
        assert_eq!(p.image.on_error, FailMode::Closed);
    }

    #[test]
    fn bad_policies_say_what_is_wrong() {
        let e = policy("version = \"\"").unwrap_err();
        assert!(e.contains("version"), "{e}");
        let e = policy("version = \"1\"\n[text]\nblock = { \"text.profanity\" = 1.5 }").unwrap_err();
        assert!(e.contains("text.profanity") && e.contains("[0, 1]"), "{e}");
        let e = policy("version = \"1\"\n[text]\nreview = { x = 0.9 }\nblock = { x = 0.5 }").unwrap_err();
        assert!(e.contains("review must not be above block"), "{e}");
        let e = policy("version = \"1\"\n[text]\non_error = \"sideways\"").unwrap_err();
        assert!(e.contains("sideways") || e.contains("variant"), "{e}");
        let e = policy("version = \"1\"\n[text]\ntimeout_ms = 0").unwrap_err();
        assert!(e.contains("timeout_ms"), "{e}");
        assert!(policy("version = \"1\"\ncolour = 1").is_err());
    }
}
