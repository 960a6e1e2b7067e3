//! One audit decision: which check ran on what, what it found, what the
//! policy made of it, and how long it took. Every decision is logged.

use serde::Serialize;

use glint_plugins::Action;

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
    /// The content is of a kind no check can read (video, audio, PDF, SVG,
    /// an archive, a resource on another host); the policy decided.
    NotAuditable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Checked => "checked",
            Outcome::Remembered => "remembered",
            Outcome::FailedOpen => "failed-open",
            Outcome::FailedClosed => "failed-closed",
            Outcome::NotAuditable => "not-auditable",
        }
    }

    /// Every outcome's name, as the audit log's filter accepts them.
    pub const NAMES: [&'static str; 5] = ["checked", "remembered", "failed-open", "failed-closed", "not-auditable"];

    /// Which of two outcomes a summary of both reports: a failure or a
    /// policy-only decision over a check, a check over a remembered verdict.
    fn rank(self) -> u8 {
        match self {
            Outcome::Remembered => 0,
            Outcome::Checked => 1,
            Outcome::NotAuditable => 2,
            Outcome::FailedOpen => 3,
            Outcome::FailedClosed => 4,
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

/// Allow < review < block.
fn severity(a: Action) -> u8 {
    match a {
        Action::Allow => 0,
        Action::Review => 1,
        Action::Block => 2,
    }
}

fn ser_action<S: serde::Serializer>(a: &Action, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(action_name(*a))
}

impl Decision {
    /// One decision per check summarising `decisions` (the pieces of a
    /// streamed answer), in the order the checks first appear: the strictest
    /// verdict, every reason once, each score's highest value, the summed
    /// latency, the first error.
    pub fn summarise(decisions: Vec<Decision>) -> Vec<Decision> {
        let mut out: Vec<Decision> = Vec::new();
        for d in decisions {
            let Some(sum) = out.iter_mut().find(|s| s.check == d.check) else {
                out.push(d);
                continue;
            };
            if severity(d.action) > severity(sum.action) {
                sum.action = d.action;
            }
            if d.outcome.rank() > sum.outcome.rank() {
                sum.outcome = d.outcome;
            }
            for r in d.reasons {
                if !sum.reasons.contains(&r) {
                    sum.reasons.push(r);
                }
            }
            for (name, score) in d.scores {
                match sum.scores.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, s)) => *s = s.max(score),
                    None => sum.scores.push((name, score)),
                }
            }
            sum.error = sum.error.take().or(d.error);
            sum.latency_ms += d.latency_ms;
        }
        out
    }

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
