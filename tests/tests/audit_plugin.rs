//! The audit plugin (plugins/audit.wasm) through the host: real component,
//! real word lists of model version audit-v1 read through glint:plugins/models,
//! real open_nsfw through wasi:nn.

use std::time::Duration;

use glint::nn::BackendKind::{Onnx, Openvino};
use glint::plugins::{Action, Bbox, Detection, Image, PluginWorld, Verdict};
use glint_tests::{glint, home};

const DEADLINE: Duration = Duration::from_secs(60);

fn input(prompt: &str) -> Verdict {
    glint(Openvino).plugins.audit_input("audit", prompt, None, DEADLINE).unwrap_or_else(|e| panic!("{prompt}: {e}"))
}

fn score(v: &Verdict, name: &str) -> f32 {
    v.scores.iter().find(|(n, _)| n == name).map_or(f32::NAN, |(_, s)| *s)
}

/// A detection of the whole image.
fn det(phrase: &str, label: &str) -> Detection {
    Detection { phrase: phrase.into(), label: label.into(), score: 0.9, box_: Bbox { x0: 0.0, y0: 0.0, x1: 1.0, y1: 1.0 }, span: (0, 0) }
}

#[test]
fn the_audit_plugin_is_an_auditor() {
    let p = glint(Openvino).plugins.get("audit").expect("plugins/audit.wasm is loaded");
    assert_eq!(p.info.world, PluginWorld::AuditPlugin);
    let e = glint(Openvino).plugins.audit_input("detect", "a cat", None, DEADLINE).unwrap_err();
    assert!(e.to_string().contains("not an auditor"), "{e}");
}

#[test]
fn ordinary_prompts_are_allowed() {
    for prompt in ["a cat . a coffee mug", "Scunthorpe United", "a class of glasses", "一只猫 . 一个杯子"] {
        let v = input(prompt);
        assert!(matches!(v.action, Action::Allow), "{prompt}: {v:?}");
        assert!(v.reasons.is_empty(), "{prompt}: {v:?}");
        assert_eq!(score(&v, "text.profanity"), 0.0);
        assert!(score(&v, "text.profanity_model") < 0.1, "{prompt}: {v:?}");
    }
}

#[test]
fn the_profanity_model_sends_offensive_english_to_review() {
    // No list word in these: only alt-profanity-check's probability flags them.
    // scikit-learn gives 0.982, 1.000, 0.998, 0.988.
    for prompt in ["shut up", "you are an idiot", "shut up and die", "get lost loser"] {
        let v = input(prompt);
        assert_eq!(score(&v, "text.profanity"), 0.0, "{prompt}: a list matched: {v:?}");
        assert!(score(&v, "text.profanity_model") >= 0.9, "{prompt}: {v:?}");
        assert!(matches!(v.action, Action::Review), "{prompt}: {v:?}");
        assert_eq!(v.reasons, ["text.profanity_model"], "{prompt}");
    }
    // A list word and the model together: the list's block stands, both reasons are given.
    let v = input("you are a fucking idiot");
    assert!(matches!(v.action, Action::Block), "{v:?}");
    assert!(v.reasons.iter().any(|r| r == "text.profanity_model"), "{v:?}");
    // Outputs: the highest probability of any phrase or label.
    let dets = [det("a person", "person"), det("you idiot", "person")];
    let v = glint(Openvino).plugins.audit_output("audit", &dets, None, DEADLINE).unwrap();
    assert!(matches!(v.action, Action::Review), "{v:?}");
    assert!(score(&v, "text.profanity_model") >= 0.9, "{v:?}");
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
    let g = glint(Openvino);
    let clean = g.plugins.audit_output("audit", &[det("a kitty", "cat")], None, DEADLINE).unwrap();
    assert!(matches!(clean.action, Action::Allow), "{clean:?}");
    let bad = g.plugins.audit_output("audit", &[det("a cat", "cat"), det("fucking dog", "dog")], None, DEADLINE).unwrap();
    assert!(matches!(bad.action, Action::Block), "{bad:?}");
}

#[test]
fn the_bundled_photos_are_allowed_by_open_nsfw() {
    for backend in [Onnx, Openvino] {
        let g = glint(backend);
        g.models.ensure_loaded("audit-v1").expect("audit-v1 is installed by scripts/setup.sh");
        let mut names: Vec<_> = std::fs::read_dir(home().join("samples")).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        assert!(names.len() >= 5, "{names:?}");
        for path in names {
            let image = Image { bytes: std::fs::read(&path).unwrap(), mime: String::new() };
            let v = g.plugins.audit_input("audit", "", Some(image), DEADLINE).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            let nsfw = score(&v, "image.nsfw");
            eprintln!("{backend:?} {}: P(nsfw) = {nsfw:.4}", path.display());
            assert!((0.0..0.2).contains(&nsfw), "{backend:?} {path:?}: {v:?}");
            assert!(matches!(v.action, Action::Allow) && v.reasons.is_empty(), "{path:?}: {v:?}");
            // An image-only check reports no text scores.
            assert!(v.scores.iter().all(|(n, _)| n.starts_with("image.")), "{v:?}");
        }
    }
}

#[test]
fn an_undecodable_image_is_an_error_not_a_verdict() {
    let g = glint(Openvino);
    g.models.ensure_loaded("audit-v1").unwrap();
    let image = Image { bytes: b"GIF89a not really".to_vec(), mime: String::new() };
    let e = g.plugins.audit_input("audit", "", Some(image), DEADLINE).unwrap_err();
    assert!(e.to_string().contains("image check"), "{e}");
}

/// An animation of bundled photos (224x224 each), written by Pillow from
/// .glint/venv: `format` is "GIF", "PNG" (APNG) or "WEBP" (lossless).
fn animation(format: &str, photos: &[&str]) -> Vec<u8> {
    const SCRIPT: &str = "import sys\nfrom PIL import Image\nfmt, out, *paths = sys.argv[1:]\n\
        ims = [Image.open(p).convert('RGB').resize((224, 224)) for p in paths]\n\
        extra = {'lossless': True} if fmt == 'WEBP' else {}\n\
        ims[0].save(out, fmt, save_all=True, append_images=ims[1:], duration=100, loop=0, **extra)\n";
    let out = std::env::temp_dir().join(format!("glint-anim-{}-{}", std::process::id(), glint::store::random_id()));
    let status = std::process::Command::new(home().join(".glint/venv/bin/python"))
        .args(["-c", SCRIPT, format])
        .arg(&out)
        .args(photos.iter().map(|p| home().join("samples").join(p)))
        .status()
        .expect(".glint/venv/bin/python runs (scripts/setup.sh makes it)");
    assert!(status.success(), "Pillow could not write the {format} animation");
    let bytes = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    bytes
}

#[test]
fn every_frame_of_an_animation_is_checked() {
    let g = glint(Onnx);
    g.models.ensure_loaded("audit-v1").unwrap();
    let nsfw = |bytes: Vec<u8>| {
        let v = g.plugins.audit_input("audit", "", Some(Image { bytes, mime: String::new() }), DEADLINE).unwrap();
        score(&v, "image.nsfw")
    };
    for format in ["GIF", "PNG", "WEBP"] {
        let cat = nsfw(animation(format, &["chelsea.png"]));
        let astronaut = nsfw(animation(format, &["astronaut.png"]));
        let both = nsfw(animation(format, &["chelsea.png", "astronaut.png"]));
        let reversed = nsfw(animation(format, &["astronaut.png", "chelsea.png"]));
        eprintln!("{format}: cat {cat:.5} astronaut {astronaut:.5} cat+astronaut {both:.5} astronaut+cat {reversed:.5}");
        // The astronaut frame decides wherever it is, not only as the first frame.
        assert!(cat * 5.0 < astronaut, "{format}: the photos must score apart for this test: {cat} vs {astronaut}");
        assert!((both - astronaut).abs() < 1e-3 && (reversed - astronaut).abs() < 1e-3, "{format}: {both}, {reversed}");
    }
    // Over the audit's frame budget: refused as the request's fault, not a verdict.
    let long: Vec<&str> = std::iter::repeat_n(["chelsea.png", "coffee.png"], 33).flatten().collect();
    let image = Image { bytes: animation("GIF", &long), mime: String::new() };
    let e = g.plugins.audit_input("audit", "", Some(image), DEADLINE).unwrap_err();
    assert!(e.to_string().contains("more than 64 frames"), "{e}");
}
