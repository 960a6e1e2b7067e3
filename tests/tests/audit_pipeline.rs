//! The audit in glint's own pipeline (`Glint::run_audited`): input checks
//! before the cache and the detector, output checks before the result is
//! returned, and what the policy does when an auditor errors or hangs.
//! Real components: the detect and audit plugins, and for faults the test
//! plugins misbehave (detector, `echo:TEXT`) and misbehave-audit (auditor).

use std::path::Path;

use glint::audit::{AuditPolicy, Decision, Outcome};
use glint::nn::BackendKind::Openvino;
use glint::plugins::Action;
use glint::{DetectInput, ErrorKind, Glint, GlintError};
use glint_tests::{config, home, sample};

/// The policy of the shipped spin.toml.
fn shipped_policy() -> AuditPolicy {
    let text = std::fs::read_to_string(home().join("spin.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    doc["application"]["tool"]["glint"]["audit"].clone().try_into().expect("spin.toml has a valid [application.tool.glint.audit]")
}

fn policy(text: &str) -> AuditPolicy {
    toml::from_str(text).unwrap()
}

/// A glint whose plugins folder holds `plugins` (real and test components).
fn glint_with(plugins: &[&str], detect: &str, policy: AuditPolicy) -> Glint {
    let dir = tempdir();
    for p in plugins {
        let from = ["plugins", "tests/plugins"].iter().map(|d| home().join(d).join(format!("{p}.wasm"))).find(|f| f.is_file());
        let from = from.unwrap_or_else(|| panic!("{p}.wasm is missing: run scripts/build-components.sh"));
        std::fs::copy(from, dir.join(format!("{p}.wasm"))).unwrap();
    }
    let mut c = config(Some(Openvino));
    c.plugins_dir = dir;
    c.detect_plugin = detect.into();
    c.audit = Some(policy);
    Glint::open(c).expect("glint opens")
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("glint-audit-{}-{}", std::process::id(), glint::store::random_id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How many times the detector ran (the inference histogram's count).
fn detector_calls(g: &Glint) -> u64 {
    let text = g.metrics.render();
    text.lines()
        .filter(|l| l.starts_with("glint_inference_duration_seconds_count"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn run(g: &Glint, image: &[u8], prompt: &str) -> (Result<glint::app::RunResult, GlintError>, Vec<Decision>) {
    g.run_audited(&DetectInput { image: image.to_vec(), prompt: prompt.into(), threshold: 0.3, model: None })
}

fn find<'a>(trail: &'a [Decision], check: &str) -> &'a Decision {
    trail.iter().find(|d| d.check == check).unwrap_or_else(|| panic!("no {check} decision in {trail:?}"))
}

#[test]
fn a_blocked_prompt_never_reaches_the_detector() {
    let g = glint_with(&["detect", "audit"], "detect", shipped_policy());
    let cat = sample("chelsea.png");
    for prompt in ["a fucking cat", "一只傻逼猫"] {
        let (result, trail) = run(&g, &cat, prompt);
        let e = result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Blocked, "{e}");
        assert!(e.message.contains("input.text") && e.message.contains("text.profanity"), "{e}");
        assert_eq!(trail.len(), 1, "stops at the first block: {trail:?}");
        assert_eq!(detector_calls(&g), 0, "{prompt}: the detector ran");
    }
    // The same image with a clean prompt runs, and every check said allow.
    let (result, trail) = run(&g, &cat, "a cat");
    let r = result.expect("a cat is allowed");
    assert!(r.response.detections.iter().any(|d| d.label == "cat"));
    assert_eq!(detector_calls(&g), 1);
    for check in ["input.text", "input.image", "output.text", "output.image"] {
        let d = find(&trail, check);
        assert_eq!((d.action, d.outcome), (Action::Allow, Outcome::Checked), "{d:?}");
        assert!(!d.policy_version.is_empty());
    }
    let nsfw = find(&trail, "input.image").scores.iter().find(|(n, _)| n == "image.nsfw").unwrap().1;
    assert!(nsfw < 0.2, "{nsfw}");
    // Asked again: answered from the result cache, audited from the memo.
    let (again, trail) = run(&g, &cat, "a cat");
    assert!(again.unwrap().cached);
    assert!(trail.iter().all(|d| d.outcome == Outcome::Remembered), "{trail:?}");
    assert_eq!(detector_calls(&g), 1);
}

#[test]
fn personal_data_is_reviewed_not_blocked() {
    let g = glint_with(&["detect", "audit"], "detect", shipped_policy());
    let (result, trail) = run(&g, &sample("chelsea.png"), "a cat . alice@example.com");
    result.expect("review lets the request through");
    let d = find(&trail, "input.text");
    assert_eq!(d.action, Action::Review, "{d:?}");
    assert!(d.reasons.contains(&"text.pii.email".to_string()), "{d:?}");
}

#[test]
fn the_profanity_model_reviews_and_its_threshold_comes_from_the_policy() {
    // Shipped policy: alt-profanity-check's 0.999 on "a cat . you idiot" (no list word) is a review; the detector runs.
    let g = glint_with(&["detect", "audit"], "detect", shipped_policy());
    let (result, trail) = run(&g, &sample("chelsea.png"), "a cat . you idiot");
    result.expect("review lets the request through");
    let d = find(&trail, "input.text");
    assert_eq!((d.action, d.reasons.as_slice()), (Action::Review, ["text.profanity_model".to_string()].as_slice()));
    assert_eq!(detector_calls(&g), 1);
    // A policy that blocks on the model alone stops the same prompt before detect.
    let strict = policy("version = \"model-blocks\"\n[text]\nblock = { \"text.profanity_model\" = 0.9 }");
    let g = glint_with(&["detect", "audit"], "detect", strict);
    let e = run(&g, &sample("chelsea.png"), "a cat . you idiot").0.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Blocked, "{e}");
    assert!(e.message.contains("text.profanity_model"), "{e}");
    assert_eq!(detector_calls(&g), 0);
}

#[test]
fn image_thresholds_come_from_the_policy() {
    // A policy that blocks any image: the upload is stopped before detect.
    let strict = policy("version = \"strict\"\n[image]\nblock = { \"image.nsfw\" = 0.0 }");
    let g = glint_with(&["detect", "audit"], "detect", strict);
    let (result, trail) = run(&g, &sample("coffee.png"), "a cup");
    let e = result.unwrap_err();
    assert!(e.message.contains("input.image") && e.message.contains("version strict"), "{e}");
    assert_eq!(find(&trail, "input.image").action, Action::Block);
    assert_eq!(detector_calls(&g), 0);
}

#[test]
fn a_blocked_output_never_reaches_the_caller() {
    let g = glint_with(&["misbehave", "misbehave-audit"], "misbehave", fault_policy("closed"));
    // The prompt passes; the detector's phrase "audit-block" does not.
    let (result, trail) = run(&g, &sample("chelsea.png"), "echo:audit-block");
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Blocked);
    assert!(e.message.contains("output.text") && e.message.contains("test.block"), "{e}");
    assert_eq!(find(&trail, "input.text").action, Action::Allow);
    assert_eq!(detector_calls(&g), 1, "the detector ran; its result was withheld");
}

fn fault_policy(on_error: &str) -> AuditPolicy {
    policy(&format!(
        "plugin = \"misbehave-audit\"\nversion = \"faults\"\nmemo_entries = 0\n\
         [text]\ntimeout_ms = 300\non_error = \"{on_error}\"\n[image]\ninput = false\noutput = false"
    ))
}

#[test]
fn failing_checks_follow_the_policy_visibly() {
    let cat = sample("chelsea.png");
    for (mode, prompt, check, fault) in [
        ("closed", "audit-error", "input.text", "asked to fail"),
        ("closed", "audit-hang", "input.text", "timed out after 300 ms"),
        ("closed", "echo:audit-error", "output.text", "asked to fail"),
        ("closed", "echo:audit-hang", "output.text", "timed out after 300 ms"),
        ("open", "audit-error", "input.text", "asked to fail"),
        ("open", "audit-hang", "input.text", "timed out after 300 ms"),
        ("open", "echo:audit-error", "output.text", "asked to fail"),
        ("open", "echo:audit-hang", "output.text", "timed out after 300 ms"),
    ] {
        let g = glint_with(&["misbehave", "misbehave-audit"], "misbehave", fault_policy(mode));
        let (result, trail) = run(&g, &cat, prompt);
        let d = find(&trail, check);
        let case = format!("{mode} / {prompt}: {d:?}");
        assert!(d.error.as_deref().is_some_and(|e| e.contains(fault)), "{case}");
        if mode == "closed" {
            assert_eq!((d.action, d.outcome), (Action::Block, Outcome::FailedClosed), "{case}");
            let e = result.unwrap_err();
            assert!(e.message.contains("could not run") && e.message.contains(fault), "{case}: {e}");
        } else {
            assert_eq!((d.action, d.outcome), (Action::Allow, Outcome::FailedOpen), "{case}");
            assert!(d.reasons.contains(&"audit.failed-open".to_string()), "{case}");
            result.unwrap_or_else(|e| panic!("{case}: {e}"));
        }
        let input_failed = check == "input.text";
        let expected_calls = if mode == "closed" && input_failed { 0 } else { 1 };
        assert_eq!(detector_calls(&g), expected_calls, "{case}");
        let metrics = g.metrics.render();
        let line = format!("glint_audit_decisions_total{{check=\"{check}\",outcome=\"failed-{mode}\",verdict=");
        assert!(metrics.contains(&line), "{case}: {line} not in\n{metrics}");
        // The host keeps working after a hung auditor: the next request is fine.
        run(&g, &cat, "fine").0.unwrap_or_else(|e| panic!("{case}, then: {e}"));
    }
}

#[test]
fn a_policy_naming_a_missing_plugin_is_refused_at_start() {
    let mut c = config(Some(Openvino));
    c.plugins_dir = Path::new("/nonexistent").into();
    c.audit = Some(policy("plugin = \"nope\"\nversion = \"1\""));
    let e = Glint::open(c).err().expect("refused").to_string();
    assert!(e.contains("tool.glint.audit") && e.contains("nope"), "{e}");
}
