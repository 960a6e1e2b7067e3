//! The detector's image reading: the format sniffing, the header check
//! against the pixel limit (before any decoding) and the decoders.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(img) = glint_detect_core::image_prep::decode(data, 1_000_000) {
        assert!(u64::from(img.width()) * u64::from(img.height()) <= 1_000_000, "the pixel limit held");
    }
});
