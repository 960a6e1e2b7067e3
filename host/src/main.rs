//! The `glint` command line.

mod cli;

fn main() -> std::process::ExitCode {
    // Like any Unix filter: when the reader of stdout goes away (`glint … |
    // head`), end quietly instead of panicking on the broken pipe.
    // SAFETY: called before any thread starts; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::run()
}
