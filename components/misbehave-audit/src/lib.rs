//! An auditor plugin that misbehaves on purpose, for the audit pipeline's
//! tests (tests/plugins/misbehave-audit.wasm). The text it checks — the
//! prompt on input, each detection's phrase on output — says what to do:
//! "audit-error" (returns an error), "audit-hang" (never returns),
//! "audit-block" (blocks with reason `test.block`); anything else is
//! allowed. Images are ignored. (Distinct from the misbehave detector's
//! words, so a failed-open check reaches a well-behaved detector.)

wit_bindgen::generate!({
    world: "auditor-host",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::auditor::{AuditInput, AuditOutput, Guest};
use glint::plugins::types::{Action, Error, ErrorCode, Verdict};

fn act(texts: &[&str]) -> Result<Verdict, Error> {
    let allow = Verdict { action: Action::Allow, reasons: vec![], scores: vec![("test.block".into(), 0.0)] };
    let mut verdict = allow;
    for text in texts {
        match *text {
            "audit-error" => return Err(Error { code: ErrorCode::Internal, message: "misbehave-audit: asked to fail".into() }),
            "audit-hang" => {
                let mut x: u64 = 1;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "audit-block" => {
                verdict = Verdict {
                    action: Action::Block,
                    reasons: vec!["test.block".into()],
                    scores: vec![("test.block".into(), 1.0)],
                }
            }
            _ => {}
        }
    }
    Ok(verdict)
}

struct Component;

impl Guest for Component {
    fn check_input(input: AuditInput) -> Result<Verdict, Error> {
        act(&[&input.prompt])
    }

    fn check_output(output: AuditOutput) -> Result<Verdict, Error> {
        let phrases: Vec<&str> = output.detections.iter().map(|d| d.phrase.as_str()).collect();
        act(&phrases)
    }
}

export!(Component);
