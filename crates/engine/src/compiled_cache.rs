//! The on-disk cache of compiled components (`$GLINT_CACHE/compiled`): one
//! file per component and engine, written atomically, read whole (another
//! process rewriting a file must not crash this one, as a mapped file
//! would). It is bounded: past its size limit the least recently used
//! files are removed, so installing and swapping versions for months does
//! not fill the disk. A hit marks its file as used.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The size limit unless configured: ~25 compiled detect components.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

const EXTENSION: &str = "cwasm";

/// A folder of compiled components, at most `max_bytes` in all.
#[derive(Clone, Debug)]
pub struct CompiledCache {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

impl CompiledCache {
    /// The bytes cached under `key`, if any; the file is marked as just used.
    pub fn read(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.path(key);
        let bytes = std::fs::read(&path).ok()?;
        if let Err(e) = std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(SystemTime::now())) {
            tracing::debug!("cannot mark {} as used: {e}", path.display());
        }
        Some(bytes)
    }

    /// Caches `bytes` under `key`, then removes the least recently used
    /// other files while the folder is over its limit. Failures are logged:
    /// the cache only saves time.
    pub fn write(&self, key: &str, bytes: &[u8]) {
        let path = self.path(key);
        if let Err(e) = glint_common::atomic_file::write(&path, bytes) {
            tracing::warn!("cannot write compiled cache {}: {e}", path.display());
            return;
        }
        match prune(&self.dir, self.max_bytes, &path) {
            Ok(0) => {}
            Ok(n) => tracing::info!("compiled cache {}: removed {n} least recently used file(s) to stay within {} bytes", self.dir.display(), self.max_bytes),
            Err(e) => tracing::warn!("cannot prune compiled cache {}: {e}", self.dir.display()),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.{EXTENSION}"))
    }
}

/// Removes the least recently modified `.cwasm` files of `dir` but `keep`
/// until the rest fit in `max_bytes`; how many it removed.
fn prune(dir: &Path, max_bytes: u64, keep: &Path) -> std::io::Result<usize> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_none_or(|e| e != EXTENSION) {
            continue;
        }
        // A file another process removed meanwhile is simply not counted.
        let Ok(meta) = entry.metadata() else { continue };
        files.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), path));
    }
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    files.sort();
    let mut removed = 0;
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if path == keep {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        total -= len;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cache(name: &str, max_bytes: u64) -> CompiledCache {
        let dir = std::env::temp_dir().join(format!("glint-compiled-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        CompiledCache { dir, max_bytes }
    }

    fn age(cache: &CompiledCache, key: &str, seconds_ago: u64) {
        let f = std::fs::File::options().write(true).open(cache.path(key)).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago)).unwrap();
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_new_one_stays() {
        let c = cache("lru", 250);
        for (key, ago) in [("a", 300), ("b", 200), ("c", 100)] {
            std::fs::write(c.path(key), [0; 100]).unwrap();
            age(&c, key, ago);
        }
        // "a" is read, so used now: "b" and then "c" are the least recently used.
        assert!(c.read("a").is_some());
        c.write("d", &[1; 100]);
        let left: Vec<bool> = ["a", "b", "c", "d"].iter().map(|k| c.path(k).exists()).collect();
        assert_eq!(left, [true, false, false, true], "400 bytes with a limit of 250: the two least recently used went");
        std::fs::remove_dir_all(&c.dir).ok();
    }

    #[test]
    fn a_file_over_the_limit_alone_is_kept_and_other_files_are_left_alone() {
        let c = cache("big", 50);
        std::fs::write(c.dir.join("notes.txt"), [0; 500]).unwrap();
        c.write("big", &[0; 100]);
        assert_eq!(c.read("big").unwrap().len(), 100, "the file just written is never the one removed");
        assert!(c.dir.join("notes.txt").exists());
        std::fs::remove_dir_all(&c.dir).ok();
    }
}
