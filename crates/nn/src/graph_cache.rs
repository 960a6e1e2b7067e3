//! Compiled graphs kept on disk, so a model version loads in a fraction of
//! its first load: OpenVINO's compiled blobs (its `CACHE_DIR`, one folder per
//! graph) and ONNX Runtime's optimised graph (`optimized.onnx`, its weights in
//! `optimized.weights`).
//!
//! An entry's folder is named by everything that could make it stale: the
//! graph files' sha256, the runtime and its version, the device and precision,
//! and the CPU (ONNX Runtime's layout optimisations and OpenVINO's kernels are
//! chosen for it). So a stale entry is never looked up. Every entry ends with
//! `sealed.json`, the sha256 of each file it holds, written last: an entry
//! whose files do not match it (truncated, rewritten, half-written by a killed
//! process) is thrown away and rebuilt, never trusted.
//!
//! Hashing was most of a warm start (the graphs are tens of MB), so each
//! sha256 is kept with the file's stamp ([`super::file_digest`]): the seal
//! records each file's, and the shipped graph files' digests are remembered
//! in `digests/`; a file is read again only when its stamp changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::file_digest::{DigestMemo, Seen, Stamp, hash_and_see};
use super::graph_prune;

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
    /// Not looked up yet: the graph loads on its first use ([`crate::lazy`]).
    Deferred,
}

/// The on-disk cache of compiled graphs (`$GLINT_CACHE/graphs`).
#[derive(Clone, Debug)]
pub struct GraphCache {
    root: PathBuf,
    digests: DigestMemo,
    /// Past this size the entries used least recently are removed (`graph_prune.rs`).
    pub max_bytes: u64,
}

/// The size limit unless configured: a model version's graphs are 100-200 MB per backend.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

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
        GraphCache { digests: DigestMemo::new(root.join("digests")), root, max_bytes: DEFAULT_MAX_BYTES }
    }

    /// The folder of the entry for the graph made of `files` (their sha256,
    /// remembered by stamp in `digests/`) under `key`.
    pub fn entry_dir(&self, key: &GraphKey, files: &[&Path]) -> std::io::Result<PathBuf> {
        let mut digests = Vec::with_capacity(files.len());
        for f in files {
            digests.push(self.digests.sha256(f).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", f.display())))?);
        }
        Ok(self.entry_dir_of_digests(key, &digests))
    }

    fn entry_dir_of_digests(&self, key: &GraphKey, digests: &[[u8; 32]]) -> PathBuf {
        let mut h = Sha256::new();
        for part in [key.runtime, key.runtime_version, key.device, cpu_identity().as_str()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        for d in digests {
            h.update(d);
        }
        let digest = hex::encode(h.finalize());
        self.root.join(format!("{}-{}", key.runtime, &digest[..32]))
    }

    /// Runs `use_entry` on the entry at `dir` while holding its lock
    /// (`<dir>.lock`), so that other threads and processes loading the same
    /// graph wait, then find it sealed. `use_entry` is told whether the entry
    /// is a sealed `Hit` (use what is there) or empty (`Miss`, or `Rebuilt`
    /// after a mismatch: fill it); a filled entry is sealed when it returns,
    /// and then the least recently used others go while the cache is over
    /// its size.
    pub fn with_entry<T>(
        &self,
        dir: &Path,
        use_entry: impl FnOnce(&Path, GraphCacheOutcome) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, GraphCacheOutcome)> {
        std::fs::create_dir_all(&self.root)?;
        let lock = std::fs::File::create(dir.with_extension("lock"))?;
        lock.lock()?;
        graph_prune::mark_used(&lock);
        let outcome = self.open(dir)?;
        let value = use_entry(dir, outcome)?;
        if outcome != GraphCacheOutcome::Hit {
            self.seal(dir)?;
            drop(lock);
            match graph_prune::prune(&self.root, self.max_bytes, dir) {
                Ok(0) => {}
                Ok(n) => tracing::info!(cache = %self.root.display(), "removed {n} least recently used compiled graph(s) to stay within {} bytes", self.max_bytes),
                Err(e) => tracing::warn!(cache = %self.root.display(), "cannot prune the compiled graph cache: {e}"),
            }
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
            Ok(None) => Ok(GraphCacheOutcome::Hit),
            Ok(Some(rehashed)) => {
                // Hashed and matching: sealed again with fresh stamps, so the next load need not read them.
                if let Err(e) = write_seal(dir, &rehashed) {
                    tracing::debug!(entry = %dir.display(), "cannot refresh a graph cache seal: {e}");
                }
                Ok(GraphCacheOutcome::Hit)
            }
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
            let (digest, seen) = hash_and_see(&entry.path(), &Stamp::of(&entry.metadata()?))?;
            files.insert(name, Sealed::of(hex::encode(digest), seen));
        }
        write_seal(dir, &files)
    }
}

fn write_seal(dir: &Path, files: &BTreeMap<String, Sealed>) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(files).map_err(std::io::Error::other)?;
    glint_common::atomic_file::write(&dir.join(SEAL), &json)
}

/// One file of a seal: its sha256 and its stamp when sealed (a seal written
/// before stamps has the sha256 only, and is always hashed).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Sealed {
    Stamped { sha256: String, seen: Seen },
    Hashed(String),
}

impl Sealed {
    /// A file hashed now: stamped if it was seen unchanged while hashed.
    fn of(sha256: String, seen: Option<Seen>) -> Sealed {
        match seen {
            Some(seen) => Sealed::Stamped { sha256, seen },
            None => Sealed::Hashed(sha256),
        }
    }
}

/// Why an entry does not match its seal, if it does not. A file whose
/// stamp vouches for it is not read; any other is hashed and compared, and
/// then the seal with those files stamped afresh is returned, to be written.
fn check_seal(dir: &Path) -> Result<Option<BTreeMap<String, Sealed>>, String> {
    let text = std::fs::read(dir.join(SEAL)).map_err(|_| "not sealed".to_string())?;
    let mut sealed: BTreeMap<String, Sealed> = serde_json::from_slice(&text).map_err(|e| format!("unreadable seal: {e}"))?;
    if sealed.is_empty() {
        return Err("an empty seal".into());
    }
    let (mut present, mut rehashed) = (0, false);
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == SEAL {
            continue;
        }
        let Some(want) = sealed.get_mut(&name) else { return Err(format!("{name} is not in the seal")) };
        present += 1;
        let meta = entry.metadata().map_err(|e| format!("{name}: {e}"))?;
        let sha256 = match want {
            Sealed::Stamped { seen, .. } if seen.vouches_for(&Stamp::of(&meta)) => continue,
            Sealed::Stamped { sha256, .. } | Sealed::Hashed(sha256) => std::mem::take(sha256),
        };
        let (digest, seen) = hash_and_see(&entry.path(), &Stamp::of(&meta)).map_err(|e| format!("{name}: {e}"))?;
        if hex::encode(digest) != sha256 {
            return Err(format!("{name} does not match its sha256"));
        }
        *want = Sealed::of(sha256, seen);
        rehashed = true;
    }
    if present != sealed.len() {
        return Err(format!("{} sealed files are missing", sealed.len() - present));
    }
    Ok(rehashed.then_some(sealed))
}

/// The CPU's model name and instruction-set flags (what kernels are chosen by).
pub fn cpu_identity() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |k: &str| {
        info.lines().find(|l| l.starts_with(k)).and_then(|l| l.split_once(':')).map_or("", |(_, v)| v.trim()).to_string()
    };
    format!("{} | {}", field("model name"), field("flags"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_digest::SETTLED_WHOLE_SECONDS_NS;
    use crate::test_files::{file, scratch};

    fn key() -> GraphKey<'static> {
        GraphKey { runtime: "onnxruntime", runtime_version: "1.22.1", device: "CPU" }
    }

    #[test]
    fn entries_are_keyed_by_bytes_runtime_and_device() {
        let root = scratch();
        let cache = GraphCache::new(root.join("cache"));
        let (model, model2) = (file(&root, "m", b"model"), file(&root, "m2", b"model2"));
        let a = cache.entry_dir(&key(), &[&model]).unwrap();
        assert_eq!(a, cache.entry_dir(&key(), &[&model]).unwrap());
        assert_eq!(a, cache.entry_dir(&key(), &[&file(&root, "copy", b"model")]).unwrap(), "keyed by the bytes, not the path");
        assert_ne!(a, cache.entry_dir(&key(), &[&model2]).unwrap());
        assert_ne!(a, cache.entry_dir(&GraphKey { runtime_version: "1.23.0", ..key() }, &[&model]).unwrap());
        assert_ne!(a, cache.entry_dir(&GraphKey { device: "CPU bf16", ..key() }, &[&model]).unwrap());
        let (ab, c, a1, bc) = (file(&root, "ab", b"ab"), file(&root, "c", b"c"), file(&root, "a", b"a"), file(&root, "bc", b"bc"));
        assert_ne!(cache.entry_dir(&key(), &[&ab, &c]).unwrap(), cache.entry_dir(&key(), &[&a1, &bc]).unwrap());
        let missing = cache.entry_dir(&key(), &[&root.join("gone")]).unwrap_err().to_string();
        assert!(missing.contains("gone"), "{missing}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_sealed_entry_hits_and_a_tampered_one_is_rebuilt() {
        let root = scratch();
        let cache = GraphCache::new(root.join("cache"));
        let dir = cache.entry_dir(&key(), &[&file(&root, "m", b"model")]).unwrap();
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
        // Rewritten with other bytes of the same length: its stamp moved, so it is hashed, and rejected.
        std::fs::write(dir.join("optimized.onnx"), b"optimised BYTES").unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        // Rewritten with the same bytes: hashed, and it matches.
        std::fs::write(dir.join("optimized.onnx"), b"optimised bytes").unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Hit);
        // A settled stamp vouches for the file: a seal naming other bytes is believed...
        let settled = |sha256: &[u8]| {
            let meta = std::fs::metadata(dir.join("optimized.onnx")).unwrap();
            let mut seen = Seen::now(&meta);
            seen.taken_ns = seen.stamp.ctime_ns + SETTLED_WHOLE_SECONDS_NS + 1;
            let seal = BTreeMap::from([("optimized.onnx".to_string(), Sealed::Stamped { sha256: hex::encode(Sha256::digest(sha256)), seen })]);
            write_seal(&dir, &seal).unwrap();
        };
        settled(b"other bytes");
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Hit, "the file was not read");
        // ...until the file is written to, even with bytes of the same length.
        std::fs::write(dir.join("optimized.onnx"), b"optimised BYTES").unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);

        // A seal from before stamps (sha256 only) is checked by hashing.
        let old = serde_json::json!({ "optimized.onnx": hex::encode(Sha256::digest(b"optimised bytes")) });
        std::fs::write(dir.join(SEAL), old.to_string()).unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Hit);
        let resealed: BTreeMap<String, Sealed> = serde_json::from_slice(&std::fs::read(dir.join(SEAL)).unwrap()).unwrap();
        assert!(matches!(&resealed["optimized.onnx"], Sealed::Stamped { .. }), "sealed again with the file's stamp");
        let old = serde_json::json!({ "optimized.onnx": hex::encode(Sha256::digest(b"other")) });
        std::fs::write(dir.join(SEAL), old.to_string()).unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        // Not sealed (a process killed while filling): rejected.
        std::fs::remove_file(dir.join(SEAL)).unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        // A file the seal does not name, or a sealed one missing: rejected.
        std::fs::write(dir.join("stray"), b"2").unwrap();
        assert_eq!(cache.with_entry(&dir, fill(one)).unwrap().1, GraphCacheOutcome::Rebuilt);
        let two: &[(&str, &[u8])] = &[("a", b"1"), ("b", b"2")];
        let other = cache.entry_dir(&key(), &[&file(&root, "m2", b"other model")]).unwrap();
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
