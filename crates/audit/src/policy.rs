//! The audit policy, `[application.tool.glint.audit]` in spin.toml: which auditor plugin
//! runs, the policy's version (recorded with every decision), and per check
//! (`text`, `image`) whether it runs on input and output, its thresholds, its
//! timeout and whether a failure lets the request through (`open`) or stops
//! it (`closed`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use glint_plugins::Action;

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

/// `[application.tool.glint.audit]`.
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
    #[serde(default)]
    pub gateway: GatewayPolicy,
}

/// A verdict the policy itself gives, where no check can run.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PolicyAction {
    Allow,
    Review,
    Block,
}

impl From<PolicyAction> for Action {
    fn from(a: PolicyAction) -> Action {
        match a {
            PolicyAction::Allow => Action::Allow,
            PolicyAction::Review => Action::Review,
            PolicyAction::Block => Action::Block,
        }
    }
}

/// What an output's reference to a resource on another host becomes.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExternalResources {
    /// The reference is pointed at nothing (`about:blank`); the decision is a review.
    #[default]
    Rewrite,
    /// The whole output is blocked.
    Block,
}

/// `[application.tool.glint.audit.gateway]`: what `glint gateway` does with
/// text that is still streaming, files no check can read, and resources an
/// output makes the browser load.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayPolicy {
    /// Characters of a streamed text held back besides its unfinished last
    /// word, so that a blocked phrase of up to this many characters is
    /// audited whole before any of it is shown.
    pub hold_chars: usize,
    /// Files no check can read (video, audio, PDF, SVG, HTML, archives):
    /// allow, review or block. Unset: block when the image check fails
    /// closed, allow (logged) when it fails open.
    pub unreadable_files: Option<PolicyAction>,
    /// References to resources on other hosts: `rewrite` or `block`.
    pub external_resources: ExternalResources,
    /// Hosts (`host` or `host:port`) whose `http://` resources are fetched
    /// and audited like the app's own files instead.
    pub fetch_hosts: Vec<String>,
}

impl Default for GatewayPolicy {
    fn default() -> Self {
        GatewayPolicy { hold_chars: 16, unreadable_files: None, external_resources: ExternalResources::Rewrite, fetch_hosts: Vec::new() }
    }
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
        self.image.validate("image")?;
        let g = &self.gateway;
        if g.hold_chars > 1024 {
            return Err(format!("audit.gateway.hold_chars must be at most 1024, not {}", g.hold_chars));
        }
        if let Some(h) = g.fetch_hosts.iter().find(|h| h.is_empty() || h.contains(['/', '@', ' ']) || h.contains("://")) {
            return Err(format!("audit.gateway.fetch_hosts: {h:?} must be a host or host:port, without scheme or path"));
        }
        Ok(())
    }

    /// The verdict for a file no check can read.
    pub fn unreadable_files(&self) -> Action {
        match (self.gateway.unreadable_files, self.image.on_error) {
            (Some(a), _) => a.into(),
            (None, FailMode::Closed) => Action::Block,
            (None, FailMode::Open) => Action::Allow,
        }
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
        let e = policy("version = \"1\"\n[gateway]\nfetch_hosts = [\"http://cdn\"]").unwrap_err();
        assert!(e.contains("fetch_hosts"), "{e}");
        let e = policy("version = \"1\"\n[gateway]\nexternal_resources = \"allow\"").unwrap_err();
        assert!(e.contains("allow") || e.contains("variant"), "{e}");
    }

    #[test]
    fn unreadable_files_follow_the_image_fail_mode_unless_set() {
        assert_eq!(policy("version = \"1\"").unwrap().unreadable_files(), Action::Block);
        assert_eq!(policy("version = \"1\"\n[image]\non_error = \"open\"").unwrap().unreadable_files(), Action::Allow);
        let p = policy("version = \"1\"\n[gateway]\nunreadable_files = \"review\"\nhold_chars = 4").unwrap();
        assert_eq!((p.unreadable_files(), p.gateway.hold_chars), (Action::Review, 4));
        assert_eq!(p.gateway.external_resources, ExternalResources::Rewrite);
    }
}
