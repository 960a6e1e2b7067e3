//! Dropping this process's resident pages of read-only file mappings that a
//! runtime keeps but no longer reads.
//!
//! OpenVINO maps a graph's weights files (the IR's `.bin`, and the compiled
//! blob it imports from its cache) and keeps the mappings for the compiled
//! model's life, though the CPU plugin has copied the weights into its own
//! layouts: with the shipped SSD and MiniLM, `glint up` held 173 MiB of them
//! resident (both `.bin` files and both blobs), of which inference reads back
//! ~14. Those pages count in the process's resident set. `MADV_DONTNEED` on a read-only mapping
//! of a file only unmaps them from this process: they stay in the page cache
//! (a later start still finds them there), and a page the runtime does read
//! again is mapped back on that read, with the same bytes. A mapping that can
//! be written is never touched (dropping its pages could lose writes).

use std::path::Path;

/// One line of `/proc/self/maps` that maps a file.
#[derive(Debug, PartialEq)]
struct Mapping<'a> {
    start: usize,
    end: usize,
    writable: bool,
    path: &'a str,
}

/// Parses a `/proc/self/maps` line: `start-end perms offset dev inode path`.
/// `None` for anonymous mappings and lines it does not understand.
fn parse_line(line: &str) -> Option<Mapping<'_>> {
    let mut fields = line.splitn(6, ' ');
    let range = fields.next()?;
    let perms = fields.next()?;
    let (_offset, _dev, _inode) = (fields.next()?, fields.next()?, fields.next()?);
    let path = fields.next()?.trim_start();
    if !path.starts_with('/') {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    (end > start && perms.len() == 4).then_some(Mapping { start, end, writable: perms.as_bytes()[1] == b'w', path })
}

/// Whether `path` (a mapping's file) is one of `files` or inside one of them
/// (a folder). The kernel appends " (deleted)" to a removed file's path.
fn is_under(path: &str, files: &[&Path]) -> bool {
    let path = Path::new(path.strip_suffix(" (deleted)").unwrap_or(path));
    files.iter().any(|f| path.starts_with(f))
}

/// Drops this process's resident pages of every read-only mapping of `files`
/// (files, or folders whose files count) and returns how many bytes of
/// mappings it advised. Best effort: a failure is logged, never an error.
pub fn release(files: &[&Path]) -> usize {
    let maps = match std::fs::read_to_string("/proc/self/maps") {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!("cannot read /proc/self/maps, mapped weights stay resident: {e}");
            return 0;
        }
    };
    let mut advised = 0;
    for m in maps.lines().filter_map(parse_line).filter(|m| !m.writable && is_under(m.path, files)) {
        // SAFETY: the range is a whole mapping of this process, read from the
        // kernel's own list, and it is not writable: MADV_DONTNEED on it
        // changes no byte any reader can see, only whether the page is mapped
        // now (a later read maps it back from the page cache). If the mapping
        // was removed since the list was read, madvise fails with ENOMEM and
        // nothing happens.
        let rc = unsafe { libc::madvise(m.start as *mut libc::c_void, m.end - m.start, libc::MADV_DONTNEED) };
        if rc == 0 {
            advised += m.end - m.start;
        } else {
            tracing::debug!(file = m.path, "madvise(MADV_DONTNEED) failed: {}", std::io::Error::last_os_error());
        }
    }
    advised
}

/// Resident bytes of this process's mappings of `files` (files, or folders
/// whose files count), from `/proc/self/smaps`; 0 where it cannot be read.
pub fn resident_bytes(files: &[&Path]) -> u64 {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return 0 };
    let (mut ours, mut total) = (false, 0);
    for line in smaps.lines() {
        if let Some(m) = parse_line(line) {
            ours = is_under(m.path, files);
        } else if line.split_once(' ').is_some_and(|(range, _)| range.contains('-') && !range.ends_with(':')) {
            ours = false; // an anonymous mapping's header
        } else if let Some(kb) = line.strip_prefix("Rss:").filter(|_| ours) {
            total += kb.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap_or(0) << 10;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek};

    #[test]
    fn parses_file_mappings_and_their_write_permission() {
        let ro = parse_line("7f68aa53b000-7f68aa53d000 r--s 0153b000 fe:00 10010678                   /tmp/c/62.blob").unwrap();
        assert_eq!(ro, Mapping { start: 0x7f68aa53b000, end: 0x7f68aa53d000, writable: false, path: "/tmp/c/62.blob" });
        let rw = parse_line("55d0c0000000-55d0c0021000 rw-p 00000000 fe:00 12 /tmp/a b.bin").unwrap();
        assert!(rw.writable);
        assert_eq!(rw.path, "/tmp/a b.bin");
        assert_eq!(parse_line("7ffd6c1a0000-7ffd6c1c1000 rw-p 00000000 00:00 0                          [stack]"), None);
        assert_eq!(parse_line("7ffd6c1a0000-7ffd6c1c1000 rw-p 00000000 00:00 0"), None);
        assert_eq!(parse_line("garbage"), None);
    }

    #[test]
    fn matches_files_and_folders_and_deleted_files() {
        let dir = Path::new("/cache/graphs/abc");
        let bin = Path::new("/models/v1/ssd.bin");
        assert!(is_under("/cache/graphs/abc/1417.blob", &[dir, bin]));
        assert!(is_under("/models/v1/ssd.bin", &[dir, bin]));
        assert!(is_under("/models/v1/ssd.bin (deleted)", &[dir, bin]));
        assert!(!is_under("/cache/graphs/abcd/1417.blob", &[dir, bin]));
        assert!(!is_under("/models/v1/ssd.bin.old", &[dir, bin]));
    }

    /// A real read-only mapping of a file: after `release` its pages are no
    /// longer resident in this process, and reading it still gives the file's
    /// bytes. A writable mapping of the same file keeps what was written.
    #[test]
    fn releases_a_read_only_mapping_and_its_bytes_read_back_the_same() {
        let root = crate::test_files::scratch();
        let bytes: Vec<u8> = (0..4u32 << 20).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        let path = crate::test_files::file(&root, "weights.bin", &bytes);
        let mut file = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        // SAFETY: fresh mappings of a file this test owns, read only through
        // slices of their own length, unmapped at the end.
        let (ro, rw) = unsafe {
            let ro = libc::mmap(std::ptr::null_mut(), bytes.len(), libc::PROT_READ, libc::MAP_SHARED, fd, 0);
            let rw = libc::mmap(std::ptr::null_mut(), bytes.len(), libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, fd, 0);
            assert!(ro != libc::MAP_FAILED && rw != libc::MAP_FAILED);
            (ro as *mut u8, rw as *mut u8)
        };
        let view = |p: *mut u8| unsafe { std::slice::from_raw_parts(p, bytes.len()) };
        assert_eq!(view(ro), &bytes[..]);
        unsafe { *rw = bytes[0].wrapping_add(1) };
        let resident = |p: *mut u8| {
            let mut pages = vec![0u8; bytes.len().div_ceil(4096)];
            assert_eq!(unsafe { libc::mincore(p as *mut libc::c_void, bytes.len(), pages.as_mut_ptr()) }, 0);
            pages.iter().filter(|b| **b & 1 == 1).count()
        };
        let mapped_before = resident_bytes(&[&path]);
        assert!(mapped_before >= 4 << 20, "the read mapped the file's pages: {mapped_before}");
        assert_eq!(release(&[&root]), bytes.len(), "only the read-only mapping is advised");
        let mapped_after = resident_bytes(&[&path]);
        assert!(mapped_after <= 8 << 10, "the read-only mapping's pages are gone from the resident set, the private one's written page stays: {mapped_after}");
        assert!(resident(ro) > 0, "the pages are still in the page cache");
        assert_eq!(view(ro), &bytes[..], "the bytes read back the same");
        assert_eq!(unsafe { *rw }, bytes[0].wrapping_add(1), "the writable mapping kept its write");
        let mut on_disk = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut on_disk).unwrap();
        assert_eq!(on_disk, bytes);
        unsafe {
            libc::munmap(ro as *mut libc::c_void, bytes.len());
            libc::munmap(rw as *mut libc::c_void, bytes.len());
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
