//! `spin.toml` as `glint up` reads it: Spin's v2 manifest with glint's
//! settings under `[application.tool.glint]` (limits, audit policy, live
//! settings, server limits, experiments). Any text gets a manifest or a
//! located error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = glint::fuzzing::spin_manifest(text) {
            assert!(e.starts_with("spin.toml:"), "an error names the file: {e}");
        }
    }
});
