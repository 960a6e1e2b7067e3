//! The annotated image in the PDF: the PNG decoded to 8-bit RGB (alpha
//! composited over white) and deflated, an image XObject any PDF reader draws.

use super::super::ExportError;

/// An image ready to embed: its size and its deflated RGB samples.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub deflated: Vec<u8>,
}

pub fn decode(png_bytes: &[u8]) -> Result<Picture, ExportError> {
    let bad = |e: png::DecodingError| ExportError::InvalidInput(format!("the annotated image is not a readable PNG ({e})"));
    let mut decoder = png::Decoder::new(png_bytes);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(bad)?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let samples = &buf[..info.buffer_size()];
    let over_white = |v: u8, a: u8| ((u16::from(v) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
    let rgb: Vec<u8> = match info.color_type {
        png::ColorType::Rgb => samples.to_vec(),
        png::ColorType::Rgba => samples.chunks_exact(4).flat_map(|p| [over_white(p[0], p[3]), over_white(p[1], p[3]), over_white(p[2], p[3])]).collect(),
        png::ColorType::Grayscale => samples.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => samples.chunks_exact(2).flat_map(|p| { let g = over_white(p[0], p[1]); [g, g, g] }).collect(),
        png::ColorType::Indexed => return Err(ExportError::Internal("the PNG palette was not expanded".into())),
    };
    Ok(Picture { width: info.width, height: info.height, deflated: miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 6) })
}
