//! The protocol transcript, swaks style: `->` / `<-` in plaintext, `~>` / `<~` inside TLS, `===`
//! for the tool's own remarks. Every line passes the sanitizer (which removes every registered
//! secret, see [`crate::secret`]), and the transcript is bounded in lines.

use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use crate::report::transcript::{Direction, TranscriptLine};
use crate::sanitize;

/// Most lines kept; later lines are counted, not stored.
const MAX_LINES: usize = 2000;
/// Most bytes of text kept (an escaped line can be 8 bytes per character sent); later lines are
/// counted, not stored.
const MAX_BYTES: usize = 1024 * 1024;

impl TranscriptLine {
    /// The swaks-style prefix for this line.
    pub fn prefix(&self) -> &'static str {
        match (self.direction, self.tls) {
            (Direction::Client, false) => "->",
            (Direction::Client, true) => "~>",
            (Direction::Server, false) => "<-",
            (Direction::Server, true) => "<~",
            (Direction::Remark, _) => "===",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    lines: Vec<TranscriptLine>,
    bytes: usize,
    dropped: usize,
}

impl Inner {
    /// Whether a line of `bytes` more no longer fits (counted as dropped if so). Once a line is
    /// dropped every later one is too: the transcript stays the start of the session.
    fn count_if_full(&mut self, bytes: usize) -> bool {
        let full =
            self.dropped > 0 || self.lines.len() >= MAX_LINES || self.bytes + bytes > MAX_BYTES;
        if full {
            self.dropped += 1;
        }
        full
    }
}

/// A shared, append-only transcript. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Transcript {
    started: Instant,
    inner: Arc<Mutex<Inner>>,
}

impl Transcript {
    /// An empty transcript whose clock starts at `started`.
    pub fn new(started: Instant) -> Self {
        Transcript {
            started,
            inner: Arc::default(),
        }
    }

    /// Records server bytes (one response line or message).
    pub fn server(&self, tls: bool, bytes: &[u8]) {
        self.server_within(tls, bytes, sanitize::MAX_TEXT);
    }

    /// Records the start of server bytes that are not a complete message (an endless or cut-off
    /// line), at most `max_chars` characters of it. Secrets are removed from the whole before the
    /// cut, so no part of one is left at the edge.
    pub fn server_within(&self, tls: bool, bytes: &[u8], max_chars: usize) {
        if self.full() {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches(['\r', '\n']);
        self.push_shown(Direction::Server, tls, sanitize::within(text, max_chars));
    }

    /// Records a client line given already redacted (`LOGIN "user" ***`).
    pub fn client(&self, tls: bool, shown: &str) {
        self.push(Direction::Client, tls, shown);
    }

    /// Records one of the tool's own remarks.
    pub fn remark(&self, text: &str) {
        self.push(Direction::Remark, false, text);
    }

    fn push(&self, direction: Direction, tls: bool, text: &str) {
        if self.full() {
            return;
        }
        self.push_shown(direction, tls, sanitize::terminal_text(text));
    }

    /// Whether the transcript keeps no more lines (the line is then counted as dropped): a full
    /// transcript only counts, without sanitizing what it will not keep.
    fn full(&self) -> bool {
        self.lock().count_if_full(0)
    }

    fn push_shown(&self, direction: Direction, tls: bool, text: String) {
        let t_ms = self.started.elapsed().as_millis() as u64;
        let mut inner = self.lock();
        if inner.count_if_full(text.len()) {
            return;
        }
        inner.bytes += text.len();
        inner.lines.push(TranscriptLine {
            t_ms,
            direction,
            tls,
            text,
        });
    }

    /// The lines recorded so far (plus a remark for any that were dropped).
    pub fn lines(&self) -> Vec<TranscriptLine> {
        let inner = self.lock();
        let mut lines = inner.lines.clone();
        if inner.dropped > 0 {
            lines.push(TranscriptLine {
                t_ms: self.started.elapsed().as_millis() as u64,
                direction: Direction::Remark,
                tls: false,
                text: format!("{} more lines not kept", inner.dropped),
            });
        }
        lines
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_even_in_server_text() {
        let t = Transcript::new(Instant::now());
        crate::secret::Secret::new("s3cret-pw".into());
        t.server(true, b"a1 BAD you said s3cret-pw\r\n");
        t.client(false, "a1 LOGIN \"u\" ***");
        let lines = t.lines();
        assert_eq!(lines[0].text, "a1 BAD you said ***");
        assert_eq!(lines[0].prefix(), "<~");
        assert_eq!(lines[1].prefix(), "->");
    }

    #[test]
    fn bounded_in_lines() {
        let t = Transcript::new(Instant::now());
        for _ in 0..MAX_LINES + 5 {
            t.remark("x");
        }
        let lines = t.lines();
        assert_eq!(lines.len(), MAX_LINES + 1);
        assert_eq!(lines.last().unwrap().text, "5 more lines not kept");
    }

    #[test]
    fn bounded_in_bytes() {
        let t = Transcript::new(Instant::now());
        // Each character escapes to 8 bytes (`\u{202e}`).
        let line = "\u{202e}".repeat(crate::sanitize::MAX_TEXT);
        for _ in 0..MAX_LINES {
            t.server(false, line.as_bytes());
        }
        let lines = t.lines();
        let kept: usize = lines.iter().map(|l| l.text.len()).sum();
        assert!(kept <= MAX_BYTES + 100, "{kept} bytes kept");
        assert!(lines.last().unwrap().text.ends_with("more lines not kept"));
    }
}
