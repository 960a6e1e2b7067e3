//! Keeps the compiled-graph cache within a size: past it, the entries used
//! least recently are removed (an entry's use is the mtime of its lock file,
//! set on every use; its own files are not touched, so their stamps hold).
//! An entry is removed only while holding its lock, so a process loading it
//! waits, then finds it gone and rebuilds it; one locked now is skipped.

use std::path::Path;
use std::time::SystemTime;

/// Removes the least recently used entries of `root` but `keep` until the
/// rest fit in `max_bytes`; how many it removed.
pub(super) fn prune(root: &Path, max_bytes: u64, keep: &Path) -> std::io::Result<usize> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let path = entry?.path();
        // Entry folders have a lock beside them (`digests/` has none).
        let lock = path.with_extension("lock");
        if !path.is_dir() || !lock.is_file() {
            continue;
        }
        let used = std::fs::metadata(&lock).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
        entries.push((used, folder_bytes(&path), path));
    }
    let mut total: u64 = entries.iter().map(|(_, bytes, _)| bytes).sum();
    entries.sort();
    let mut removed = 0;
    for (_, bytes, path) in entries {
        if total <= max_bytes {
            break;
        }
        if path == keep {
            continue;
        }
        let Ok(lock) = std::fs::File::options().write(true).open(path.with_extension("lock")) else { continue };
        if lock.try_lock().is_err() {
            continue; // in use now
        }
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                removed += 1;
                total = total.saturating_sub(bytes);
            }
            Err(e) => tracing::debug!(entry = %path.display(), "cannot remove a graph cache entry: {e}"),
        }
    }
    Ok(removed)
}

/// Marks the entry whose lock is `lock` as just used.
pub(super) fn mark_used(lock: &std::fs::File) {
    if let Err(e) = lock.set_modified(SystemTime::now()) {
        tracing::debug!("cannot mark a graph cache entry as used: {e}");
    }
}

fn folder_bytes(dir: &Path) -> u64 {
    let files = std::fs::read_dir(dir).into_iter().flatten().flatten();
    files.filter_map(|f| f.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// An entry of `bytes` bytes last used `age_s` seconds ago.
    fn entry(root: &Path, name: &str, bytes: usize, age_s: u64) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("graph"), vec![0u8; bytes]).unwrap();
        let lock = std::fs::File::create(dir.with_extension("lock")).unwrap();
        lock.set_modified(SystemTime::now() - std::time::Duration::from_secs(age_s)).unwrap();
        dir
    }

    #[test]
    fn the_least_recently_used_entries_go_first_but_not_the_kept_or_a_locked_one() {
        let root = crate::test_files::scratch();
        let oldest = entry(&root, "onnxruntime-a", 100, 400);
        let locked = entry(&root, "onnxruntime-b", 100, 300);
        let older = entry(&root, "openvino-c", 100, 200);
        let newer = entry(&root, "openvino-d", 100, 100);
        let kept = entry(&root, "onnxruntime-e", 100, 500);
        std::fs::create_dir_all(root.join("digests")).unwrap();
        std::fs::write(root.join("digests/x.json"), vec![0u8; 1000]).unwrap();
        let held = std::fs::File::options().write(true).open(locked.with_extension("lock")).unwrap();
        held.lock().unwrap();
        assert_eq!(prune(&root, 300, &kept).unwrap(), 2);
        assert!(!oldest.exists() && !older.exists(), "the least recently used go");
        assert!(locked.exists(), "an entry in use stays");
        assert!(newer.exists() && kept.exists());
        assert!(root.join("digests/x.json").exists(), "the digests are not an entry");
        assert!(oldest.with_extension("lock").exists(), "locks stay, so a waiting loader rebuilds");
        assert_eq!(prune(&root, 1000, &kept).unwrap(), 0, "within the limit nothing goes");
        drop(held);
        std::fs::remove_dir_all(root).unwrap();
    }
}
