//! Every bad input gets a clear error of the right kind, and nothing panics.

use glint::nn::BackendKind::Openvino;
use glint::{DetectInput, ErrorKind, GlintError, Glint};
use glint_tests::{config, glint, input, sample};

fn fails(glint: &Glint, input: &DetectInput) -> GlintError {
    match glint.detect(input) {
        Ok(out) => panic!("expected an error, got {out:?}"),
        Err(e) => e,
    }
}

fn check(e: GlintError, kind: ErrorKind, words: &[&str]) {
    assert_eq!(e.kind, kind, "{e}");
    for w in words {
        assert!(e.message.contains(w), "{w:?} is not in {:?}", e.message);
    }
}

#[test]
fn bytes_that_are_not_an_image() {
    let mut i = input("chelsea.png", "a cat");
    i.image = b"%PDF-1.7 this is not an image".to_vec();
    check(fails(glint(Openvino), &i), ErrorKind::InvalidInput, &["not a JPEG, PNG or WebP"]);
    i.image.clear();
    check(fails(glint(Openvino), &i), ErrorKind::InvalidInput, &["empty"]);
}

#[test]
fn truncated_jpeg() {
    let mut i = input("rocket.jpg", "a rocket");
    let full = sample("rocket.jpg");
    i.image = full[..full.len() / 3].to_vec();
    check(fails(glint(Openvino), &i), ErrorKind::InvalidInput, &["JPEG"]);
}

/// A 58-byte PNG whose header claims 30000 x 30000 pixels: refused from the
/// header, before any pixel memory is allocated.
#[test]
fn png_header_claiming_30000_by_30000() {
    let mut i = input("chelsea.png", "a cat");
    i.image = png_claiming(30_000, 30_000);
    check(fails(glint(Openvino), &i), ErrorKind::TooLarge, &["30000x30000", "limit"]);
}

#[test]
fn pixel_limit_is_configurable() {
    let mut c = config(Some(Openvino));
    c.limits.max_pixels = 100_000; // chelsea is 451 x 300 = 135300
    let g = Glint::open(c).unwrap();
    check(fails(&g, &input("chelsea.png", "a cat")), ErrorKind::TooLarge, &["451x300", "100000"]);
}

#[test]
fn image_byte_limit() {
    let mut c = config(Some(Openvino));
    c.limits.max_image_bytes = 1000;
    let g = Glint::open(c).unwrap();
    check(fails(&g, &input("chelsea.png", "a cat")), ErrorKind::TooLarge, &["bytes", "1000"]);
}

#[test]
fn empty_and_overlong_prompts() {
    for prompt in ["", "   ", " . . "] {
        check(fails(glint(Openvino), &input("chelsea.png", prompt)), ErrorKind::InvalidInput, &["prompt"]);
    }
    let long = "a cat . ".repeat(200);
    check(fails(glint(Openvino), &input("chelsea.png", &long)), ErrorKind::InvalidInput, &["1600 characters", "1000"]);
    let many = (0..40).map(|i| format!("thing{i}")).collect::<Vec<_>>().join(" . ");
    check(fails(glint(Openvino), &input("chelsea.png", &many)), ErrorKind::InvalidInput, &["40 phrases"]);
}

#[test]
fn threshold_outside_zero_one() {
    for t in [-0.1, 1.5, f32::NAN] {
        let mut i = input("chelsea.png", "a cat");
        i.threshold = t;
        check(fails(glint(Openvino), &i), ErrorKind::InvalidInput, &["threshold"]);
    }
}

#[test]
fn unknown_model_lists_the_known_ones() {
    let mut i = input("chelsea.png", "a cat");
    i.model = Some("glip-tiny".into());
    check(fails(glint(Openvino), &i), ErrorKind::UnknownModel, &["glip-tiny", "coco-grounded-v1"]);
    i.model = Some("../../etc/passwd".into());
    check(fails(glint(Openvino), &i), ErrorKind::UnknownModel, &["installed versions"]);
}

fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
