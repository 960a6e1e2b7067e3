//! One audit decision: which check ran on what, what it found, what the
//! policy made of it, and how long it took. Every decision is logged.

use serde::Serialize;

use crate::plugins::Action;

/// How a decision came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The auditor ran and answered.
    Checked,
    /// The same content was checked under the same policy and plugin before.
    Remembered,
    /// The auditor errored or timed out; the policy let the request through.
    FailedOpen,
    /// The auditor errored or timed out; the policy stopped the request.
    FailedClosed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Checked => "checked",
            Outcome::Remembered => "remembered",
            Outcome::FailedOpen => "failed-open",
            Outcome::FailedClosed => "failed-closed",
        }
    }
}

/// The verdict's name in logs, metrics and the API.
pub fn action_name(a: Action) -> &'static str {
    match a {
        Action::Allow => "allow",
        Action::Review => "review",
        Action::Block => "block",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    /// `input.text`, `input.image`, `output.text` or `output.image`.
    pub check: String,
    #[serde(serialize_with = "ser_action")]
    pub action: Action,
    pub reasons: Vec<String>,
    pub scores: Vec<(String, f32)>,
    pub outcome: Outcome,
    /// Why the auditor gave no verdict (failed outcomes only).
    pub error: Option<String>,
    pub latency_ms: f64,
    pub policy_version: String,
}

fn ser_action<S: serde::Serializer>(a: &Action, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(action_name(*a))
}

impl Decision {
    /// Whether this decision stops the request.
    pub fn blocks(&self) -> bool {
        self.action == Action::Block
    }

    /// What the person who sent the request reads when this decision blocks it.
    pub fn message(&self) -> String {
        match self.outcome {
            Outcome::FailedClosed => format!(
                "blocked: the {} check could not run ({}) and the content policy (version {}) stops requests when that happens; try again later",
                self.check,
                self.error.as_deref().unwrap_or("unknown error"),
                self.policy_version
            ),
            _ => format!(
                "blocked by the content policy (version {}): the {} check found {}",
                self.policy_version,
                self.check,
                if self.reasons.is_empty() { "content it does not allow".to_string() } else { self.reasons.join(", ") }
            ),
        }
    }
}
