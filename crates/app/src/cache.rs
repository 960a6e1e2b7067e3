//! The result cache: detections keyed by (detector plugin build, model
//! version, image sha256, normalised prompt, threshold), bounded, LRU. The
//! plugin's sha256 is in the key, so a swapped plugin never serves results of
//! the one it replaced.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::detection::ModelRun;
use glint_plugins::DetectResponse;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    plugin_sha256: String,
    model: String,
    image_sha256: [u8; 32],
    prompt: String,
    threshold_bits: u32,
}

impl CacheKey {
    pub fn new(plugin_sha256: &str, model: &str, image: &[u8], prompt: &str, threshold: f32) -> CacheKey {
        CacheKey::with_image_digest(plugin_sha256, model, Sha256::digest(image).into(), prompt, threshold)
    }

    /// The key for an image whose sha256 is already known.
    pub fn with_image_digest(plugin_sha256: &str, model: &str, image_sha256: [u8; 32], prompt: &str, threshold: f32) -> CacheKey {
        CacheKey {
            plugin_sha256: plugin_sha256.to_string(),
            model: model.to_string(),
            image_sha256,
            prompt: normalize_prompt(prompt),
            threshold_bits: threshold.to_bits(),
        }
    }

    /// The image's sha256.
    pub fn image_digest(&self) -> [u8; 32] {
        self.image_sha256
    }

    /// The image's sha256, hex.
    pub fn image_sha256(&self) -> String {
        hex::encode(self.image_sha256)
    }

    /// One hex sha256 of the whole key, as recorded with feedback.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.plugin_sha256.as_bytes(), self.model.as_bytes(), &self.image_sha256, self.prompt.as_bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.update(self.threshold_bits.to_le_bytes());
        hex::encode(h.finalize())
    }
}

/// Phrases trimmed and joined with " . " (case is kept: it is echoed back).
/// Only '.' counts as a separator: it is the one the WIT contract defines,
/// so the key stays right for any detector plugin, not just glint's own.
pub fn normalize_prompt(prompt: &str) -> String {
    prompt
        .split('.')
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" . ")
}

pub type CachedResult = (DetectResponse, ModelRun);

/// A bounded LRU map; capacity 0 disables it.
pub struct ResultCache {
    entries: Option<Mutex<LruCache<CacheKey, CachedResult>>>,
}

impl ResultCache {
    pub fn new(capacity: usize) -> ResultCache {
        ResultCache { entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))) }
    }

    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    pub fn get(&self, key: &CacheKey) -> Option<CachedResult> {
        let entries = self.entries.as_ref()?;
        entries.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    pub fn put(&self, key: CacheKey, value: CachedResult) {
        if let Some(entries) = &self.entries {
            entries.lock().unwrap_or_else(|p| p.into_inner()).put(key, value);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, |e| e.lock().unwrap_or_else(|p| p.into_inner()).len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_normalise_separators_and_spaces_only() {
        assert_eq!(normalize_prompt("  a  Cat .a dog. "), "a Cat . a dog");
        assert_eq!(normalize_prompt("猫。狗"), "猫。狗", "other separators are the plugin's business");
        let a = CacheKey::new("p", "m", b"img", "a cat . a dog", 0.3);
        assert_eq!(a, CacheKey::new("p", "m", b"img", " a cat.a dog ", 0.3));
        assert_ne!(a, CacheKey::new("p", "m", b"img", "a cat . a dog", 0.31));
        assert_ne!(a, CacheKey::new("q", "m", b"img", "a cat . a dog", 0.3), "another plugin build");
        assert_ne!(a, CacheKey::new("p", "m", b"imh", "a cat . a dog", 0.3));
    }

    #[test]
    fn bounded_lru() {
        let c = ResultCache::new(2);
        let run = ModelRun {
            version: "v".into(),
            family: "f".into(),
            backend: glint_nn::BackendKind::Onnx,
            runtime: "r".into(),
            device: "d".into(),
        };
        let resp = DetectResponse { detections: vec![], phrases: vec![], width: 1, height: 1 };
        let key = |i: u8| CacheKey::new("p", "m", &[i], "x", 0.3);
        for i in 0..3 {
            c.put(key(i), (resp.clone(), run.clone()));
        }
        assert_eq!(c.len(), 2);
        assert!(c.get(&key(0)).is_none(), "the oldest went");
        assert!(c.get(&key(2)).is_some());
        assert!(!ResultCache::new(0).enabled());
    }
}
