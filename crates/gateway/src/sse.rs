//! An incremental parser of `text/event-stream` bytes: events end at a blank
//! line; `event:` and `data:` lines are read, the rest (ids, comments) kept
//! in the raw bytes so a passed-through event is forwarded unchanged.

/// One event as it came, with its parsed fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The bytes of the event including its terminating blank line.
    pub raw: Vec<u8>,
    pub event: Option<String>,
    /// `data:` lines joined with `\n`.
    pub data: String,
}

/// Splits a byte stream into events; refuses an event over `max_event_bytes`.
pub struct SseParser {
    buf: Vec<u8>,
    max_event_bytes: usize,
}

impl SseParser {
    pub fn new(max_event_bytes: usize) -> SseParser {
        SseParser { buf: Vec::new(), max_event_bytes }
    }

    /// Adds `chunk`; the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Event>, String> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some(end) = event_end(&self.buf) {
            let raw: Vec<u8> = self.buf.drain(..end).collect();
            events.push(parse(raw));
        }
        if self.buf.len() > self.max_event_bytes {
            return Err(format!("an upstream event is over {} bytes", self.max_event_bytes));
        }
        Ok(events)
    }

    /// Bytes of an unfinished event (at the end of the stream: malformed).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// Where the first complete event ends (after its blank line).
fn event_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < buf.len() {
        match (buf[i], buf[i + 1]) {
            (b'\n', b'\n') => return Some(i + 2),
            (b'\r', b'\n') if buf.get(i + 2..i + 4) == Some(b"\r\n") => return Some(i + 4),
            _ => i += 1,
        }
    }
    None
}

fn parse(raw: Vec<u8>) -> Event {
    let text = String::from_utf8_lossy(&raw);
    let (mut event, mut data) = (None, Vec::new());
    for line in text.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_string()),
            "data" => data.push(value.to_string()),
            _ => {}
        }
    }
    Event { raw, event, data: data.join("\n") }
}

/// An event with `data` (a JSON text), formatted for the wire.
pub fn format(event: Option<&str>, data: &str) -> Vec<u8> {
    let mut out = String::new();
    if let Some(e) = event {
        out.push_str(&format!("event: {e}\n"));
    }
    for line in data.split('\n') {
        out.push_str(&format!("data: {line}\n"));
    }
    out.push('\n');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_across_chunks() {
        let mut p = SseParser::new(1 << 10);
        assert!(p.push(b"event: generating\ndata: [\"a").unwrap().is_empty());
        let got = p.push(b"\"]\n\nevent: complete\r\ndata: [1]\r\n\r\ndata: {\"msg\": \"heartbeat\"}\n\n").unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].event.as_deref(), Some("generating"));
        assert_eq!(got[0].data, "[\"a\"]");
        assert_eq!(got[1].event.as_deref(), Some("complete"));
        assert_eq!(got[1].data, "[1]");
        assert_eq!(got[2].event, None);
        assert_eq!(got[2].raw, b"data: {\"msg\": \"heartbeat\"}\n\n");
        assert_eq!(p.pending(), 0);
    }

    #[test]
    fn oversized_events_are_refused() {
        let mut p = SseParser::new(8);
        assert!(p.push(b"data: 0123456789").unwrap_err().contains("8 bytes"));
    }

    #[test]
    fn formats_what_it_parses() {
        let mut p = SseParser::new(1 << 10);
        let e = &p.push(&format(Some("error"), "\"blocked\"")).unwrap()[0];
        assert_eq!((e.event.as_deref(), e.data.as_str()), (Some("error"), "\"blocked\""));
    }
}
