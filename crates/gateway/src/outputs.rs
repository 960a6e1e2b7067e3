//! One call's outputs on their way to the client, message by message.
//!
//! The gateway keeps two copies of a streamed call's outputs: `upstream`,
//! rebuilt from the app's messages exactly as a Gradio client rebuilds them
//! (the first `process_generating` carries whole values, later ones
//! [`diff`] edits), and `sent`, what the client has rebuilt from the
//! gateway's messages. For each message it plans what is new to audit
//! (only the new part of each text, plus a seam before it), and after the
//! audit passes it releases a value in which every text that is still
//! streaming stops where [`holdback`] says, and every resource URL is
//! pointed where the audit said; the client gets the edits from `sent` to
//! that value. The last message (`process_completed`) carries whole values
//! and is audited whole.

use std::collections::HashMap;

use serde_json::Value;

use super::diff;
use super::gradio::{Collected, FileRef, data_url_bytes, is_file_data};
use super::holdback;
use super::resources;
use glint_audit::Decision;

/// Keys whose string values name things rather than say them (a message's
/// role, a file's type): audited whole when they change, never held back.
const STRUCTURAL: &[&str] = &["role", "type", "_type", "mime_type", "path", "url", "orig_name", "format", "status", "id", "key"];

/// Characters before the new part of a text that are audited with it, so a
/// phrase across the seam between two pieces is seen whole.
const SEAM_CHARS: usize = 64;

/// One call's outputs as the app sent them and as the client has them.
#[derive(Default)]
pub struct OutputStream {
    upstream: Option<Vec<Value>>,
    sent: Option<Vec<Value>>,
    /// Per string (by JSON path): the part already audited.
    audited: HashMap<String, String>,
    /// Resource URL → what the client gets instead (`None`: unchanged).
    resources: HashMap<String, Option<String>>,
    /// Decisions so far, logged as one summary when the call ends.
    pub decisions: Vec<Decision>,
}

/// What one message asks the gateway to audit.
#[derive(Default)]
pub struct Plan {
    pub collected: Collected,
    /// Resource URLs in what would be shown, not yet audited for this call.
    pub urls: Vec<String>,
    /// The texts this plan audits, by path: [`OutputStream::commit`] them once it passes.
    pub audited: Vec<(String, String)>,
}

impl OutputStream {
    /// Takes a message's `data`: whole values, or (`edits`) Gradio's edits
    /// against the values so far.
    pub fn absorb(&mut self, data: &Value, edits: bool) -> Result<(), String> {
        let items = data.as_array().ok_or("a streamed message's data is not a list of outputs")?;
        match &mut self.upstream {
            Some(values) if edits => {
                if items.len() != values.len() {
                    return Err(format!("a streamed message has {} outputs, the call has {}", items.len(), values.len()));
                }
                for (value, edit) in values.iter_mut().zip(items) {
                    *value = diff::apply(value.take(), edit)?;
                }
            }
            _ => self.upstream = Some(items.clone()),
        }
        Ok(())
    }

    /// What is new to audit. `finished`: the call's last message, audited whole.
    pub fn plan(&self, finished: bool, hold_chars: usize) -> Plan {
        let mut plan = Plan::default();
        for (i, v) in self.upstream.iter().flatten().enumerate() {
            self.plan_value(v, None, &mut format!("/{i}"), finished, hold_chars, &mut plan);
        }
        plan
    }

    fn plan_value(&self, v: &Value, key: Option<&str>, path: &mut String, finished: bool, hold: usize, plan: &mut Plan) {
        match v {
            Value::String(s) => self.plan_string(s, key, path, finished, hold, plan),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    self.plan_value(item, None, path, finished, hold, plan);
                    path.truncate(len);
                }
            }
            Value::Object(map) if is_file_data(map) => plan.collected.files.push(FileRef::of(map)),
            Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(k);
                    self.plan_value(item, Some(k), path, finished, hold, plan);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn plan_string(&self, s: &str, key: Option<&str>, path: &str, finished: bool, hold: usize, plan: &mut Plan) {
        let changed = self.audited.get(path).is_none_or(|a| a != s);
        if let Some(bytes) = data_url_bytes(s) {
            if finished || changed {
                plan.collected.inline.push(bytes);
                plan.audited.push((path.to_string(), s.to_string()));
            }
            return;
        }
        if s.trim().is_empty() {
            return;
        }
        if finished || key.is_some_and(|k| STRUCTURAL.contains(&k)) {
            if finished || changed {
                plan.collected.texts.push(s.to_string());
                plan.audited.push((path.to_string(), s.to_string()));
            }
            if finished {
                self.plan_urls(s, plan);
            }
            return;
        }
        let cut = holdback::cut(s, hold);
        let complete = &s[..cut.complete];
        match self.audited.get(path) {
            Some(prev) if prev == complete => {}
            Some(prev) if complete.starts_with(prev.as_str()) => {
                let from = holdback::boundary_before(s, prev.len(), SEAM_CHARS.max(hold));
                plan.collected.texts.push(s[from..cut.complete].to_string());
                plan.audited.push((path.to_string(), complete.to_string()));
            }
            _ if complete.is_empty() => {}
            _ => {
                plan.collected.texts.push(complete.to_string());
                plan.audited.push((path.to_string(), complete.to_string()));
            }
        }
        self.plan_urls(&s[..cut.release], plan);
    }

    fn plan_urls(&self, shown: &str, plan: &mut Plan) {
        for r in resources::find(shown) {
            if !self.resources.contains_key(&r.url) && !plan.urls.contains(&r.url) {
                plan.urls.push(r.url);
            }
        }
    }

    /// Records what a plan's audit passed: the texts audited, and what each
    /// resource URL becomes.
    pub fn commit(&mut self, audited: Vec<(String, String)>, resources: HashMap<String, Option<String>>) {
        self.audited.extend(audited);
        self.resources.extend(resources);
    }

    /// The values the client may have now, with what it has: `edits` gives
    /// Gradio's edits against what was sent (the first message of a call is
    /// always whole values), otherwise whole values. `None` when the client
    /// would get nothing new.
    pub fn release(&mut self, finished: bool, hold_chars: usize, edits: bool) -> Option<Value> {
        let rewrite = self.resources.values().any(Option::is_some);
        let values: Vec<Value> = self
            .upstream
            .iter()
            .flatten()
            .map(|v| self.release_value(v, None, finished, hold_chars, rewrite))
            .collect();
        let out = match &self.sent {
            Some(sent) if edits => {
                let d: Vec<Value> = sent.iter().zip(&values).map(|(a, b)| diff::diff(a, b)).collect();
                (!d.iter().all(|e| e.as_array().is_some_and(Vec::is_empty))).then_some(Value::Array(d))
            }
            Some(sent) if !finished && *sent == values => None,
            _ => Some(Value::Array(values.clone())),
        };
        self.sent = Some(values);
        out
    }

    fn release_value(&self, v: &Value, key: Option<&str>, finished: bool, hold: usize, rewrite: bool) -> Value {
        match v {
            Value::String(s) if data_url_bytes(s).is_some() || key.is_some_and(|k| STRUCTURAL.contains(&k)) => v.clone(),
            Value::String(s) => {
                let shown = if finished { s.as_str() } else { &s[..holdback::cut(s, hold).release] };
                if rewrite {
                    let refs = resources::find(shown);
                    Value::String(resources::rewrite(shown, &refs, |u| self.resources.get(u).cloned().flatten()))
                } else {
                    Value::String(shown.to_string())
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| self.release_value(i, None, finished, hold, rewrite)).collect()),
            Value::Object(map) if is_file_data(map) => v.clone(),
            Value::Object(map) => Value::Object(
                map.iter().map(|(k, i)| (k.clone(), self.release_value(i, Some(k), finished, hold, rewrite))).collect(),
            ),
            _ => v.clone(),
        }
    }

    /// The app's values as last absorbed.
    pub fn upstream(&self) -> Option<&[Value]> {
        self.upstream.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Feeds whole values, then Gradio's edits, as the app would.
    fn stream(pieces: &[&str], hold: usize) -> (OutputStream, Vec<Option<Value>>, Vec<Vec<String>>) {
        let mut s = OutputStream::default();
        let (mut sent, mut audited) = (Vec::new(), Vec::new());
        let mut prev: Option<Value> = None;
        let mut text = String::new();
        for piece in pieces {
            text.push_str(piece);
            let value = json!([text]);
            let (data, edits) = match &prev {
                None => (value.clone(), false),
                Some(p) => (json!([diff::diff(&p[0], &value[0])]), true),
            };
            s.absorb(&data, edits).unwrap();
            let mut plan = s.plan(false, hold);
            audited.push(plan.collected.texts.clone());
            s.commit(std::mem::take(&mut plan.audited), HashMap::new());
            sent.push(s.release(false, hold, true));
            prev = Some(value);
        }
        (s, sent, audited)
    }

    #[test]
    fn a_word_split_over_pieces_is_audited_whole_and_shown_only_after() {
        let (mut s, sent, audited) = stream(&["what the f", "u", "ck is this"], 0);
        assert_eq!(sent[0], Some(json!(["what the "])));
        assert_eq!(sent[1], None, "nothing new to show while the word is unfinished");
        assert_eq!(sent[2], Some(json!([[["append", [], "fuck is "]]])));
        // The unfinished word is never audited on its own; the whole word is, with its seam.
        assert_eq!(audited[0], ["what the "]);
        assert!(audited[1].is_empty());
        assert_eq!(audited[2], ["what the fuck is "]);
        // The end shows everything and audits it whole.
        assert_eq!(s.plan(true, 0).collected.texts, ["what the fuck is this"]);
        assert_eq!(s.release(true, 0, false), Some(json!(["what the fuck is this"])));
    }

    #[test]
    fn the_hold_window_delays_complete_words() {
        // Four characters held: "two " must follow "one " before "one " shows.
        let (_, sent, _) = stream(&["one ", "two ", "three ", "four "], 4);
        assert_eq!(sent[0], Some(json!([""])));
        assert_eq!(sent[1], Some(json!([[["append", [], "one "]]])));
        assert_eq!(sent[2], Some(json!([[["append", [], "two "]]])));
    }

    #[test]
    fn long_streams_audit_only_what_is_new() {
        let words: Vec<String> = (0..200).map(|i| format!("word{i} ")).collect();
        let pieces: Vec<&str> = words.iter().map(String::as_str).collect();
        let (_, _, audited) = stream(&pieces, 0);
        let longest = audited.iter().flatten().map(|t| t.chars().count()).max().unwrap();
        assert!(longest <= SEAM_CHARS + 16, "{longest}");
    }

    #[test]
    fn messages_roles_and_files_are_not_held_back() {
        let mut s = OutputStream::default();
        let file = json!({"path": "/tmp/a.png", "url": "http://h/gradio_api/file=/tmp/a.png", "orig_name": "a.png", "meta": {"_type": "gradio.FileData"}});
        s.absorb(&json!([[{"role": "assistant", "content": "Hello wor"}], file]), false).unwrap();
        let plan = s.plan(false, 0);
        assert_eq!(plan.collected.files.len(), 1);
        let mut texts = plan.collected.texts.clone();
        texts.sort();
        assert_eq!(texts, ["Hello ", "assistant"]);
        let out = s.release(false, 0, true).unwrap();
        assert_eq!(out[0], json!([{"role": "assistant", "content": "Hello "}]));
        assert_eq!(out[1], file);
        // A broken edit is an error, not a panic.
        assert!(s.absorb(&json!([[["append", [7], "x"]], []]), true).is_err());
        assert!(s.absorb(&json!([[]]), true).is_err(), "wrong number of outputs");
    }

    #[test]
    fn resource_urls_are_planned_once_and_rewritten_as_committed() {
        let mut s = OutputStream::default();
        s.absorb(&json!(["![x](http://evil.example/x.png) and more"]), false).unwrap();
        let plan = s.plan(false, 0);
        assert_eq!(plan.urls, ["http://evil.example/x.png"]);
        s.commit(Vec::new(), HashMap::from([("http://evil.example/x.png".to_string(), Some("about:blank".to_string()))]));
        assert!(s.plan(false, 0).urls.is_empty());
        assert_eq!(s.release(false, 0, true), Some(json!(["![x](about:blank) and "])));
    }
}
