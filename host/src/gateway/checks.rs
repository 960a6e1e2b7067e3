//! Auditing what passes the gateway with glint's policy: the texts of a
//! `data` array joined as one text check, then each image (uploaded,
//! referenced as a file of the upstream, or inline as a data URL) as an
//! image check. Decisions go to the same audit log and metrics as `glint up`.

use bytes::Bytes;
use serde_json::Value;

use super::Gateway;
use super::gradio::{Collected, collect};
use crate::audit::{AuditEnv, Content, Decision};
use crate::store::AuditContext;

/// Content gathered for one audit: texts and image bytes.
#[derive(Default)]
pub struct Gathered {
    pub texts: Vec<String>,
    pub images: Vec<Bytes>,
    /// The upstream files among `images`, by path.
    pub files: Vec<String>,
}

/// Whether `bytes` are an image of a format the image crate knows.
pub fn is_image(bytes: &[u8]) -> bool {
    image::guess_format(bytes).is_ok()
}

impl Gateway {
    /// Texts and images of a `data` value; files are read from the upstream
    /// unless the gateway audited them already. `Err` is a message for the
    /// client (a file it cannot audit).
    pub(super) async fn gather(&self, collected: Collected, prefix: &str) -> Result<Gathered, String> {
        let images = collected.inline_images.into_iter().map(Bytes::from).collect();
        let mut g = Gathered { texts: collected.texts, images, files: Vec::new() };
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
                Ok((200, bytes)) if is_image(&bytes) => {
                    g.images.push(bytes);
                    g.files.push(path);
                }
                Ok((200, _)) => {}
                Ok((status, _)) => {
                    return Err(format!("the file {path} could not be read from the Gradio app for auditing (HTTP {status})"));
                }
                Err(e) => return Err(format!("the file {path} could not be audited: {e}")),
            }
        }
        Ok(g)
    }

    /// Audits a `data` value (a call's inputs or outputs) at `stage`: the
    /// block message if it is stopped. Files it fetched are remembered as
    /// audited, or withheld when the value is blocked.
    pub(super) async fn audit_data(&self, stage: &'static str, data: &Value, prefix: &str, cx: &AuditContext) -> Option<String> {
        let gathered = match self.gather(collect(data), prefix).await {
            Err(message) => return Some(message),
            Ok(g) if g.texts.is_empty() && g.images.is_empty() => return None,
            Ok(g) => g,
        };
        let files = gathered.files.clone();
        let blocked = self.audit(stage, gathered, cx.clone()).await;
        for path in &files {
            if blocked.is_some() { self.files.withhold(path) } else { self.files.mark_audited(path) }
        }
        blocked
    }

    /// Runs the checks of `stage` on `content` and logs them; the block
    /// message if one stopped it.
    pub(super) async fn audit(&self, stage: &'static str, content: Gathered, cx: AuditContext) -> Option<String> {
        let glint = self.glint.clone();
        let (decisions, blocked) = tokio::task::spawn_blocking(move || {
            let mut trail: Vec<Decision> = Vec::new();
            let Some(audit) = &glint.audit else { return (trail, None) };
            let env = AuditEnv { plugins: &glint.plugins, models: &glint.models, metrics: &glint.metrics };
            let text = content.texts.join("\n");
            let mut result = if text.is_empty() { Ok(()) } else { audit.check(&env, stage, Content::Prompt(&text), &mut trail) };
            for bytes in &content.images {
                if result.is_err() {
                    break;
                }
                result = audit.check(&env, stage, Content::Image(bytes, None), &mut trail);
            }
            (trail, result.err().map(|e| e.message))
        })
        .await
        .unwrap_or_else(|e| (Vec::new(), Some(format!("the audit task failed: {e}"))));
        if let Err(e) = self.store.log_audit(&cx, &decisions).await {
            tracing::error!("writing {} audit decisions failed: {e}", decisions.len());
        }
        blocked
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
