//! The `glint` command line.

mod cli;

fn main() -> std::process::ExitCode {
    // Like any Unix filter: when the reader of stdout goes away (`glint … |
    // head`), end quietly instead of panicking on the broken pipe.
    // SAFETY: called before any thread starts; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    keep_large_blocks_off_the_heap();
    cli::run()
}

/// glibc serves blocks of 128 KiB and more with mmap, but each time such a
/// block is freed it raises that threshold to the block's size (up to
/// 32 MiB), after which blocks of that size come from the heap and stay
/// resident when freed. Loading a model version frees blocks of tens of MiB
/// (the graph files, ONNX Runtime's parse buffers), so every later buffer of
/// up to 32 MiB stayed in the heap. Setting the threshold turns the
/// adjustment off; at 1 MiB an upload (a 240 KB photo) is still reused from
/// the heap rather than mapped and unmapped per request (128 KiB cost a
/// cached detection ~0.08 ms more for ~9 MB less peak). Measured on
/// `glint up` (ONNX Runtime): ready at 275 instead of 311 MiB.
///
/// Freed memory at the top of a heap is given back to the system past the
/// trim threshold (128 KiB), so the next upload's buffers faulted their pages
/// in again; at 8 MiB a cached detection took ~0.09 ms less
/// (scripts/request-cost.sh) and the peak RSS under load-compare moved by
/// under 2%.
fn keep_large_blocks_off_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    }
}
