//! Log redaction: every log line passes through [`redact`] before it is
//! written, so e-mail addresses, phone numbers, ID-card numbers, cookies,
//! tokens and passwords never reach the logs, whatever code logged them.

use std::borrow::Cow;
use std::io::Write;
use std::sync::LazyLock;

use regex::Regex;

struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |p: &str, replacement| Rule { pattern: Regex::new(p).expect("valid redaction pattern"), replacement };
    vec![
        // key=value / key: value / "key":"value" for secret-bearing keys
        rule(
            r#"(?i)\b(password|passwd|pwd|secret|token|csrf|cookie|set-cookie|authorization|api[_-]?key|glint_session)("?\s*[:=]\s*)("[^"]*"|'[^']*'|(?:Bearer\s+)?[^\s,;&}]+)"#,
            "$1$2[redacted]",
        ),
        rule(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=-]+", "Bearer [redacted]"),
        rule(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "[email]"),
        // Chinese resident ID card: 17 digits and a digit or X
        rule(r"\b\d{17}[\dXx]\b", "[id-number]"),
        // mobile numbers: +86 / 1[3-9]xxxxxxxxx, and international +NN…
        rule(r"(?:\+?86[\s-]?)?\b1[3-9]\d{9}\b", "[phone]"),
        rule(r"\+\d{1,3}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4}\b", "[phone]"),
        rule(r"\b\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b", "[phone]"),
        // long hex runs are secrets (session tokens are 64 digits)
        rule(r"\b[0-9a-fA-F]{48,}\b", "[token]"),
    ]
});

/// `line` with personal data and secrets replaced.
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(line);
    for r in RULES.iter() {
        if let Cow::Owned(s) = r.pattern.replace_all(&out, r.replacement) {
            out = Cow::Owned(s);
        }
    }
    out
}

/// A `tracing_subscriber` writer to stderr that redacts each event.
pub struct RedactingStderr;

/// Collects one event, writes it redacted when dropped.
pub struct EventBuffer(Vec<u8>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = EventBuffer;
    fn make_writer(&'a self) -> EventBuffer {
        EventBuffer(Vec::with_capacity(256))
    }
}

impl Write for EventBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let _ = std::io::stderr().lock().write_all(redact(&text).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn secrets_and_personal_data_go() {
        let cases = [
            ("password=hunter2 next", "password=[redacted] next"),
            (r#"{"password":"hunter2"}"#, r#"{"password":[redacted]}"#),
            ("cookie: glint_session=abcdef", "cookie: [redacted]"),
            ("Authorization: Bearer abc.def", "Authorization: [redacted]"),
            ("mail alice@example.com now", "mail [email] now"),
            ("call 13812345678", "call [phone]"),
            ("call +86 138 1234 5678", "call [phone]"),
            ("call +1 415-555-0100", "call [phone]"),
            ("id 11010519491231002X", "id [id-number]"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
        let token = "ab".repeat(32);
        assert_eq!(redact(&format!("t {token}")), "t [token]");
    }

    #[test]
    fn ordinary_lines_stay() {
        for line in ["request_id=00000000000000a1 status=200 ms=35", "model coco-grounded-v1 took 31.5 ms", "user=alice"] {
            assert_eq!(redact(line), line);
        }
    }
}
