//! The audit's frame reader: every frame of a GIF, APNG or animated WebP
//! (and stills), within its frame and pixel limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut frames = 0;
    let _ = glint_audit_core::frames::for_each_frame(data, 1_000_000, |f| {
        assert!(u64::from(f.width()) * u64::from(f.height()) <= 1_000_000);
        frames += 1;
        Ok(())
    });
    assert!(frames <= glint_audit_core::frames::MAX_FRAMES);
});
