//! Compiled graphs kept on disk, so a model version loads in a fraction of
//! its first load: OpenVINO's compiled blobs (its `CACHE_DIR`, one folder per
//! graph) and ONNX Runtime's optimised graph (`optimized.onnx`).
//!
//! An entry's folder is named by everything that could make it stale: the
//! graph files' sha256, the runtime and its version, the device and precision,
//! and the CPU (ONNX Runtime's layout optimisations and OpenVINO's kernels are
//! chosen for it). So a stale entry is never looked up. Every entry ends with
//! `sealed.json`, the sha256 of each file it holds, written last: an entry
//! whose files do not match it (truncated, rewritten, half-written by a killed
//! process) is thrown away and rebuilt, never trusted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphCacheOutcome {
    /// A sealed entry whose files matched.
    Hit,
    /// No entry: built now and sealed.
    Miss,
    /// An entry that did not match its seal: thrown away and rebuilt.
    Rebuilt,
    /// No cache configured.
    Disabled,
}

/// The on-disk cache of compiled graphs (`$GLINT_CACHE/graphs`).
#[derive(Clone, Debug)]
pub struct GraphCache {
    root: PathBuf,
}

/// What an entry is keyed by, besides the graph's own bytes.
pub struct GraphKey<'a> {
    /// "onnxruntime" or "openvino".
    pub runtime: &'a str,
    pub runtime_version: &'a str,
    /// Device and precision, e.g. "CPU f32".
    pub device: &'a str,
}

/// A load's use of the cache: where, and the runtime version entries are keyed by.
#[derive(Clone, Copy)]
pub struct CacheUse<'a> {
    pub cache: &'a GraphCache,
    pub runtime_version: &'a str,
}

const SEAL: &str = "sealed.json";

impl GraphCache {
    pub fn new(root: PathBuf) -> GraphCache {
        GraphCache { root }
    }

    /// The folder of the entry for `files` (the graph's bytes) under `key`.
    pub fn entry_dir(&self, key: &GraphKey, files: &[&[u8]]) -> PathBuf {
        let mut h = Sha256::new();
        for part in [key.runtime, key.runtime_version, key.device, cpu_identity().as_str()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        for f in files {
            h.update(Sha256::digest(f));
        }
        let digest = hex::encode(h.finalize());
        self.root.join(format!("{}-{}", key.runtime, &digest[..32]))
    }

    /// Runs `use_entry` on the entry at `dir` while holding its lock
    /// (`<dir>.lock`), so that other threads and processes loading the same
    /// graph wait, then find it sealed. `use_entry` is told whether the entry
    /// is a sealed `Hit` (use what is there) or empty (`Miss`, or `Rebuilt`
    /// after a mismatch: fill it); a filled entry is sealed when it returns.
    pub fn with_entry<T>(
        &self,
        dir: &Path,
        use_entry: impl FnOnce(&Path, GraphCacheOutcome) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, GraphCacheOutcome)> {
        std::fs::create_dir_all(&self.root)?;
        let lock = std::fs::File::create(dir.with_extension("lock"))?;
        lock.lock()?;
        let outcome = self.open(dir)?;
        let value = use_entry(dir, outcome)?;
        if outcome != GraphCacheOutcome::Hit {
            self.seal(dir)?;
        }
        Ok((value, outcome))
    }

    /// `Hit` if the entry at `dir` is sealed and every file matches its seal;
    /// otherwise the folder is emptied: `Miss` if there was none, `Rebuilt`
    /// if there was one that did not match.
    fn open(&self, dir: &Path) -> std::io::Result<GraphCacheOutcome> {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            return Ok(GraphCacheOutcome::Miss);
        }
        match check_seal(dir) {
            Ok(()) => Ok(GraphCacheOutcome::Hit),
            Err(why) => {
                tracing::warn!(entry = %dir.display(), "compiled graph cache entry rejected ({why}); rebuilding it");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Ok(GraphCacheOutcome::Rebuilt)
            }
        }
    }

    /// Records the sha256 of every file now in `dir` (the seal is written
    /// last and atomically, so a crash before it leaves an unsealed entry).
    fn seal(&self, dir: &Path) -> std::io::Result<()> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == SEAL || !entry.file_type()?.is_file() {
                continue;
            }
            files.insert(name, sha256_of_file(&entry.path())?);
        }
        let json = serde_json::to_vec_pretty(&files).map_err(std::io::Error::other)?;
        crate::atomic_file::write(&dir.join(SEAL), &json)
    }
}

/// Why an entry does not match its seal, if it does not.
fn check_seal(dir: &Path) -> Result<(), String> {
    let text = std::fs::read(dir.join(SEAL)).map_err(|_| "not sealed".to_string())?;
    let sealed: BTreeMap<String, String> = serde_json::from_slice(&text).map_err(|e| format!("unreadable seal: {e}"))?;
    if sealed.is_empty() {
        return Err("an empty seal".into());
    }
    let mut present = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == SEAL {
            continue;
        }
        let Some(want) = sealed.get(&name) else { return Err(format!("{name} is not in the seal")) };
        if sha256_of_file(&entry.path()).map_err(|e| format!("{name}: {e}"))? != *want {
            return Err(format!("{name} does not match its sha256"));
        }
        present += 1;
    }
    if present != sealed.len() {
        return Err(format!("{} sealed files are missing", sealed.len() - present));
    }
    Ok(())
}

/// The hex sha256 of a file, read in pieces (a compiled graph is tens of MB).
fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// The CPU's model name and instruction-set flags (what kernels are chosen by).
fn cpu_identity() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |k: &str| {
        info.lines().find(|l| l.starts_with(k)).and_then(|l| l.split_once(':')).map_or("", |(_, v)| v.trim()).to_string()
    };
    format!("{} | {}", field("model name"), field("flags"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> GraphKey<'static> {
        GraphKey { runtime: "onnxruntime", runtime_version: "1.22.1", device: "CPU" }
    }

    #[test]
    fn entries_are_keyed_by_bytes_runtime_and_device() {
        let cache = GraphCache::new(PathBuf::from("/c"));
        let a = cache.entry_dir(&key(), &[b"model"]);
        assert_eq!(a, cache.entry_dir(&key(), &[b"model"]));
        assert_ne!(a, cache.entry_dir(&key(), &[b"model2"]));
        assert_ne!(a, cache.entry_dir(&GraphKey { runtime_version: "1.23.0", ..key() }, &[b"model"]));
        assert_ne!(a, cache.entry_dir(&GraphKey { device: "CPU bf16", ..key() }, &[b"model"]));
        assert_ne!(cache.entry_dir(&key(), &[b"ab", b"c"]), cache.entry_dir(&key(), &[b"a", b"bc"]));
    }

    #[test]
    fn a_sealed_entry_hits_and_a_tampered_one_is_rebuilt() {
        let root = std::env::temp_dir().join(format!("glint-graph-cache-{}", crate::clock::random_id()));
        let cache = GraphCache::new(root.clone());
        let dir = cache.entry_dir(&key(), &[b"model"]);
        let fill = |files: &'static [(&'static str, &'static [u8])]| {
            move |d: &Path, outcome: GraphCacheOutcome| {
                if outcome != GraphCacheOutcome::Hit {
                    assert!(std::fs::read_dir(d).unwrap().next().is_none(), "an entry to fill starts empty");
                    for (name, bytes) in files {
                        std::fs::write(d.join(name), bytes).unwrap();
                    }
                }
                Ok(())
            }
        };
        let one: &[(&str, &[u8])] = &[("optimized.onnx", b"optimised bytes")];
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Miss);
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Hit);
        // Truncated: rejected, emptied, filled again.
        std::fs::write(dir.join("optimized.onnx"), b"optimised").unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        assert_eq!(std::fs::read(dir.join("optimized.onnx")).unwrap(), b"optimised bytes");
        // Not sealed (a process killed while filling): rejected.
        std::fs::remove_file(dir.join(SEAL)).unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        // A file the seal does not name, or a sealed one missing: rejected.
        std::fs::write(dir.join("stray"), b"2").unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        let two: &[(&str, &[u8])] = &[("a", b"1"), ("b", b"2")];
        let other = cache.entry_dir(&key(), &[b"other model"]);
        assert_eq!(cache.with_entry(&other, fill(two)).unwrap().1, GraphCacheOutcome::Miss);
        std::fs::remove_file(other.join("b")).unwrap();
        assert_eq!(cache.with_entry(&other, fill(two)).unwrap().1, GraphCacheOutcome::Rebuilt);
        // A failed fill leaves the entry unsealed, so it is not trusted next time.
        std::fs::remove_dir_all(&other).unwrap();
        let failed = cache.with_entry(&other, |d: &Path, _| -> anyhow::Result<()> {
            std::fs::write(d.join("a"), b"half").unwrap();
            anyhow::bail!("the runtime failed")
        });
        assert!(failed.is_err());
        assert_eq!(cache.with_entry(&other, fill(two)).unwrap().1, GraphCacheOutcome::Rebuilt);
        std::fs::remove_dir_all(root).unwrap();
    }
}
