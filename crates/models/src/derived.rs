//! Values a plugin derives from a loaded model version alone (the label
//! embeddings of its vocabulary, tokenizer tables), kept once per version so
//! that warm instances and later processes read them instead of computing
//! them again (`glint:plugins/models`' `derived` and `keep-derived`).
//!
//! A value is keyed by everything it could depend on: the plugin's build
//! (its sha256), the version's build ([`crate::ModelEntry::build`]), the
//! runtime and device its graphs run on, and the CPU. A stale value is never
//! looked up. Each is kept in memory and, where a cache folder is set, in one
//! file under it: a magic line, the sha256 of the value, then the value. A
//! file that does not match its sha256 (truncated, rewritten) is removed and
//! reported as absent, so the plugin computes the value again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Largest value a plugin may keep.
pub const MAX_VALUE_BYTES: usize = 4 << 20;
/// What the values kept in memory may add up to; past it, values live on disk only.
const MAX_MEMORY_BYTES: usize = 64 << 20;
/// Files kept on disk; past it, the least recently written go.
const MAX_FILES: usize = 256;
const MAGIC: &[u8; 16] = b"glint-derived-1\n";

/// What a derived value is keyed by.
pub struct DerivedKey<'a> {
    /// The plugin's sha256.
    pub plugin: &'a str,
    /// The version's build (`<name>@<16 hex>`).
    pub build: &'a str,
    /// The runtime and device the version's graphs run on.
    pub runtime: &'a str,
    /// The plugin's own name for the value.
    pub key: &'a str,
}

/// The derived values of every version, shared by all plugin instances.
pub struct DerivedValues {
    /// Where values are kept across processes (`$GLINT_CACHE/derived`), if anywhere.
    dir: Option<PathBuf>,
    cpu: String,
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    values: HashMap<String, Arc<Vec<u8>>>,
    bytes: usize,
}

impl Default for DerivedValues {
    fn default() -> Self {
        DerivedValues::new(None)
    }
}

impl DerivedValues {
    /// Values kept in memory and, with `dir`, in files under it.
    pub fn new(dir: Option<PathBuf>) -> DerivedValues {
        DerivedValues { dir, cpu: glint_nn::graph_cache::cpu_identity(), memory: Mutex::default() }
    }

    /// The value kept under `key`, from memory or from its file; `None` if
    /// there is none or its file fails its checksum (the file is then removed).
    pub fn get(&self, key: &DerivedKey) -> Option<Arc<Vec<u8>>> {
        let id = self.id(key);
        if let Some(v) = self.memory().values.get(&id) {
            return Some(v.clone());
        }
        let path = self.dir.as_ref()?.join(&id);
        let value = match read_checked(&path) {
            Ok(Some(v)) => Arc::new(v),
            Ok(None) => return None,
            Err(why) => {
                tracing::warn!(file = %path.display(), key = key.key, "derived value rejected ({why}); removing it");
                let _ = std::fs::remove_file(&path);
                return None;
            }
        };
        tracing::debug!(file = %path.display(), key = key.key, build = key.build, "derived value read from the cache");
        self.remember(id, value.clone());
        Some(value)
    }

    /// Keeps `value` under `key`, in memory and on disk. A bad key or an
    /// oversized value is refused; a disk that cannot take it is logged and
    /// the value stays in memory.
    pub fn keep(&self, key: &DerivedKey, value: Vec<u8>) -> Result<(), String> {
        if !valid_key(key.key) {
            return Err(format!("derived value key {:?} must be 1-64 characters of a-z, 0-9, '.', '_' and '-'", key.key));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(format!("derived value {} is {} bytes, over the {MAX_VALUE_BYTES}-byte limit", key.key, value.len()));
        }
        let id = self.id(key);
        if let Some(dir) = &self.dir {
            let path = dir.join(&id);
            let mut file = Vec::with_capacity(MAGIC.len() + 32 + value.len());
            file.extend_from_slice(MAGIC);
            file.extend_from_slice(&Sha256::digest(&value));
            file.extend_from_slice(&value);
            match glint_common::atomic_file::write(&path, &file) {
                Ok(()) => {
                    tracing::debug!(file = %path.display(), key = key.key, build = key.build, "derived value kept");
                    prune(dir, MAX_FILES);
                }
                Err(e) => tracing::warn!(file = %path.display(), key = key.key, "cannot keep a derived value on disk: {e}"),
            }
        }
        self.remember(id, Arc::new(value));
        Ok(())
    }

    fn remember(&self, id: String, value: Arc<Vec<u8>>) {
        let mut memory = self.memory();
        if memory.bytes + value.len() <= MAX_MEMORY_BYTES {
            memory.bytes += value.len();
            if let Some(old) = memory.values.insert(id, value) {
                memory.bytes -= old.len();
            }
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The file name of `key`: 32 hex of the sha256 of its parts and the CPU.
    fn id(&self, key: &DerivedKey) -> String {
        let mut h = Sha256::new();
        for part in [key.plugin, key.build, key.runtime, self.cpu.as_str(), key.key] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        format!("{}.bin", &hex::encode(h.finalize())[..32])
    }
}

/// The value in `path`: `Ok(None)` if there is no file, `Err` if it is not a
/// whole value matching its sha256.
fn read_checked(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let header = MAGIC.len() + 32;
    if bytes.len() < header || bytes.len() > header + MAX_VALUE_BYTES || &bytes[..MAGIC.len()] != MAGIC {
        return Err(format!("{} bytes without a whole header", bytes.len()));
    }
    let (sum, value) = bytes[MAGIC.len()..].split_at(32);
    if Sha256::digest(value).as_slice() != sum {
        return Err("its sha256 does not match its contents".into());
    }
    Ok(Some(value.to_vec()))
}

/// Removes the least recently written files of `dir` while it has more than `keep`.
fn prune(dir: &Path, keep: usize) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = read
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bin"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, path) in &files[..files.len() - keep] {
        let _ = std::fs::remove_file(path);
    }
}

fn valid_key(k: &str) -> bool {
    (1..=64).contains(&k.len()) && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let d = std::env::temp_dir().join(format!("glint-derived-test-{}", glint_common::clock::random_id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn key<'a>(plugin: &'a str, build: &'a str, runtime: &'a str) -> DerivedKey<'a> {
        DerivedKey { plugin, build, runtime, key: "labels.v1" }
    }

    fn only_file(dir: &Path) -> PathBuf {
        let files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }

    #[test]
    fn a_kept_value_is_read_back_by_another_process_only_under_the_same_key() {
        let dir = scratch();
        let k = key("p1", "v@1", "onnxruntime 1.22.1");
        DerivedValues::new(Some(dir.clone())).keep(&k, vec![1, 2, 3]).unwrap();
        let later = DerivedValues::new(Some(dir.clone())); // a new process: nothing in memory
        assert_eq!(later.get(&k).unwrap().as_slice(), [1, 2, 3]);
        assert!(later.get(&key("p2", "v@1", "onnxruntime 1.22.1")).is_none(), "another plugin build");
        assert!(later.get(&key("p1", "v@2", "onnxruntime 1.22.1")).is_none(), "another version build");
        assert!(later.get(&key("p1", "v@1", "openvino 2025.2")).is_none(), "another runtime");
        assert!(later.get(&DerivedKey { key: "other", ..k }).is_none(), "another key");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_truncated_or_altered_file_is_rejected_and_removed() {
        let dir = scratch();
        let k = key("p", "v@1", "rt");
        DerivedValues::new(Some(dir.clone())).keep(&k, (0..200u8).collect()).unwrap();
        let file = only_file(&dir);
        let whole = std::fs::read(&file).unwrap();
        std::fs::write(&file, &whole[..whole.len() - 1]).unwrap();
        assert!(DerivedValues::new(Some(dir.clone())).get(&k).is_none());
        assert!(!file.exists(), "a rejected file is removed");
        let mut altered = whole.clone();
        *altered.last_mut().unwrap() ^= 1;
        std::fs::write(&file, &altered).unwrap();
        assert!(DerivedValues::new(Some(dir.clone())).get(&k).is_none());
        std::fs::write(&file, &whole[..10]).unwrap();
        assert!(DerivedValues::new(Some(dir.clone())).get(&k).is_none());
        std::fs::write(&file, &whole).unwrap();
        assert_eq!(DerivedValues::new(Some(dir.clone())).get(&k).unwrap().len(), 200);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_keys_and_oversized_values_are_refused_and_nothing_is_written() {
        let dir = scratch();
        let values = DerivedValues::new(Some(dir.clone()));
        for bad in ["", "Upper", "a/b", "../x", &"k".repeat(65)] {
            let e = values.keep(&DerivedKey { key: bad, ..key("p", "v@1", "rt") }, vec![0]).unwrap_err();
            assert!(e.contains("1-64 characters"), "{e}");
        }
        let e = values.keep(&key("p", "v@1", "rt"), vec![0; MAX_VALUE_BYTES + 1]).unwrap_err();
        assert!(e.contains("over the"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_folder_that_cannot_be_written_keeps_the_value_in_memory() {
        let dir = scratch();
        let blocked = dir.join("a-file");
        std::fs::write(&blocked, b"not a folder").unwrap();
        let values = DerivedValues::new(Some(blocked.join("derived")));
        let k = key("p", "v@1", "rt");
        values.keep(&k, vec![7, 7]).unwrap();
        assert_eq!(values.get(&k).unwrap().as_slice(), [7, 7]);
        assert!(DerivedValues::new(Some(blocked.join("derived"))).get(&k).is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn without_a_folder_values_live_in_memory() {
        let values = DerivedValues::new(None);
        let k = key("p", "v@1", "rt");
        assert!(values.get(&k).is_none());
        values.keep(&k, vec![9]).unwrap();
        assert_eq!(values.get(&k).unwrap().as_slice(), [9]);
    }

    #[test]
    fn the_oldest_files_go_past_the_limit() {
        let dir = scratch();
        for i in 0..5u8 {
            std::fs::write(dir.join(format!("{i}.bin")), [i]).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        prune(&dir, 3);
        let mut left: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["2.bin", "3.bin", "4.bin"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
