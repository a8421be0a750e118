//! The protocol transcript, swaks style: `->` / `<-` in plaintext, `~>` / `<~` inside TLS, `===`
//! for the tool's own remarks. Every line passes the sanitizer (which removes every registered
//! secret, see [`crate::secret`]), and the transcript is bounded in lines.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::sanitize;

/// Most lines kept; later lines are counted, not stored.
const MAX_LINES: usize = 2000;

/// Who wrote a transcript line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Sent by imapdoctor.
    Client,
    /// Received from the server.
    Server,
    /// imapdoctor's own remark (connecting, TLS established, …).
    Remark,
}

/// One line of the transcript.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptLine {
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// Who wrote it.
    pub direction: Direction,
    /// Whether it travelled inside TLS.
    pub tls: bool,
    /// The text, sanitized and redacted.
    pub text: String,
}

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
    dropped: usize,
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
        self.push_shown(direction, tls, sanitize::terminal_text(text));
    }

    fn push_shown(&self, direction: Direction, tls: bool, text: String) {
        let t_ms = self.started.elapsed().as_millis() as u64;
        let mut inner = self.lock();
        if inner.lines.len() >= MAX_LINES {
            inner.dropped += 1;
            return;
        }
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
}
