//! The PDF report: A4 pages, one result after another (a result that does
//! not fit continues on the next page). Each shows the site's title, when
//! and by whom the result was made, the model version, the detector
//! plugin's sha256 and the experiment arm, the prompt, the annotated image,
//! a table of the detections (phrase, label, score, box in pixels), how
//! each phrase was understood, the audit decisions, and the rating and
//! comment. Deterministic: no clock, no random ids.

mod fonts;
mod image;

use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, TextStr};

use super::{ExportError, ExportedResult, Report, utc};
use fonts::FontSet;

const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 42.0;
const BOTTOM: f32 = 56.0;
const GREY: (f32, f32, f32) = (0.38, 0.4, 0.45);
const INK: (f32, f32, f32) = (0.08, 0.09, 0.12);
/// The box colours of the annotated image, one per phrase (as glint draws them).
const ACCENT: (f32, f32, f32) = (0.23, 0.43, 0.85);

/// One page being laid out.
struct Page {
    content: Content,
    /// The images drawn on it (indices into the writer's pictures).
    images: Vec<usize>,
}

/// Lays text out top to bottom over as many pages as it takes.
struct Writer<'a> {
    fonts: FontSet<'a>,
    pages: Vec<Page>,
    y: f32,
    pictures: Vec<image::Picture>,
}

impl<'a> Writer<'a> {
    fn page(&mut self) {
        self.pages.push(Page { content: Content::new(), images: Vec::new() });
        self.y = HEIGHT - MARGIN;
    }

    /// Room for `h` points, or a new page.
    fn room(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.page();
        }
    }

    fn content(&mut self) -> &mut Content {
        &mut self.pages.last_mut().expect("a page").content
    }

    /// One line of text at (x, y) of the current page, no wrapping.
    fn text_at(&mut self, x: f32, y: f32, size: f32, colour: (f32, f32, f32), text: &str) {
        self.text_on(self.pages.len() - 1, x, y, size, colour, text);
    }

    /// One line of text at (x, y) of page `page`.
    fn text_on(&mut self, page: usize, x: f32, y: f32, size: f32, colour: (f32, f32, f32), text: &str) {
        let runs = self.fonts.encode(text);
        let c = &mut self.pages[page].content;
        c.set_fill_rgb(colour.0, colour.1, colour.2);
        c.begin_text();
        c.next_line(x, y);
        for run in runs {
            c.set_font(Name(&FontSet::name(run.font)), size);
            c.show(pdf_writer::Str(&run.cids));
        }
        c.end_text();
    }

    /// Text from the left margin, wrapped to `width`, advancing the line.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, colour: (f32, f32, f32), text: &str) {
        for line in self.wrap(text, size, width) {
            self.room(size * 1.35);
            self.y -= size * 1.35;
            self.text_at(x, self.y, size, colour, &line);
        }
    }

    fn heading(&mut self, text: &str) {
        self.room(34.0);
        self.y -= 22.0;
        self.text_at(MARGIN, self.y, 12.0, INK, text);
        self.y -= 4.0;
        let y = self.y;
        let c = self.content();
        c.set_stroke_rgb(0.85, 0.86, 0.9);
        c.set_line_width(0.6);
        c.move_to(MARGIN, y);
        c.line_to(WIDTH - MARGIN, y);
        c.stroke();
    }

    /// A row of cells at the given x offsets (each cell clipped to its column by wrapping).
    fn row(&mut self, cells: &[(f32, &str)], size: f32, colour: (f32, f32, f32)) {
        let widths: Vec<f32> = cells
            .iter()
            .enumerate()
            .map(|(i, (x, _))| cells.get(i + 1).map_or(WIDTH - MARGIN, |n| n.0) - x - 6.0)
            .collect();
        let wrapped: Vec<Vec<String>> = cells.iter().zip(&widths).map(|((_, t), w)| self.wrap(t, size, *w)).collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        self.room(lines as f32 * size * 1.35 + 2.0);
        let top = self.y;
        for ((x, _), cell) in cells.iter().zip(&wrapped) {
            for (k, line) in cell.iter().enumerate() {
                self.text_at(*x, top - (k + 1) as f32 * size * 1.35, size, colour, line);
            }
        }
        self.y = top - lines as f32 * size * 1.35 - 2.0;
    }

    /// Lines of `text` no wider than `width`: breaks at spaces, and between
    /// Chinese or Japanese characters, which have none.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in words(paragraph) {
                let candidate = format!("{line}{word}");
                if !line.is_empty() && self.fonts.width(candidate.trim_end(), size) > width {
                    lines.push(line.trim_end().to_string());
                    line = word.trim_start().to_string();
                } else {
                    line = candidate;
                }
            }
            lines.push(line.trim_end().to_string());
        }
        lines
    }

    fn image(&mut self, index: usize, max_w: f32, max_h: f32) {
        let p = &self.pictures[index];
        let scale = (max_w / p.width as f32).min(max_h / p.height as f32).min(1.5);
        let (w, h) = (p.width as f32 * scale, p.height as f32 * scale);
        self.room(h + 8.0);
        self.y -= h + 8.0;
        let (x, y) = (MARGIN, self.y);
        let page = self.pages.last_mut().expect("a page");
        page.images.push(index);
        let c = &mut page.content;
        c.save_state();
        c.transform([w, 0.0, 0.0, h, x, y]);
        c.x_object(Name(format!("Im{index}").as_bytes()));
        c.restore_state();
        c.set_stroke_rgb(0.85, 0.86, 0.9);
        c.set_line_width(0.6);
        c.rect(x, y, w, h);
        c.stroke();
    }
}

/// Splits text into words that keep their trailing space; each CJK
/// character is a word of its own.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        let cjk = matches!(c as u32, 0x3000..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F);
        if cjk {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            out.push(c.to_string());
        } else {
            current.push(c);
            if c == ' ' {
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The report as PDF bytes.
pub fn write(report: &Report) -> Result<Vec<u8>, ExportError> {
    let mut w = Writer { fonts: FontSet::new(&report.fonts)?, pages: Vec::new(), y: 0.0, pictures: Vec::new() };
    for result in &report.results {
        if let Some(png) = &result.annotated {
            w.pictures.push(image::decode(png)?);
        }
    }
    let mut picture = 0;
    for result in &report.results {
        w.page();
        let drawn = result.annotated.as_ref().map(|_| {
            picture += 1;
            picture - 1
        });
        result_pages(&mut w, report, result, drawn);
    }
    let total = w.pages.len();
    for n in 0..total {
        let footer = format!("glint · report generated {} · page {} of {total}", utc(report.generated_ms), n + 1);
        w.text_on(n, MARGIN, 30.0, 8.0, GREY, &footer);
    }
    assemble(w, report)
}

fn result_pages(w: &mut Writer<'_>, report: &Report, r: &ExportedResult, picture: Option<usize>) {
    let title = if report.site_title.is_empty() { "glint".to_string() } else { report.site_title.clone() };
    w.y -= 18.0;
    w.text_at(MARGIN, w.y, 18.0, INK, "Detection report");
    w.text_at(WIDTH - MARGIN - w.fonts.width(&title, 10.0), w.y + 4.0, 10.0, GREY, &title);
    w.y -= 8.0;
    let mut meta: Vec<(&str, String)> = vec![
        ("Time", utc(r.time_ms)),
        ("User", if r.user.is_empty() { "guest".into() } else { r.user.clone() }),
        ("Session", if r.session.is_empty() { "—".into() } else { r.session.clone() }),
        ("Model version", r.model_version.clone()),
        ("Detector plugin", format!("sha256 {}", r.plugin_sha256)),
        ("Result", r.id.clone()),
    ];
    if let Some(e) = &r.experiment {
        meta.push(("Experiment arm", e.clone()));
    }
    for (k, v) in &meta {
        w.row(&[(MARGIN, k), (MARGIN + 92.0, v)], 9.0, INK);
    }
    w.heading("Prompt");
    w.paragraph(MARGIN, WIDTH - 2.0 * MARGIN, 11.0, INK, &r.prompt);
    if let Some(i) = picture {
        w.heading(&format!("The image ({} × {} px) and what was found", r.width, r.height));
        w.image(i, WIDTH - 2.0 * MARGIN, 330.0);
    }
    w.heading(&format!("Detections ({})", r.detections.len()));
    let cols = [MARGIN, MARGIN + 150.0, MARGIN + 270.0, MARGIN + 330.0];
    w.row(&[(cols[0], "phrase"), (cols[1], "label"), (cols[2], "score"), (cols[3], "box (x0, y0, x1, y1) px")], 9.0, GREY);
    for d in &r.detections {
        let b = d.bbox;
        let bbox = format!("{:.0}, {:.0}, {:.0}, {:.0}", b.x0, b.y0, b.x1, b.y1);
        w.row(&[(cols[0], &d.phrase), (cols[1], &d.label), (cols[2], &format!("{:.2}", d.score)), (cols[3], &bbox)], 9.0, INK);
    }
    if r.detections.is_empty() {
        w.paragraph(MARGIN, WIDTH - 2.0 * MARGIN, 9.0, GREY, "Nothing was found above the threshold.");
    }
    if !r.phrases.is_empty() {
        w.heading("How each phrase was understood");
        for p in &r.phrases {
            let label = p.label.clone().unwrap_or_else(|| "not understood".into());
            w.row(&[(cols[0], &p.phrase), (cols[1], &label), (cols[2], &p.method), (cols[3], &format!("similarity {:.2}", p.similarity))], 9.0, INK);
        }
    }
    w.heading("Audit decisions");
    if r.audit.is_empty() {
        w.paragraph(MARGIN, WIDTH - 2.0 * MARGIN, 9.0, GREY, "None recorded for this result.");
    }
    for a in &r.audit {
        let colour = if a.verdict == "allow" { INK } else { (0.69, 0.0, 0.13) };
        w.row(&[(cols[0], &a.check), (cols[1], &a.verdict), (cols[2], &a.reasons.join(", "))], 9.0, colour);
    }
    w.heading("Rating");
    let rating = match r.rating {
        Some(n) => format!("{n} of 5 stars"),
        None => "not rated".into(),
    };
    w.paragraph(MARGIN, WIDTH - 2.0 * MARGIN, 10.0, ACCENT, &rating);
    if let Some(c) = r.comment.as_ref().filter(|c| !c.is_empty()) {
        w.paragraph(MARGIN, WIDTH - 2.0 * MARGIN, 10.0, INK, &format!("“{c}”"));
    }
}

/// Writes the objects: catalog, pages, content streams, images, fonts, info.
fn assemble(w: Writer<'_>, report: &Report) -> Result<Vec<u8>, ExportError> {
    let mut pdf = Pdf::new();
    let mut counter = 0;
    let mut next = move || {
        counter += 1;
        Ref::new(counter)
    };
    let (catalog, tree, info) = (next(), next(), next());
    let page_refs: Vec<(Ref, Ref)> = w.pages.iter().map(|_| (next(), next())).collect();
    let image_refs: Vec<Ref> = w.pictures.iter().map(|_| next()).collect();
    let fonts = w.fonts.embed(&mut pdf, &mut next)?;

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|(p, _)| *p)).count(page_refs.len() as i32);
    for (page, (page_ref, content_ref)) in w.pages.iter().zip(&page_refs) {
        let mut p = pdf.page(*page_ref);
        p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).parent(tree).contents(*content_ref);
        let mut resources = p.resources();
        let mut f = resources.fonts();
        for (name, r) in &fonts {
            f.pair(Name(name), *r);
        }
        f.finish();
        if !page.images.is_empty() {
            let mut x = resources.x_objects();
            for &i in &page.images {
                x.pair(Name(format!("Im{i}").as_bytes()), image_refs[i]);
            }
            x.finish();
        }
        resources.finish();
        p.finish();
    }
    for (page, (_, content_ref)) in w.pages.into_iter().zip(&page_refs) {
        let bytes = miniz_oxide::deflate::compress_to_vec_zlib(&page.content.finish(), 6);
        pdf.stream(*content_ref, &bytes).filter(pdf_writer::Filter::FlateDecode);
    }
    for (picture, r) in w.pictures.iter().zip(&image_refs) {
        let mut image = pdf.image_xobject(*r, &picture.deflated);
        image.filter(pdf_writer::Filter::FlateDecode);
        image.width(picture.width as i32).height(picture.height as i32);
        image.color_space().device_rgb();
        image.bits_per_component(8);
        image.finish();
    }
    let (y, mo, d, h, mi, s) = civil(report.generated_ms);
    let title = match report.results.as_slice() {
        [one] => format!("Detection report: {}", one.prompt),
        many => format!("Detection report: {} results", many.len()),
    };
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("glint export-pdf"))
        .creation_date(Date::new(y).month(mo).day(d).hour(h).minute(mi).second(s));
    Ok(pdf.finish())
}

/// (year, month, day, hour, minute, second) in UTC of milliseconds since the epoch.
fn civil(ms: i64) -> (u16, u8, u8, u8, u8, u8) {
    let s = utc(ms);
    let n = |a: usize, b: usize| s[a..b].parse::<u16>().unwrap_or(0);
    (n(0, 4), n(5, 7) as u8, n(8, 10) as u8, n(11, 13) as u8, n(14, 16) as u8, n(17, 19) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DejaVu Sans, which scripts/setup.sh installs (fonts-dejavu-core).
    fn dejavu() -> Vec<u8> {
        std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").expect("fonts-dejavu-core is installed by scripts/setup.sh")
    }

    /// An 8x8 orange PNG, written by hand.
    fn png() -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, 8, 8);
        e.set_color(png::ColorType::Rgb);
        e.write_header().unwrap().write_image_data(&[200, 120, 40].repeat(64)).unwrap();
        out
    }

    #[test]
    fn the_same_report_gives_the_same_bytes_and_embeds_a_subset() {
        let mut report = crate::tests::sample();
        report.fonts = vec![dejavu()];
        report.results[0].annotated = Some(png());
        let a = write(&report).unwrap();
        assert_eq!(a, write(&report).unwrap(), "deterministic");
        assert!(a.starts_with(b"%PDF-") && a.ends_with(b"%%EOF\n") || a.ends_with(b"%%EOF"), "a PDF");
        assert!(a.len() < 200_000, "the font is a subset: {} bytes", a.len());
        let text = String::from_utf8_lossy(&a);
        assert!(text.contains("/Subtype /Type0") && text.contains("/ToUnicode") && text.contains("/Subtype /Image"), "fonts and image");
        report.generated_ms += 1000;
        assert_ne!(a, write(&report).unwrap(), "the generation time is in the document");
    }

    #[test]
    fn long_reports_continue_on_more_pages_and_need_a_font() {
        let mut report = crate::tests::sample();
        let d = report.results[0].detections[0].clone();
        report.results[0].detections = vec![d; 120];
        report.fonts = vec![dejavu()];
        let pdf = write(&report).unwrap();
        let pages = String::from_utf8_lossy(&pdf).matches("/Type /Page\n").count() + String::from_utf8_lossy(&pdf).matches("/Type /Page ").count();
        assert!(pages >= 2, "{pages} pages");
        report.fonts.clear();
        assert!(write(&report).unwrap_err().to_string().contains("font"));
        report.fonts = vec![b"not a font".to_vec()];
        assert!(write(&report).unwrap_err().to_string().contains("cannot be read"));
    }

    #[test]
    fn words_break_at_spaces_and_between_cjk_characters() {
        assert_eq!(words("a cat 猫狗"), ["a ", "cat ", "猫", "狗"]);
    }
}
