//! Splitting the server's byte stream into IMAP messages: a line, plus any literals it announces
//! (`{n}` CRLF n-bytes) and the line that continues after them. Bounded: a message larger than
//! [`MAX_MESSAGE`] is an error, never an allocation.

/// Largest server message accepted (a capability list or LIST line is a few KiB at most).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// What [`next_message`] found in the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed {
    /// A complete message occupies the first `len` bytes.
    Complete(usize),
    /// More bytes are needed.
    Incomplete,
    /// The message exceeds [`MAX_MESSAGE`].
    TooLong,
}

/// Finds the end of the first complete message in `buf`.
pub fn next_message(buf: &[u8]) -> Framed {
    let mut start = 0;
    loop {
        let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') else {
            return if buf.len() > MAX_MESSAGE {
                Framed::TooLong
            } else {
                Framed::Incomplete
            };
        };
        let end = start + nl + 1;
        if end > MAX_MESSAGE {
            return Framed::TooLong;
        }
        match literal_length(&buf[start..end]) {
            None => return Framed::Complete(end),
            Some(n) if n > MAX_MESSAGE => return Framed::TooLong,
            Some(n) => {
                if end + n > MAX_MESSAGE {
                    return Framed::TooLong;
                }
                if buf.len() < end + n {
                    return Framed::Incomplete;
                }
                start = end + n;
            }
        }
    }
}

/// The literal length a line announces at its end (`{12}` or `{12+}` before CRLF).
pub fn literal_length(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_literals() {
        assert_eq!(next_message(b"* OK hi\r\nrest"), Framed::Complete(9));
        assert_eq!(next_message(b"* OK hi"), Framed::Incomplete);
        let msg = b"* LIST () \"/\" {5}\r\nA\r\nBC\r\n* OK";
        assert_eq!(next_message(msg), Framed::Complete(26));
        assert_eq!(
            next_message(b"* LIST () \"/\" {5}\r\nA\r\n"),
            Framed::Incomplete
        );
        assert_eq!(literal_length(b"x {12+}\r\n"), Some(12));
        assert_eq!(literal_length(b"x {}\r\n"), None);
    }

    #[test]
    fn bounded() {
        let endless = vec![b'A'; MAX_MESSAGE + 1];
        assert_eq!(next_message(&endless), Framed::TooLong);
        assert_eq!(next_message(b"* X {99999999}\r\n"), Framed::TooLong);
    }
}
