//! The last builds of each plugin, kept on disk so that a swap can be
//! rolled back: `<plugins>/.builds/<name>/<ms>-<sha256>.wasm`, one file per
//! build (a build installed again moves to the top), at most `keep` each.
//! Installing pushes a build; rolling back pops the one serving.

use std::path::{Path, PathBuf};

/// One kept build.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Build {
    pub sha256: String,
    /// When it was installed (ms since the epoch).
    pub installed_ms: i64,
    #[serde(skip)]
    pub path: PathBuf,
}

pub struct Builds {
    dir: PathBuf,
    keep: usize,
}

impl Builds {
    pub fn new(plugins_dir: &Path, keep: usize) -> Builds {
        Builds { dir: plugins_dir.join(".builds"), keep: keep.max(1) }
    }

    /// The kept builds of `name`, oldest first.
    pub fn list(&self, name: &str) -> Vec<Build> {
        let Ok(read) = std::fs::read_dir(self.dir.join(name)) else { return Vec::new() };
        let mut builds: Vec<Build> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|path| {
                let stem = path.file_stem()?.to_str()?.to_string();
                let (ms, sha) = stem.split_once('-')?;
                let installed_ms = ms.parse().ok()?;
                (path.extension()? == "wasm" && sha.len() == 64).then(|| Build { sha256: sha.to_string(), installed_ms, path })
            })
            .collect();
        builds.sort_by_key(|b| b.installed_ms);
        builds
    }

    /// Keeps `wasm` as the newest build of `name`, dropping the oldest
    /// beyond the limit.
    pub fn push(&self, name: &str, sha256: &str, wasm: &[u8]) -> std::io::Result<()> {
        let existing = self.list(name);
        if existing.last().is_some_and(|b| b.sha256 == sha256) {
            return Ok(());
        }
        for b in existing.iter().filter(|b| b.sha256 == sha256) {
            std::fs::remove_file(&b.path)?;
        }
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir)?;
        let ms = existing.last().map_or(0, |b| b.installed_ms + 1).max(glint_common::clock::now_ms());
        glint_common::atomic_file::write(&dir.join(format!("{ms}-{sha256}.wasm")), wasm)?;
        let kept = self.list(name);
        for old in kept.iter().take(kept.len().saturating_sub(self.keep)) {
            std::fs::remove_file(&old.path)?;
        }
        Ok(())
    }

    /// Forgets the newest build of `name` (after rolling back from it).
    pub fn pop(&self, name: &str) -> std::io::Result<()> {
        match self.list(name).pop() {
            Some(b) => std::fs::remove_file(b.path),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_keeps_the_newest_and_pop_goes_back() {
        let dir = std::env::temp_dir().join(format!("glint-builds-{}", glint_common::clock::random_id()));
        let b = Builds::new(&dir, 2);
        let sha = |c: char| c.to_string().repeat(64);
        for c in ['a', 'b', 'c'] {
            b.push("detect", &sha(c), c.to_string().as_bytes()).unwrap();
        }
        let kept: Vec<String> = b.list("detect").into_iter().map(|b| b.sha256).collect();
        assert_eq!(kept, [sha('b'), sha('c')], "at most 2, newest last");
        b.push("detect", &sha('b'), b"b").unwrap();
        assert_eq!(b.list("detect").last().unwrap().sha256, sha('b'), "installing b again moves it to the top");
        assert_eq!(b.list("detect").len(), 2);
        b.pop("detect").unwrap();
        assert_eq!(b.list("detect").into_iter().map(|b| b.sha256).collect::<Vec<_>>(), [sha('c')]);
        assert!(b.list("other").is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
