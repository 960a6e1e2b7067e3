//! What an output's text makes a browser load when Gradio renders it as
//! Markdown or HTML (a `gr.Markdown`, `gr.HTML`, a chatbot message): the
//! `src`, `srcset`, `poster`, `data` and `href` of tags that load
//! (img, iframe, video, audio, source, track, embed, object, input, link,
//! script, image, use, base), Markdown images (`![alt](url)` and reference
//! style), and CSS `url(…)` / `@import`. Links a person has to click are not
//! loads and are left alone.
//!
//! Every text is scanned, whatever component shows it: the gateway does not
//! know which outputs render markup, and a text that only mentions such a
//! tag is rare.

use std::ops::Range;
use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;

/// One URL in a text, by byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub range: Range<usize>,
    pub url: String,
}

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<\s*(img|iframe|frame|video|audio|source|track|embed|object|input|link|script|image|use|base|picture|body|table|td)\b")
        .expect("valid regex")
});
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:^|[\s"'/])(src|srcset|poster|data|href|xlink:href|background)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#)
        .expect("valid regex")
});
static MD_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"!\[(?:[^\]\\]|\\.)*\]\(\s*(?:<([^>\n]*)>|([^)\s]+))(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)"#).expect("valid regex")
});
static MD_IMAGE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!\[((?:[^\]\\]|\\.)*)\](?:\[((?:[^\]\\]|\\.)*)\])?").expect("valid regex"));
static MD_DEFINITION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^ {0,3}\[((?:[^\]\\]|\\.)+)\]:[ \t]*(?:<([^>\n]*)>|(\S+))").expect("valid regex"));
static CSS_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s"']*))\s*\)|@import\s+["']([^"']+)["']"#).expect("valid regex")
});

/// Every loading reference in `text`, in order of position.
pub fn find(text: &str) -> Vec<Reference> {
    let mut refs = Vec::new();
    for tag in TAG.find_iter(text) {
        let attrs_end = tag_end(text, tag.end());
        let attrs = &text[tag.end()..attrs_end];
        for cap in ATTRIBUTE.captures_iter(attrs) {
            let name = cap[1].to_ascii_lowercase();
            let Some(value) = cap.get(2).or(cap.get(3)).or(cap.get(4)) else { continue };
            let base = tag.end() + value.start();
            if name == "srcset" {
                refs.extend(srcset(value.as_str(), base));
            } else {
                push(&mut refs, base, value.as_str());
            }
        }
    }
    for cap in MD_IMAGE.captures_iter(text) {
        if let Some(url) = cap.get(1).or(cap.get(2)) {
            push(&mut refs, url.start(), url.as_str());
        }
    }
    let labels: Vec<String> = MD_IMAGE_REF
        .captures_iter(text)
        .filter(|c| !text[c.get(0).map_or(0, |m| m.end())..].starts_with('('))
        .map(|c| c.get(2).filter(|l| !l.as_str().is_empty()).unwrap_or_else(|| c.get(1).expect("group 1")).as_str().to_lowercase())
        .collect();
    if !labels.is_empty() {
        for cap in MD_DEFINITION.captures_iter(text) {
            if labels.contains(&cap[1].to_lowercase())
                && let Some(url) = cap.get(2).or(cap.get(3))
            {
                push(&mut refs, url.start(), url.as_str());
            }
        }
    }
    for cap in CSS_URL.captures_iter(text) {
        if let Some(url) = (1..=4).find_map(|i| cap.get(i)) {
            push(&mut refs, url.start(), url.as_str());
        }
    }
    refs.sort_by_key(|r| r.range.start);
    refs.dedup();
    refs
}

/// Where the tag whose attributes start at `from` ends: its `>` outside
/// quotes, or the end of the text (an unfinished tag is scanned too).
fn tag_end(text: &str, from: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (i, b) in text.as_bytes()[from..].iter().enumerate() {
        match (quote, *b) {
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), b) if b == q => quote = None,
            (None, b'>') => return from + i,
            _ => {}
        }
    }
    text.len()
}

fn srcset(value: &str, base: usize) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut offset = 0;
    for candidate in value.split(',') {
        let trimmed = candidate.trim_start();
        let start = offset + (candidate.len() - trimmed.len());
        let url = trimmed.split_whitespace().next().unwrap_or("");
        if !url.is_empty() {
            out.push(Reference { range: base + start..base + start + url.len(), url: url.to_string() });
        }
        offset += candidate.len() + 1;
    }
    out
}

fn push(refs: &mut Vec<Reference>, start: usize, url: &str) {
    let trimmed = url.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return;
    }
    let lead = url.len() - url.trim_start().len();
    refs.push(Reference { range: start + lead..start + lead + trimmed.len(), url: trimmed.to_string() });
}

/// Where a referenced URL points, for auditing.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// The Gradio app (a relative URL, or the app's or the gateway's own
    /// address): fetched from the app with this path and query.
    Upstream(String),
    /// A `data:` URL's bytes.
    Inline(Vec<u8>),
    /// An `http://` URL on a host the policy lists: fetched and audited.
    Listed(String),
    /// Anywhere else (other hosts, other schemes): never fetched.
    External,
}

/// Classifies `url` as seen by a browser on a page of the gateway.
/// `ours` are the authorities (`host:port`) that mean the app itself: the
/// upstream's and the one the client reaches the gateway by.
pub fn target(url: &str, ours: &[&str], fetch_hosts: &[String]) -> Target {
    if let Some(rest) = strip_prefix_ci(url, "data:") {
        return match data_url(rest) {
            Some(bytes) => Target::Inline(bytes),
            None => Target::External,
        };
    }
    let (scheme, rest) = match url.find(':') {
        Some(i) if url[..i].chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) && !url[..i].is_empty() => {
            (Some(url[..i].to_ascii_lowercase()), &url[i + 1..])
        }
        _ => (None, url),
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return match scheme {
            None if url.starts_with('/') => Target::Upstream(url.to_string()),
            None => Target::Upstream(format!("/{url}")),
            // javascript:, blob:, mailto:… never point at the app.
            Some(_) => Target::External,
        };
    };
    if !matches!(scheme.as_deref(), None | Some("http") | Some("https")) {
        return Target::External;
    }
    let end = after_slashes.find(['/', '?', '#']).unwrap_or(after_slashes.len());
    let authority = after_slashes[..end].to_ascii_lowercase();
    let path = match &after_slashes[end..] {
        "" => "/".to_string(),
        p if p.starts_with('/') => p.to_string(),
        p => format!("/{p}"),
    };
    let with_port = |a: &str, https: bool| if a.contains(':') { a.to_string() } else { format!("{a}:{}", if https { 443 } else { 80 }) };
    let https = scheme.as_deref() == Some("https");
    if ours.iter().any(|o| with_port(&o.to_ascii_lowercase(), https) == with_port(&authority, https)) {
        return Target::Upstream(path);
    }
    let host = authority.rsplit_once(':').map_or(authority.as_str(), |(h, _)| h);
    if scheme.as_deref() == Some("http") && fetch_hosts.iter().any(|h| h.eq_ignore_ascii_case(&authority) || h.eq_ignore_ascii_case(host)) {
        return Target::Listed(format!("http://{authority}{path}"));
    }
    Target::External
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| &s[prefix.len()..])
}

/// The bytes of a data URL's `rest` (after `data:`): base64 or percent-encoded.
pub fn data_url(rest: &str) -> Option<Vec<u8>> {
    let (meta, payload) = rest.split_once(',')?;
    // `mime/type;param;base64`: no spaces, or it is prose that starts with "data:".
    if meta.contains(char::is_whitespace) {
        return None;
    }
    if meta.to_ascii_lowercase().ends_with(";base64") {
        let clean: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(clean).ok()
    } else {
        Some(form_urlencoded::parse(format!("x={}", payload.replace('+', "%2B")).as_bytes()).next()?.1.into_owned().into_bytes())
    }
}

/// `text` with each reference whose URL `replacement` maps to `Some` replaced.
pub fn rewrite(text: &str, refs: &[Reference], replacement: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in refs {
        if r.range.start < at {
            continue;
        }
        if let Some(new) = replacement(&r.url) {
            out.push_str(&text[at..r.range.start]);
            out.push_str(&new);
            at = r.range.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<String> {
        find(text).into_iter().map(|r| r.url).collect()
    }

    #[test]
    fn finds_what_loads() {
        assert_eq!(urls(r#"<img alt="a>b" src="http://x/a.png">"#), ["http://x/a.png"]);
        assert_eq!(urls("<IMG SRC=http://x/b.png>"), ["http://x/b.png"]);
        assert_eq!(urls("<iframe src='//evil.example/'></iframe>"), ["//evil.example/"]);
        assert_eq!(urls(r#"<video poster="p.jpg"><source src="v.mp4"></video>"#), ["p.jpg", "v.mp4"]);
        assert_eq!(urls(r#"<img srcset="a.png 1x, b.png 2x">"#), ["a.png", "b.png"]);
        assert_eq!(urls("![cat](http://x/c.png \"title\") and ![](<d e.png>)"), ["http://x/c.png", "d e.png"]);
        assert_eq!(urls("![cat][pic]\n\n[pic]: http://x/r.png\n[other]: http://x/link"), ["http://x/r.png"]);
        assert_eq!(urls(r#"<div style="background: url('http://x/bg.png')">"#), ["http://x/bg.png"]);
        assert_eq!(urls("<style>@import \"http://x/s.css\";</style>"), ["http://x/s.css"]);
        // An unfinished tag at the end is scanned too.
        assert_eq!(urls("<img src=http://x/u.png"), ["http://x/u.png"]);
        // Links and anchors load nothing.
        assert!(urls("[a link](http://x/) <a href=\"http://x/\">x</a> <img src=\"#top\">").is_empty());
        assert!(urls("plain text, no markup").is_empty());
    }

    #[test]
    fn targets() {
        let ours = ["127.0.0.1:7861", "gw.example:8443"];
        let listed = vec!["cdn.example".to_string()];
        assert_eq!(target("/gradio_api/file=/tmp/a.png", &ours, &listed), Target::Upstream("/gradio_api/file=/tmp/a.png".into()));
        assert_eq!(target("file=/tmp/a.png", &ours, &listed), Target::Upstream("/file=/tmp/a.png".into()));
        assert_eq!(target("http://127.0.0.1:7861/x?y=1", &ours, &listed), Target::Upstream("/x?y=1".into()));
        assert_eq!(target("HTTP://GW.example:8443", &ours, &listed), Target::Upstream("/".into()));
        assert_eq!(target("http://cdn.example/p.png", &ours, &listed), Target::Listed("http://cdn.example/p.png".into()));
        assert_eq!(target("https://cdn.example/p.png", &ours, &listed), Target::External, "only http is fetched");
        assert_eq!(target("//evil.example/p.png", &ours, &listed), Target::External);
        assert_eq!(target("javascript:alert(1)", &ours, &listed), Target::External);
        assert_eq!(target("http://127.0.0.1:7862/", &ours, &listed), Target::External);
        assert_eq!(target("data:text/plain,hi%20there", &ours, &listed), Target::Inline(b"hi there".to_vec()));
        assert_eq!(target("data:image/png;base64,iVBO Rw==", &ours, &listed), Target::Inline(vec![0x89, 0x50, 0x4e, 0x47]));
        assert_eq!(data_url(" the results are, in short, good"), None);
    }

    #[test]
    fn rewrites_only_what_it_is_told() {
        let text = "a ![x](http://evil/x.png) b <img src=\"/ok.png\">";
        let refs = find(text);
        let out = rewrite(text, &refs, |u| u.starts_with("http://evil").then(|| "about:blank".to_string()));
        assert_eq!(out, "a ![x](about:blank) b <img src=\"/ok.png\">");
    }
}
