//! Text in the PDF. Each character is drawn with the first of the report's
//! fonts that has a glyph for it (Latin from one, Chinese from another);
//! every font drawn with is embedded as a subset of exactly the glyphs used,
//! as a CID font (Identity-H) with a ToUnicode map, so the text can be
//! selected, copied and searched (pdftotext reads it back).

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::Face;

use super::super::ExportError;

struct Font<'a> {
    data: &'a [u8],
    face: Face<'a>,
    /// Original glyph id → the subset's (its CID).
    remapper: GlyphRemapper,
    /// Subset glyph id → the character it draws.
    chars: std::collections::BTreeMap<u16, char>,
}

pub struct FontSet<'a> {
    fonts: Vec<Font<'a>>,
}

/// A run of text in one font: the font's index and its CIDs, big-endian.
pub struct Run {
    pub font: usize,
    pub cids: Vec<u8>,
}

impl<'a> FontSet<'a> {
    pub fn new(data: &'a [Vec<u8>]) -> Result<FontSet<'a>, ExportError> {
        if data.is_empty() {
            return Err(ExportError::InvalidInput("the PDF report needs at least one font in the report".into()));
        }
        let fonts = data
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let face = Face::parse(d, 0).map_err(|e| ExportError::InvalidInput(format!("font {i} cannot be read ({e})")))?;
                Ok(Font { data: d, face, remapper: GlyphRemapper::new(), chars: Default::default() })
            })
            .collect::<Result<Vec<_>, ExportError>>()?;
        Ok(FontSet { fonts })
    }

    /// The font and glyph that draw `c`: the first font that has it, else font 0's .notdef.
    fn glyph(&self, c: char) -> (usize, u16) {
        self.fonts
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.face.glyph_index(c).map(|g| (i, g.0)))
            .unwrap_or((0, 0))
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .filter(|c| !c.is_control())
            .map(|c| {
                let (i, g) = self.glyph(c);
                let face = &self.fonts[i].face;
                f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)) * size / f32::from(face.units_per_em())
            })
            .sum()
    }

    /// `text` as runs of one font each, its glyphs recorded for the subsets.
    pub fn encode(&mut self, text: &str) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for c in text.chars().filter(|c| !c.is_control()) {
            let (i, g) = self.glyph(c);
            let font = &mut self.fonts[i];
            let cid = font.remapper.remap(g);
            font.chars.entry(cid).or_insert(c);
            match runs.last_mut() {
                Some(run) if run.font == i => run.cids.extend(cid.to_be_bytes()),
                _ => runs.push(Run { font: i, cids: cid.to_be_bytes().to_vec() }),
            }
        }
        runs
    }

    /// The resource name of font `i` in content streams.
    pub fn name(i: usize) -> Vec<u8> {
        format!("F{i}").into_bytes()
    }

    /// Embeds every font that drew something; its resource name and object.
    pub fn embed(&self, pdf: &mut Pdf, next: &mut impl FnMut() -> Ref) -> Result<Vec<(Vec<u8>, Ref)>, ExportError> {
        let mut out = Vec::new();
        for (i, f) in self.fonts.iter().enumerate().filter(|(_, f)| !f.chars.is_empty()) {
            let subset = subsetter::subset(f.data, 0, &f.remapper)
                .map_err(|e| ExportError::Internal(format!("font {i} cannot be subset ({e:?})")))?;
            let (type0, cid, descriptor, file, cmap) = (next(), next(), next(), next(), next());
            let base = format!("{}+{}", tag(i, &f.chars), postscript_name(&f.face, i));
            let base = Name(base.as_bytes());
            let units = f32::from(f.face.units_per_em());
            let scale = |v: i16| f32::from(v) * 1000.0 / units;

            pdf.type0_font(type0).base_font(base).encoding_predefined(Name(b"Identity-H")).descendant_font(cid).to_unicode(cmap);
            let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
            let mut font = pdf.cid_font(cid);
            font.subtype(CidFontType::Type2).base_font(base).system_info(system).font_descriptor(descriptor).default_width(0.0);
            font.cid_to_gid_map_predefined(Name(b"Identity"));
            let widths: Vec<f32> = f
                .remapper
                .remapped_gids()
                .map(|old| f32::from(f.face.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0)) * 1000.0 / units)
                .collect();
            font.widths().consecutive(0, widths);
            font.finish();

            let b = f.face.global_bounding_box();
            let mut d = pdf.font_descriptor(descriptor);
            d.name(base)
                .flags(FontFlags::SYMBOLIC)
                .bbox(Rect::new(scale(b.x_min), scale(b.y_min), scale(b.x_max), scale(b.y_max)))
                .italic_angle(0.0)
                .ascent(scale(f.face.ascender()))
                .descent(scale(f.face.descender()))
                .cap_height(scale(f.face.capital_height().unwrap_or(f.face.ascender())))
                .stem_v(80.0)
                .font_file2(file);
            d.finish();
            pdf.stream(file, &miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6)).filter(Filter::FlateDecode);

            let mut map = UnicodeCmap::new(Name(b"Custom"), system);
            for (&cid, &c) in &f.chars {
                map.pair(cid, c);
            }
            pdf.cmap(cmap, &map.finish());
            out.push((Self::name(i), type0));
        }
        Ok(out)
    }
}

fn postscript_name(face: &Face<'_>, i: usize) -> String {
    face.names()
        .into_iter()
        .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .and_then(|n| n.to_string())
        .map(|s| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("GlintFont{i}"))
}

/// The six-letter subset tag PDF wants, derived from what the subset holds.
fn tag(i: usize, chars: &std::collections::BTreeMap<u16, char>) -> String {
    let mut h: u32 = 2_166_136_261 ^ i as u32;
    for (&cid, &c) in chars {
        for b in cid.to_le_bytes().into_iter().chain((c as u32).to_le_bytes()) {
            h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
        }
    }
    (0..6).map(|k| (b'A' + ((h >> (k * 5)) % 26) as u8) as char).collect()
}
