//! The audit plugin (plugins/audit.wasm) through the host: real component,
//! real word lists of model version audit-v1 read through glint:plugins/models.

use glint::nn::BackendKind::Openvino;
use glint::plugins::{Action, Bbox, Detection, PluginWorld, Verdict};
use glint_tests::glint;

fn input(prompt: &str) -> Verdict {
    glint(Openvino).plugins.audit_input("audit", prompt, None).unwrap_or_else(|e| panic!("{prompt}: {e}"))
}

fn score(v: &Verdict, name: &str) -> f32 {
    v.scores.iter().find(|(n, _)| n == name).map_or(f32::NAN, |(_, s)| *s)
}

#[test]
fn the_audit_plugin_is_an_auditor() {
    let p = glint(Openvino).plugins.get("audit").expect("plugins/audit.wasm is loaded");
    assert_eq!(p.info.world, PluginWorld::AuditPlugin);
    let e = glint(Openvino).plugins.audit_input("detect", "a cat", None).unwrap_err();
    assert!(e.to_string().contains("not an auditor"), "{e}");
}

#[test]
fn ordinary_prompts_are_allowed() {
    for prompt in ["a cat . a coffee mug", "Scunthorpe United", "a class of glasses", "一只猫 . 一个杯子"] {
        let v = input(prompt);
        assert!(matches!(v.action, Action::Allow), "{prompt}: {v:?}");
        assert!(v.reasons.is_empty(), "{prompt}: {v:?}");
        assert_eq!(score(&v, "text.profanity"), 0.0);
    }
}

#[test]
fn profanity_is_blocked_in_english_and_chinese() {
    for prompt in ["a stupid fuck", "ｆｕｃｋ", "sh1t on a table", "你这个傻逼", "幹你娘"] {
        let v = input(prompt);
        assert!(matches!(v.action, Action::Block), "{prompt}: {v:?}");
        assert!(v.reasons.iter().any(|r| r.starts_with("text.profanity.")), "{prompt}: {v:?}");
        assert!(score(&v, "text.profanity") >= 0.67, "{prompt}: {v:?}");
    }
}

#[test]
fn personal_data_goes_to_review() {
    let v = input("a cat, mail alice@example.com or call 13812345678");
    assert!(matches!(v.action, Action::Review), "{v:?}");
    assert_eq!(v.reasons, ["text.pii.email", "text.pii.phone"]);
    assert_eq!(score(&v, "text.pii"), 1.0);
}

#[test]
fn outputs_are_checked_by_phrase_and_label() {
    let det = |phrase: &str, label: &str| Detection {
        phrase: phrase.into(),
        label: label.into(),
        score: 0.9,
        box_: Bbox { x0: 0.0, y0: 0.0, x1: 1.0, y1: 1.0 },
    };
    let g = glint(Openvino);
    let clean = g.plugins.audit_output("audit", &[det("a kitty", "cat")], None).unwrap();
    assert!(matches!(clean.action, Action::Allow), "{clean:?}");
    let bad = g.plugins.audit_output("audit", &[det("a cat", "cat"), det("fucking dog", "dog")], None).unwrap();
    assert!(matches!(bad.action, Action::Block), "{bad:?}");
}
