//! minimal-auditor: a glint auditor (world `auditor-host`). glint calls
//! `check-input` with every prompt (and image) before the model sees it, and
//! `check-output` with every result before the user does.

wit_bindgen::generate!({ world: "auditor-host", path: "wit", generate_all });

use exports::glint::plugins::auditor::{AuditInput, AuditOutput, Guest};
use glint::plugins::types::{Action, Error, Verdict};

/// Words that block a prompt outright (lower case, matched as whole words).
const BLOCKED_WORDS: &[&str] = &["fuck", "fucking", "shit"];

struct Component;

impl Guest for Component {
    fn check_input(input: AuditInput) -> Result<Verdict, Error> {
        let lower = input.prompt.to_lowercase();
        let blocked = lower.split(|c: char| !c.is_alphanumeric()).any(|w| BLOCKED_WORDS.contains(&w));
        Ok(if blocked {
            Verdict { action: Action::Block, reasons: vec!["text.blocked-word".into()], scores: vec![] }
        } else {
            allow()
        })
    }

    fn check_output(_output: AuditOutput) -> Result<Verdict, Error> {
        Ok(allow())
    }
}

fn allow() -> Verdict {
    Verdict { action: Action::Allow, reasons: vec![], scores: vec![] }
}

export!(Component);
