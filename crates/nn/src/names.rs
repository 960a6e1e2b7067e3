//! Tensor names as glint uses them: TensorFlow-converted graphs name tensors
//! `detection_boxes:0`; manifests and guests use `detection_boxes`.

/// The name without a trailing `:0`.
pub fn canonical(name: &str) -> &str {
    name.strip_suffix(":0").unwrap_or(name)
}

/// Finds `wanted` among `real` names, comparing canonical forms.
pub fn resolve<'a>(wanted: &str, real: &'a [String]) -> Option<&'a str> {
    let wanted = canonical(wanted);
    real.iter().map(String::as_str).find(|r| canonical(r) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tf_suffix_only() {
        assert_eq!(canonical("detection_boxes:0"), "detection_boxes");
        assert_eq!(canonical("logits"), "logits");
        let real = vec!["image_tensor:0".to_string(), "x".to_string()];
        assert_eq!(resolve("image_tensor", &real), Some("image_tensor:0"));
        assert_eq!(resolve("x:0", &real), Some("x"));
        assert_eq!(resolve("y", &real), None);
    }
}
