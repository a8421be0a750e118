//! Parsing server responses into the few shapes a diagnosis needs: status responses with their
//! response codes (RFC 5530), capabilities, LIST, STATUS and EXISTS data. Tolerant by design: a line
//! it does not understand becomes [`Response::Unparsed`] instead of an error, so a misbehaving
//! server is reported, not fatal.
//!
//! Every string a response carries passes the sanitizer here, where server text enters the
//! program ([`crate::sanitize`]: secrets redacted, hidden characters escaped, length bounded), so
//! nothing downstream can show it raw.

use super::framing::MAX_MESSAGE;
use crate::sanitize;

/// The kind of a status response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    /// OK.
    Ok,
    /// NO.
    No,
    /// BAD.
    Bad,
    /// BYE.
    Bye,
    /// PREAUTH (greeting only).
    PreAuth,
}

impl StatusKind {
    /// As written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::Ok => "OK",
            StatusKind::No => "NO",
            StatusKind::Bad => "BAD",
            StatusKind::Bye => "BYE",
            StatusKind::PreAuth => "PREAUTH",
        }
    }
}

/// A bracketed response code such as `[AUTHENTICATIONFAILED]` or `[UIDNEXT 42]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseCode {
    /// The code's name, upper-cased.
    pub name: String,
    /// Anything after the name inside the brackets.
    pub args: String,
}

/// A status response: tagged completion, or untagged OK/NO/BAD/BYE/PREAUTH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusResponse {
    /// The tag, or `None` for `*`.
    pub tag: Option<String>,
    /// OK, NO, BAD, BYE or PREAUTH.
    pub kind: StatusKind,
    /// The response code, if any.
    pub code: Option<ResponseCode>,
    /// The human-readable text.
    pub text: String,
}

/// Most capabilities kept from one list; the rest are only counted.
pub const MAX_CAPABILITIES: usize = 1000;

/// A capability list, bounded: the first [`MAX_CAPABILITIES`] words as sent, the rest counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapabilityList {
    /// The capabilities kept.
    pub words: Vec<String>,
    /// How many more the server sent (not kept).
    pub ignored: usize,
}

/// One server response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// A status response.
    Status(StatusResponse),
    /// `* CAPABILITY ...`.
    Capability(CapabilityList),
    /// `* LIST (attributes) delimiter name`.
    List {
        /// Name attributes (`\HasNoChildren`, `\Sent`, …).
        attributes: Vec<String>,
        /// The hierarchy delimiter (`NIL`: flat).
        delimiter: Option<char>,
        /// The mailbox name as sent (modified UTF-7 unless UTF-8 was enabled).
        name: String,
    },
    /// `* STATUS name (ITEM n ...)`.
    MailboxStatus {
        /// The mailbox name.
        name: String,
        /// Items and their values.
        items: Vec<(String, u64)>,
    },
    /// `* n EXISTS`.
    Exists(u64),
    /// `+ text`: a command continuation request.
    Continuation(String),
    /// Other untagged data this tool has no use for (FLAGS, RECENT, …).
    OtherData(String),
    /// A line that is not IMAP as this parser knows it.
    Unparsed,
}

impl StatusResponse {
    /// The response code's name, if any.
    pub fn code_name(&self) -> Option<&str> {
        self.code.as_ref().map(|c| c.name.as_str())
    }

    /// Capabilities carried in a `[CAPABILITY ...]` code.
    pub fn capabilities(&self) -> Option<CapabilityList> {
        let code = self.code.as_ref()?;
        (code.name == "CAPABILITY").then(|| words(&code.args))
    }

    /// `OK [CODE] text` as one line, for reports.
    pub fn describe(&self) -> String {
        match &self.code {
            Some(c) if c.args.is_empty() => {
                format!("{} [{}] {}", self.kind.as_str(), c.name, self.text)
            }
            Some(c) => format!(
                "{} [{} {}] {}",
                self.kind.as_str(),
                c.name,
                c.args,
                self.text
            ),
            None => format!("{} {}", self.kind.as_str(), self.text),
        }
    }
}

fn words(s: &str) -> CapabilityList {
    let mut list = CapabilityList::default();
    for word in s.split_ascii_whitespace() {
        if list.words.len() < MAX_CAPABILITIES {
            list.words.push(field(word));
        } else {
            list.ignored += 1;
        }
    }
    list
}

/// A text field: sanitized and cut at [`sanitize::MAX_TEXT`].
fn field(s: &str) -> String {
    sanitize::terminal_text(s)
}

/// A field that carries a list or encoded data (a response code's arguments such as a
/// `[CAPABILITY …]` list, a SASL challenge): sanitized, cut only at the message bound.
fn long_field(s: &str) -> String {
    sanitize::within(s, MAX_MESSAGE)
}

/// Parses one complete message (as framed by [`super::framing`]).
pub fn parse(message: &[u8]) -> Response {
    let text = String::from_utf8_lossy(message);
    let line = text.trim_end_matches(['\r', '\n']);
    let Some((tag, rest)) = line.split_once(' ') else {
        return match line {
            "+" => Response::Continuation(String::new()),
            _ => Response::Unparsed,
        };
    };
    if tag == "+" {
        return Response::Continuation(long_field(rest));
    }
    if !valid_tag(tag) {
        return Response::Unparsed;
    }
    let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
    if let Some(kind) = status_kind(word)
        && (tag == "*" || !matches!(kind, StatusKind::Bye | StatusKind::PreAuth))
    {
        return Response::Status(status(tag, kind, after));
    }
    if tag != "*" {
        return Response::Unparsed;
    }
    match word.to_ascii_uppercase().as_str() {
        "CAPABILITY" => Response::Capability(words(after)),
        "LIST" => parse_list(message).unwrap_or(Response::Unparsed),
        "STATUS" => parse_status(message).unwrap_or(Response::Unparsed),
        _ => match (word.parse::<u64>(), after.split_ascii_whitespace().next()) {
            (Ok(n), Some(w)) if w.eq_ignore_ascii_case("EXISTS") => Response::Exists(n),
            _ => Response::OtherData(field(rest)),
        },
    }
}

fn valid_tag(tag: &str) -> bool {
    tag == "*"
        || (!tag.is_empty()
            && tag
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\+".contains(&b)))
}

fn status_kind(word: &str) -> Option<StatusKind> {
    Some(match word.to_ascii_uppercase().as_str() {
        "OK" => StatusKind::Ok,
        "NO" => StatusKind::No,
        "BAD" => StatusKind::Bad,
        "BYE" => StatusKind::Bye,
        "PREAUTH" => StatusKind::PreAuth,
        _ => return None,
    })
}

fn status(tag: &str, kind: StatusKind, after: &str) -> StatusResponse {
    let (code, text) = match after.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((inside, text)) => {
            let (name, args) = inside.split_once(' ').unwrap_or((inside, ""));
            let code = ResponseCode {
                name: field(&name.to_ascii_uppercase()),
                args: long_field(args),
            };
            (Some(code), text.trim_start())
        }
        None => (None, after),
    };
    StatusResponse {
        tag: (tag != "*").then(|| tag.to_string()),
        kind,
        code,
        text: field(text),
    }
}

/// A cursor over a message's bytes for the structured responses.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn space(&mut self) {
        while self.bytes.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.space();
        (self.bytes.get(self.pos) == Some(&b)).then(|| self.pos += 1)
    }

    fn atom(&mut self) -> Option<String> {
        self.space();
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if b <= b' ' || b"(){\"".contains(&b) || (b == b')') {
                break;
            }
            self.pos += 1;
        }
        (self.pos > start).then(|| field(&String::from_utf8_lossy(&self.bytes[start..self.pos])))
    }

    /// An astring or nstring: atom, quoted string, literal, or NIL (as `None` inside `Some`).
    fn string(&mut self) -> Option<Option<String>> {
        self.space();
        match *self.bytes.get(self.pos)? {
            b'"' => {
                self.pos += 1;
                let mut out = Vec::new();
                loop {
                    match *self.bytes.get(self.pos)? {
                        b'\\' => {
                            out.push(*self.bytes.get(self.pos + 1)?);
                            self.pos += 2;
                        }
                        b'"' => {
                            self.pos += 1;
                            return Some(Some(field(&String::from_utf8_lossy(&out))));
                        }
                        b => {
                            out.push(b);
                            self.pos += 1;
                        }
                    }
                }
            }
            b'{' => {
                let close = self.bytes[self.pos..].iter().position(|&b| b == b'}')? + self.pos;
                let digits = std::str::from_utf8(&self.bytes[self.pos + 1..close]).ok()?;
                let n: usize = digits.trim_end_matches('+').parse().ok()?;
                let mut start = close + 1;
                if self.bytes.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if self.bytes.get(start) != Some(&b'\n') {
                    return None;
                }
                start += 1;
                let body = self.bytes.get(start..start.checked_add(n)?)?;
                self.pos = start + n;
                Some(Some(field(&String::from_utf8_lossy(body))))
            }
            _ => {
                let atom = self.atom()?;
                Some((!atom.eq_ignore_ascii_case("NIL")).then_some(atom))
            }
        }
    }

    /// A parenthesized list of atoms.
    fn atom_list(&mut self) -> Option<Vec<String>> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        loop {
            self.space();
            if self.bytes.get(self.pos) == Some(&b')') {
                self.pos += 1;
                return Some(out);
            }
            out.push(self.atom()?);
        }
    }
}

fn after_keyword<'a>(message: &'a [u8], keyword: &str) -> Option<Cursor<'a>> {
    let skip = 2 + keyword.len(); // "* " + keyword
    let head = message.get(..skip)?;
    if !head[2..].eq_ignore_ascii_case(keyword.as_bytes()) {
        return None;
    }
    Some(Cursor {
        bytes: message,
        pos: skip,
    })
}

fn parse_list(message: &[u8]) -> Option<Response> {
    let mut c = after_keyword(message, "LIST")?;
    let attributes = c.atom_list()?;
    let delimiter = c.string()?.and_then(|d| d.chars().next());
    let name = c.string()??;
    Some(Response::List {
        attributes,
        delimiter,
        name,
    })
}

fn parse_status(message: &[u8]) -> Option<Response> {
    let mut c = after_keyword(message, "STATUS")?;
    let name = c.string()??;
    let flat = c.atom_list()?;
    let items = flat
        .chunks(2)
        .filter_map(|pair| match pair {
            [k, v] => Some((k.to_ascii_uppercase(), v.parse().ok()?)),
            _ => None,
        })
        .collect();
    Some(Response::MailboxStatus { name, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(line: &str) -> StatusResponse {
        match parse(line.as_bytes()) {
            Response::Status(s) => s,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn status_responses_with_codes() {
        let s = status_of("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
        assert_eq!(s.tag.as_deref(), Some("a1"));
        assert_eq!(s.kind, StatusKind::No);
        assert_eq!(s.code_name(), Some("AUTHENTICATIONFAILED"));
        assert_eq!(s.text, "Authentication failed.");
        let g = status_of("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n");
        assert_eq!(
            g.capabilities().unwrap().words,
            ["IMAP4rev1", "STARTTLS", "LOGINDISABLED"]
        );
        let bye = status_of("* BYE Connection closed. 14\r\n");
        assert_eq!((bye.kind, bye.code), (StatusKind::Bye, None));
        let ok = status_of("a2 OK [UIDNEXT 42] Predicted next UID\r\n");
        assert_eq!(ok.code.unwrap().args, "42");
        let lf_only = status_of("a3 BAD User is authenticated but not connected.\n");
        assert_eq!(lf_only.text, "User is authenticated but not connected.");
        assert_eq!(status_of("* PREAUTH ready\r\n").kind, StatusKind::PreAuth);
    }

    #[test]
    fn data_responses() {
        assert_eq!(parse(b"* 3 EXISTS\r\n"), Response::Exists(3));
        assert_eq!(
            parse(b"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"),
            Response::List {
                attributes: vec!["\\HasNoChildren".into(), "\\Sent".into()],
                delimiter: Some('/'),
                name: "Sent Items".into()
            }
        );
        assert_eq!(
            parse(b"* LIST () NIL {4}\r\nA\"B}\r\n"),
            Response::List {
                attributes: vec![],
                delimiter: None,
                name: "A\"B}".into()
            }
        );
        assert_eq!(
            parse(b"* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UNSEEN 0)\r\n"),
            Response::MailboxStatus {
                name: "INBOX".into(),
                items: vec![
                    ("MESSAGES".into(), 3),
                    ("UIDNEXT".into(), 4),
                    ("UNSEEN".into(), 0)
                ]
            }
        );
        assert_eq!(parse(b"+ \r\n"), Response::Continuation(String::new()));
        assert_eq!(
            parse(b"* CAPABILITY IMAP4rev1 IDLE\r\n"),
            Response::Capability(CapabilityList {
                words: vec!["IMAP4rev1".into(), "IDLE".into()],
                ignored: 0
            })
        );
    }

    #[test]
    fn every_string_is_sanitized_where_it_enters() {
        let s = status_of("* OK [X\u{202e}Y a\u{9b}b] hi\u{2028}there\r\n");
        let code = s.code.unwrap();
        assert_eq!(code.name, "X\\u{202e}Y");
        assert_eq!(code.args, "a\\x9bb");
        assert_eq!(s.text, "hi\\u{2028}there");
        assert_eq!(
            parse("* CAPABILITY IMAP4rev1 A\u{e0041}\r\n".as_bytes()),
            Response::Capability(CapabilityList {
                words: vec!["IMAP4rev1".into(), "A\\u{e0041}".into()],
                ignored: 0
            })
        );
        assert_eq!(
            parse("* STATUS \"\u{1b}[2J\" (K\u{9b} 3)\r\n".as_bytes()),
            Response::MailboxStatus {
                name: "\\x1b[2J".into(),
                items: vec![("K\\X9B".into(), 3)]
            }
        );
        assert_eq!(
            parse("+ \u{202e}\r\n".as_bytes()),
            Response::Continuation("\\u{202e}".into())
        );
    }

    /// Random recombinations of IMAP-ish fragments never panic the framer or the parser.
    #[test]
    fn never_panics_on_hostile_input() {
        const PIECES: [&[u8]; 24] = [
            b"* ",
            b"a1 ",
            b"+ ",
            b"OK ",
            b"NO ",
            b"BYE ",
            b"LIST ",
            b"STATUS ",
            b"(",
            b")",
            b"\"",
            b"\\",
            b"{",
            b"}",
            b"{5}\r\n",
            b"{99999999999999999999}",
            b"[",
            b"]",
            b"\r\n",
            b"\n",
            b"\x00\xff",
            b"NIL ",
            b"INBOX",
            b" 3 EXISTS",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let mut message = Vec::new();
            for _ in 0..len {
                message.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let _ = super::super::framing::next_message(&message);
            let _ = parse(&message);
        }
    }

    #[test]
    fn capability_lists_are_bounded_in_words() {
        let line = format!("* CAPABILITY{}\r\n", " a".repeat(MAX_CAPABILITIES + 7));
        let Response::Capability(list) = parse(line.as_bytes()) else {
            panic!("not a capability list");
        };
        assert_eq!((list.words.len(), list.ignored), (MAX_CAPABILITIES, 7));
    }

    #[test]
    fn garbage_is_unparsed_not_fatal() {
        for junk in [
            &b"HTTP/1.1 400 Bad Request\r\n"[..],
            b"\x16\x03\x01\x00",
            b"",
            b"* LIST (\r\n",
            b"* STATUS {99}\r\nab",
        ] {
            let _ = parse(junk);
        }
        assert_eq!(parse(b"SSH-2.0-OpenSSH_9.2\r\n"), Response::Unparsed);
        assert_eq!(parse(b"220 smtp.example.com ESMTP\r\n"), Response::Unparsed);
    }
}
