//! A file's sha256 without reading it again: remembered with the file's
//! stamp (size, device, inode, mtime and ctime to the nanosecond), and
//! trusted only while the stamp is the same. Any write to the file, a rename
//! over it or a truncation changes its stamp (the kernel sets ctime, and no
//! tool can set it back). A stamp taken less than 30 ms after the file last
//! changed (2 s on a file system that keeps whole seconds) does not vouch for
//! it (git's "racily clean" rule: a write in the same clock tick could leave
//! the stamp as it was). What a stamp cannot show is a change that leaves
//! the file system's metadata as it was (bits rotting on the disk).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Files' sha256, remembered in a folder (one JSON file per path).
#[derive(Clone, Debug)]
pub struct DigestMemo {
    dir: PathBuf,
}

impl DigestMemo {
    pub fn new(dir: PathBuf) -> DigestMemo {
        DigestMemo { dir }
    }

    /// The sha256 of the file at `path`: the remembered one while the
    /// file's stamp vouches for it, else hashed now (and remembered).
    pub fn sha256(&self, path: &Path) -> std::io::Result<[u8; 32]> {
        let path = std::fs::canonicalize(path)?;
        let memo = self.dir.join(format!("{}.json", &hex::encode(Sha256::digest(path.as_os_str().as_encoded_bytes()))[..32]));
        let before = Stamp::of(&std::fs::metadata(&path)?);
        let remembered = std::fs::read(&memo).ok().and_then(|b| serde_json::from_slice::<Remembered>(&b).ok());
        if let Some(r) = remembered.filter(|r| r.path == path && r.seen.vouches_for(&before))
            && let Some(d) = hex::decode(&r.sha256).ok().and_then(|d| <[u8; 32]>::try_from(d).ok())
        {
            return Ok(d);
        }
        let (digest, seen) = hash_and_see(&path, &before)?;
        if let Some(seen) = seen {
            let json = serde_json::to_vec(&Remembered { path, seen, sha256: hex::encode(digest) }).map_err(std::io::Error::other)?;
            if let Err(e) = glint_common::atomic_file::write(&memo, &json) {
                tracing::debug!(memo = %memo.display(), "cannot remember a file's sha256: {e}");
            }
        }
        Ok(digest)
    }
}

/// How long before a stamp was taken the file must have last changed for
/// the stamp to vouch for its bytes (git's "racily clean" rule): a write in
/// the same clock tick as the stamp could leave every field of it as it was.
/// The kernel stamps files from a clock that advances a tick (at most 10 ms)
/// at a time and lags the real time by up to one, so a write after the
/// stamp was taken gets a ctime at most one tick before it: a ctime more than
/// two ticks older can only be the file's last. A file system that keeps
/// whole seconds (its ctime has no nanoseconds) needs two seconds.
pub(super) const SETTLED_NS: i64 = 30_000_000;
pub(super) const SETTLED_WHOLE_SECONDS_NS: i64 = 2_000_000_000;

/// What identifies a file's bytes without reading them: any write,
/// truncation or replacement changes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Stamp {
    len: u64,
    dev: u64,
    ino: u64,
    mtime_ns: i64,
    pub(super) ctime_ns: i64,
}

/// A file's stamp and when it was taken.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Seen {
    pub(super) stamp: Stamp,
    pub(super) taken_ns: i64,
}

impl Seen {
    pub(super) fn now(meta: &std::fs::Metadata) -> Seen {
        let taken_ns = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Seen { stamp: Stamp::of(meta), taken_ns }
    }

    /// Whether a file stamped `now` still has the bytes it had when seen:
    /// the same stamp, and it had settled before it was taken.
    pub(super) fn vouches_for(&self, now: &Stamp) -> bool {
        let ctime = self.stamp.ctime_ns;
        let settled = if ctime % 1_000_000_000 == 0 { SETTLED_WHOLE_SECONDS_NS } else { SETTLED_NS };
        self.stamp == *now && ctime.saturating_add(settled) < self.taken_ns
    }
}

impl Stamp {
    pub(super) fn of(meta: &std::fs::Metadata) -> Stamp {
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        Stamp {
            len: meta.len(),
            dev: meta.dev(),
            ino: meta.ino(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// A file's remembered sha256 (`<memo>/<hash of its path>.json`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    path: PathBuf,
    seen: Seen,
    sha256: String,
}

/// The sha256 of the file at `path` (read in pieces: a compiled graph is
/// tens of MB), and what it was seen as: its stamp, unless it is no longer
/// `before` (its stamp just before), since a write during the hash means the
/// digest need not be the bytes that stamp stands for.
pub(super) fn hash_and_see(path: &Path, before: &Stamp) -> std::io::Result<([u8; 32], Option<Seen>)> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    let seen = Seen::now(&std::fs::metadata(path)?);
    Ok((hasher.finalize().into(), (seen.stamp == *before).then_some(seen)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_files::{file, scratch};

    #[test]
    fn a_stamp_vouches_only_once_the_file_had_settled() {
        let stamp = |ctime_ns| Stamp { len: 1, dev: 2, ino: 3, mtime_ns: ctime_ns, ctime_ns };
        let seen = |ctime_ns, after_ns| Seen { stamp: stamp(ctime_ns), taken_ns: ctime_ns + after_ns };
        let fine = 5_000_000_123; // a file system with nanoseconds
        assert!(!seen(fine, 10_000_000).vouches_for(&stamp(fine)));
        assert!(seen(fine, 50_000_000).vouches_for(&stamp(fine)));
        assert!(!seen(fine, 50_000_000).vouches_for(&Stamp { len: 2, ..stamp(fine) }));
        assert!(!seen(fine, 50_000_000).vouches_for(&stamp(fine + 1)));
        let whole = 5_000_000_000; // one that keeps whole seconds
        assert!(!seen(whole, 1_500_000_000).vouches_for(&stamp(whole)));
        assert!(seen(whole, 2_500_000_000).vouches_for(&stamp(whole)));
    }

    #[test]
    fn a_remembered_digest_is_used_until_the_file_changes() {
        let root = scratch();
        let memo = DigestMemo::new(root.join("digests"));
        let model = file(&root, "m", b"model");
        let first = memo.sha256(&model).unwrap();
        assert_eq!(first, <[u8; 32]>::from(Sha256::digest(b"model")));
        // The memo is what is read while the stamp holds: a forged digest in it is believed...
        let memos: Vec<PathBuf> = std::fs::read_dir(root.join("digests")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(memos.len(), 1);
        let mut r: Remembered = serde_json::from_slice(&std::fs::read(&memos[0]).unwrap()).unwrap();
        assert_eq!(r.sha256, hex::encode(Sha256::digest(b"model")));
        r.sha256 = hex::encode(Sha256::digest(b"forged"));
        std::fs::write(&memos[0], serde_json::to_vec(&r).unwrap()).unwrap();
        assert_eq!(memo.sha256(&model).unwrap(), first, "a stamp taken as the file was written does not vouch for it");
        let mut r: Remembered = serde_json::from_slice(&std::fs::read(&memos[0]).unwrap()).unwrap();
        r.sha256 = hex::encode(Sha256::digest(b"forged"));
        r.seen.taken_ns = r.seen.stamp.ctime_ns + SETTLED_WHOLE_SECONDS_NS + 1;
        std::fs::write(&memos[0], serde_json::to_vec(&r).unwrap()).unwrap();
        assert_ne!(memo.sha256(&model).unwrap(), first, "a settled stamp vouches: the file was not read");
        // ...and any write to the file, even of the same length, makes it hashed again.
        std::fs::write(&model, b"mode!").unwrap();
        assert_eq!(memo.sha256(&model).unwrap(), <[u8; 32]>::from(Sha256::digest(b"mode!")));
        std::fs::write(&model, b"model").unwrap();
        assert_eq!(memo.sha256(&model).unwrap(), first);
        // A memo that does not parse is not trusted either.
        std::fs::write(&memos[0], b"{").unwrap();
        assert_eq!(memo.sha256(&model).unwrap(), first);
        std::fs::remove_dir_all(root).unwrap();
    }
}
