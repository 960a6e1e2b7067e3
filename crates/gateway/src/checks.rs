//! Auditing what passes the gateway with glint's policy: the texts of a
//! `data` array joined as one text check, each image (uploaded, a file of
//! the app, a data URL, a resource an output loads) as an image check, text
//! files as text, and what no check can read (video, audio, PDF, SVG,
//! archives, resources on other hosts) by the policy alone. Decisions go to
//! the same audit log and metrics as `glint up`.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::Value;

use super::Gateway;
use super::gradio::{Api, Collected, collect};
use super::resources::{self, Target};
use super::streams::StreamContext;
use glint_audit::{AuditEnv, Content, Decision, ExternalResources, Outcome};
use glint_plugins::Action;
use glint_store::AuditContext;

/// Content gathered for one audit.
#[derive(Default)]
pub struct Gathered {
    pub texts: Vec<String>,
    pub images: Vec<Bytes>,
    /// The app's files among the content, by path: remembered as audited,
    /// or withheld when the content is blocked.
    pub files: Vec<String>,
    /// What no check can read, decided by the policy alone.
    pub unreadable: Vec<PolicyOnly>,
}

/// Content the policy decides without a check.
pub struct PolicyOnly {
    /// `file` or `resource`: the check is `<stage>.<kind>`.
    pub kind: &'static str,
    /// The reason code, e.g. `file.unreadable.video` or `resource.external`.
    pub reason: String,
    /// The file or URL, for the audit log.
    pub what: String,
    pub action: Action,
}

/// What a file's bytes are, to the audit.
#[derive(Debug, PartialEq, Eq)]
pub enum FileKind {
    /// JPEG, PNG, WebP or GIF: the image check reads it.
    Image,
    /// UTF-8 text that is not markup: the text check reads it.
    Text(String),
    /// Anything else, with a short name for the reason code.
    Unreadable(&'static str),
}

/// Sorts `bytes` into what the audit can read.
pub fn file_kind(bytes: &[u8]) -> FileKind {
    use image::ImageFormat as F;
    match image::guess_format(bytes) {
        Ok(F::Png | F::Jpeg | F::WebP | F::Gif) => return FileKind::Image,
        Ok(_) => return FileKind::Unreadable("image-format"),
        Err(_) => {}
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let kind = if starts(b"%PDF") {
        "pdf"
    } else if starts(b"PK\x03\x04") || starts(b"\x1f\x8b") || starts(b"7z\xbc\xaf") || starts(b"Rar!") {
        "archive"
    } else if bytes.get(4..8) == Some(b"ftyp") || starts(b"\x1a\x45\xdf\xa3") {
        "video"
    } else if starts(b"OggS") || starts(b"ID3") || starts(b"fLaC") || starts(b"\xff\xfb") || (starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE")) {
        "audio"
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) if !text.contains('\0') => {
                let head = text.trim_start().get(..256.min(text.trim_start().len())).unwrap_or("").to_ascii_lowercase();
                if head.starts_with('<') {
                    if head.contains("<svg") { "svg" } else { "markup" }
                } else {
                    return FileKind::Text(text.to_string());
                }
            }
            _ => "binary",
        }
    };
    FileKind::Unreadable(kind)
}

impl Gathered {
    /// Adds a file's or resource's bytes by what they are; `what` names it.
    pub fn add(&mut self, bytes: Bytes, what: &str, unreadable: Action) {
        match file_kind(&bytes) {
            FileKind::Image => self.images.push(bytes),
            FileKind::Text(t) => self.texts.push(t),
            FileKind::Unreadable(kind) => self.unreadable.push(PolicyOnly {
                kind: "file",
                reason: format!("file.unreadable.{kind}"),
                what: what.to_string(),
                action: unreadable,
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty() && self.images.is_empty() && self.unreadable.is_empty()
    }
}

impl Gateway {
    /// The verdict the policy gives files no check can read.
    pub(super) fn unreadable_action(&self) -> Action {
        self.glint.audit.as_ref().map_or(Action::Allow, |a| a.policy.unreadable_files())
    }

    /// Texts, images and files of a `data` value; the app's files are read
    /// from it unless the gateway audited them already. `Err` is a message
    /// for the client (a file it cannot read for auditing).
    pub(super) async fn gather(&self, collected: Collected, prefix: &str) -> Result<Gathered, String> {
        let mut g = Gathered { texts: collected.texts, ..Gathered::default() };
        let unreadable = self.unreadable_action();
        for bytes in collected.inline {
            g.add(Bytes::from(bytes), "a data URL", unreadable);
        }
        for file in collected.files {
            let Some(path) = file.path.or(file.url.clone()) else { continue };
            if self.files.was_audited(&path) {
                continue;
            }
            if path.starts_with("http://") || path.starts_with("https://") {
                return Err(format!(
                    "files given by URL ({path}) are not accepted through the gateway: upload the file instead"
                ));
            }
            let target = format!("{prefix}/file={}", url_path(&path));
            match self.upstream.fetch(&target, self.options.max_file_bytes).await {
                Ok((200, bytes)) => {
                    g.add(bytes, &path, unreadable);
                    g.files.push(path);
                }
                Ok((status, _)) => {
                    return Err(format!("the file {path} could not be read from the Gradio app for auditing (HTTP {status})"));
                }
                Err(e) => return Err(format!("the file {path} could not be audited: {e}")),
            }
        }
        Ok(g)
    }

    /// Reads the resources at `urls` (found in an output's text) into `g`:
    /// the app's own and the listed hosts' are fetched and sorted like files,
    /// data URLs decoded, anything else decided by the policy. Answers what
    /// each URL becomes for the client: the app's absolute URLs a path on
    /// the gateway, others left alone, or `about:blank` when the policy
    /// rewrites what it cannot audit.
    pub(super) async fn gather_resources(&self, urls: &[String], g: &mut Gathered, sc: &StreamContext) -> HashMap<String, Option<String>> {
        let mut out = HashMap::new();
        let Some(audit) = &self.glint.audit else { return out };
        let policy = &audit.policy.gateway;
        let unreadable = self.unreadable_action();
        let ours: Vec<&str> = sc.ours.iter().map(String::as_str).collect();
        for url in urls {
            let (fetched, replacement) = match resources::target(url, &ours, &policy.fetch_hosts) {
                Target::Inline(bytes) => {
                    g.add(Bytes::from(bytes), "a data URL", unreadable);
                    out.insert(url.clone(), None);
                    continue;
                }
                Target::Upstream(path) => {
                    let file = match Api::classify(&http::Method::GET, path.split('?').next().unwrap_or("")) {
                        Api::File(p) => Some(p),
                        _ => None,
                    };
                    let relative = url.contains("//").then(|| path.clone());
                    if file.as_ref().is_some_and(|p| self.files.was_audited(p)) {
                        out.insert(url.clone(), relative);
                        continue;
                    }
                    let fetched = self.upstream.fetch(&path, self.options.max_file_bytes).await;
                    if let (Ok((200, _)), Some(p)) = (&fetched, file) {
                        g.files.push(p);
                    }
                    (fetched, relative)
                }
                Target::Listed(full) => (self.upstream.fetch_url(&full, self.options.max_file_bytes).await, None),
                Target::External => {
                    self.refuse_resource(url, "resource.external", policy.external_resources, g, &mut out);
                    continue;
                }
            };
            match fetched {
                Ok((200, bytes)) => {
                    g.add(bytes, url, unreadable);
                    out.insert(url.clone(), replacement);
                }
                Ok((status, _)) => {
                    tracing::debug!("resource {url} answered {status}: not auditable");
                    self.refuse_resource(url, "resource.unavailable", policy.external_resources, g, &mut out);
                }
                Err(e) => {
                    tracing::debug!("resource {url} could not be fetched: {e}");
                    self.refuse_resource(url, "resource.unavailable", policy.external_resources, g, &mut out);
                }
            }
        }
        out
    }

    /// A resource that cannot be audited: pointed at nothing (a review) or
    /// blocking the output, as the policy says.
    fn refuse_resource(&self, url: &str, reason: &str, rule: ExternalResources, g: &mut Gathered, out: &mut HashMap<String, Option<String>>) {
        let action = match rule {
            ExternalResources::Rewrite => {
                out.insert(url.to_string(), Some("about:blank".to_string()));
                Action::Review
            }
            ExternalResources::Block => Action::Block,
        };
        g.unreadable.push(PolicyOnly { kind: "resource", reason: reason.to_string(), what: url.to_string(), action });
    }

    /// Audits a `data` value (a call's inputs) at `stage`: the block message
    /// if it is stopped. Files it fetched are remembered as audited, or
    /// withheld when the value is blocked.
    pub(super) async fn audit_data(&self, stage: &'static str, data: &Value, prefix: &str, cx: &AuditContext) -> Option<String> {
        let gathered = match self.gather(collect(data), prefix).await {
            Err(message) => return Some(message),
            Ok(g) if g.is_empty() => return None,
            Ok(g) => g,
        };
        self.audit(stage, gathered, cx).await
    }

    /// Runs the checks of `stage` on `content`, counts and logs them, and
    /// settles its files; the block message if one stopped it.
    pub(super) async fn audit(&self, stage: &'static str, content: Gathered, cx: &AuditContext) -> Option<String> {
        let files = content.files.clone();
        let (decisions, blocked) = self.run_checks(stage, content, true).await;
        self.settle_files(&files, blocked.is_some());
        self.log(cx, decisions).await;
        blocked
    }

    /// Remembers `files` as audited, or withholds them if their content was blocked.
    pub(super) fn settle_files(&self, files: &[String], blocked: bool) {
        for path in files {
            if blocked { self.files.withhold(path) } else { self.files.mark_audited(path) }
        }
    }

    /// Runs the checks of `stage` on `content`: the decisions, neither
    /// counted nor logged yet, and the block message if one stopped it.
    /// `memo_texts` looks text verdicts up in the memo (not for streamed
    /// pieces, which never repeat).
    pub(super) async fn run_checks(&self, stage: &'static str, content: Gathered, memo_texts: bool) -> (Vec<Decision>, Option<String>) {
        if content.is_empty() {
            return (Vec::new(), None);
        }
        let glint = self.glint.clone();
        tokio::task::spawn_blocking(move || {
            let mut decisions: Vec<Decision> = Vec::new();
            let Some(audit) = &glint.audit else { return (decisions, None) };
            let env = AuditEnv { plugins: &glint.plugins, models: &glint.models, metrics: &glint.metrics };
            let text = content.texts.join("\n");
            let texts = (!text.is_empty()).then(|| (Content::Prompt(&text), memo_texts));
            let images = content.images.iter().map(|b| (Content::Image(b, None), true));
            for (item, memo) in texts.into_iter().chain(images) {
                match audit.decide(&env, stage, item, memo) {
                    Ok(Some(d)) if d.blocks() => {
                        let message = d.message();
                        decisions.push(d);
                        return (decisions, Some(message));
                    }
                    Ok(Some(d)) => decisions.push(d),
                    Ok(None) => {}
                    Err(e) => return (decisions, Some(e.message)),
                }
            }
            for p in content.unreadable {
                let d = Decision {
                    check: format!("{stage}.{}", p.kind),
                    action: p.action,
                    reasons: vec![p.reason],
                    scores: Vec::new(),
                    outcome: Outcome::NotAuditable,
                    error: Some(format!("no check reads {}", p.what)),
                    latency_ms: 0.0,
                    policy_version: audit.policy.version.clone(),
                };
                let blocked = d.blocks().then(|| d.message());
                decisions.push(d);
                if blocked.is_some() {
                    return (decisions, blocked);
                }
            }
            (decisions, None)
        })
        .await
        .unwrap_or_else(|e| (Vec::new(), Some(format!("the audit task failed: {e}"))))
    }

    /// Counts `decisions` in the metrics and writes them to the audit log.
    pub(super) async fn log(&self, cx: &AuditContext, decisions: Vec<Decision>) {
        let Some(audit) = &self.glint.audit else { return };
        if decisions.is_empty() {
            return;
        }
        let env = AuditEnv { plugins: &self.glint.plugins, models: &self.glint.models, metrics: &self.glint.metrics };
        let mut trail = Vec::with_capacity(decisions.len());
        for d in decisions {
            let _ = audit.record(&env, d, &mut trail);
        }
        if let Err(e) = self.store.log_audit(cx, &trail).await {
            tracing::error!("writing {} audit decisions failed: {e}", trail.len());
        }
    }
}

/// A file path as it goes after `file=` (spaces and the like escaped).
fn url_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_sorted_by_what_the_audit_can_read() {
        assert_eq!(file_kind(b"\x89PNG\r\n\x1a\n...."), FileKind::Image);
        assert_eq!(file_kind(b"GIF89a......"), FileKind::Image);
        assert_eq!(file_kind(b"BM......"), FileKind::Unreadable("image-format"));
        assert_eq!(file_kind(b"%PDF-1.7"), FileKind::Unreadable("pdf"));
        assert_eq!(file_kind(b"\0\0\0\x18ftypmp42"), FileKind::Unreadable("video"));
        assert_eq!(file_kind(b"RIFF\0\0\0\0WAVEfmt "), FileKind::Unreadable("audio"));
        assert_eq!(file_kind(b"PK\x03\x04zip"), FileKind::Unreadable("archive"));
        assert_eq!(file_kind(b"  <svg xmlns='http://www.w3.org/2000/svg'/>"), FileKind::Unreadable("svg"));
        assert_eq!(file_kind(b"<!doctype html><p>hi"), FileKind::Unreadable("markup"));
        assert_eq!(file_kind(b"\xff\xfe\0b\0i\0n"), FileKind::Unreadable("binary"));
        assert_eq!(file_kind("a,b\n猫,1\n".as_bytes()), FileKind::Text("a,b\n猫,1\n".into()));
    }
}
