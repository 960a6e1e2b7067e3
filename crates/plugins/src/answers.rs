//! What a detector plugin answers is checked before anything uses it: the
//! WIT contract says scores are in [0, 1] and boxes are pixels of the image
//! with x0 <= x1, y0 <= y1, and the host holds it to that. A broken answer
//! (NaN, infinity, a score out of range, an inverted box, too many
//! detections, a huge phrase, a span outside the prompt) is the plugin's
//! error, named; a box that only reaches past the image's edge is clipped to it.

use super::bindings::glint::plugins::types::DetectResponse;
use glint_common::error::{ErrorKind, GlintError};

/// Most detections one answer may hold.
pub const MAX_DETECTIONS: usize = 10_000;
/// Longest phrase or label, in bytes.
const MAX_TEXT_BYTES: usize = 4096;

/// `response` to a prompt of `prompt_chars` characters checked (and its
/// boxes clipped to the image), or the plugin's error.
pub fn checked(plugin: &str, mut response: DetectResponse, prompt_chars: usize) -> Result<DetectResponse, GlintError> {
    let broken = |what: String| GlintError::new(ErrorKind::Plugin, format!("plugin {plugin} broke the detector contract: {what}"));
    if response.detections.len() > MAX_DETECTIONS {
        return Err(broken(format!("it returned {} detections (at most {MAX_DETECTIONS})", response.detections.len())));
    }
    let (w, h) = (response.width as f32, response.height as f32);
    for (i, d) in response.detections.iter_mut().enumerate() {
        if !(d.score.is_finite() && (0.0..=1.0).contains(&d.score)) {
            return Err(broken(format!("detection {i} has score {} (scores are in [0, 1])", d.score)));
        }
        let b = &mut d.box_;
        if ![b.x0, b.y0, b.x1, b.y1].iter().all(|v| v.is_finite()) || b.x0 > b.x1 || b.y0 > b.y1 {
            return Err(broken(format!("detection {i} has box ({}, {}, {}, {}) (finite, x0 <= x1, y0 <= y1)", b.x0, b.y0, b.x1, b.y1)));
        }
        if d.phrase.len() > MAX_TEXT_BYTES || d.label.len() > MAX_TEXT_BYTES {
            return Err(broken(format!("detection {i} has a phrase or label over {MAX_TEXT_BYTES} bytes")));
        }
        if !span_fits(d.span, prompt_chars) {
            return Err(broken(format!("detection {i} has span {:?} outside the {prompt_chars}-character prompt", d.span)));
        }
        if w > 0.0 && h > 0.0 {
            b.x0 = b.x0.clamp(0.0, w);
            b.x1 = b.x1.clamp(0.0, w);
            b.y0 = b.y0.clamp(0.0, h);
            b.y1 = b.y1.clamp(0.0, h);
        }
    }
    if let Some((i, p)) = response.phrases.iter().enumerate().find(|(_, p)| !span_fits(p.span, prompt_chars)) {
        return Err(broken(format!("phrase {i} has span {:?} outside the {prompt_chars}-character prompt", p.span)));
    }
    Ok(response)
}

/// `[start, end)` within a prompt of `chars` characters (`(0, 0)` means unknown).
fn span_fits((start, end): (u32, u32), chars: usize) -> bool {
    start <= end && end as usize <= chars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bbox, Detection};

    fn answer(score: f32, b: [f32; 4]) -> DetectResponse {
        let box_ = Bbox { x0: b[0], y0: b[1], x1: b[2], y1: b[3] };
        DetectResponse {
            detections: vec![Detection { phrase: "a cat".into(), label: "cat".into(), score, box_, span: (0, 5) }],
            phrases: vec![],
            width: 100,
            height: 50,
        }
    }

    #[test]
    fn broken_answers_are_named_and_edges_clipped() {
        let ok = checked("p", answer(0.5, [-10.0, 5.0, 150.0, 40.0]), 5).unwrap();
        let b = &ok.detections[0].box_;
        assert_eq!((b.x0, b.y0, b.x1, b.y1), (0.0, 5.0, 100.0, 40.0));
        for (score, b, words) in [
            (f32::NAN, [0.0, 0.0, 1.0, 1.0], "score NaN"),
            (1.5, [0.0, 0.0, 1.0, 1.0], "score 1.5"),
            (0.5, [5.0, 0.0, 1.0, 1.0], "x0 <= x1"),
            (0.5, [0.0, f32::INFINITY, 1.0, 1.0], "finite"),
        ] {
            let e = checked("p", answer(score, b), 5).unwrap_err();
            assert!(e.kind == ErrorKind::Plugin && e.message.contains(words) && e.message.contains("plugin p"), "{e:?}");
        }
        let mut many = answer(0.5, [0.0, 0.0, 1.0, 1.0]);
        many.detections = vec![many.detections[0].clone(); MAX_DETECTIONS + 1];
        assert!(checked("p", many, 5).unwrap_err().message.contains("10001 detections"));
        // "a cat" is 5 characters: a span past it, or inverted, is the plugin's error
        let e = checked("p", answer(0.5, [0.0, 0.0, 1.0, 1.0]), 4).unwrap_err();
        assert!(e.message.contains("span (0, 5) outside the 4-character prompt"), "{e:?}");
        let mut inverted = answer(0.5, [0.0, 0.0, 1.0, 1.0]);
        inverted.detections[0].span = (3, 2);
        assert!(checked("p", inverted, 5).is_err());
    }
}
