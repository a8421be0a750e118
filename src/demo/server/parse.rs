//! Command syntax: tokens (atoms, quoted strings, literals, parentheses) and typed access to a
//! command's arguments. Strict about spacing and quoting; never panics on client input.

/// Largest literal accepted.
pub const MAX_LITERAL: usize = 64 * 1024;

/// One lexical element of a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// An atom (also `NIL`, numbers, flags like `\Seen`, wildcards).
    Atom(String),
    /// A quoted string or a literal, unescaped.
    Str(Vec<u8>),
    /// `(`
    Open,
    /// `)`
    Close,
}

/// A literal announced at the end of a line: `{n}` or `{n+}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiteralSpec {
    /// Announced size in bytes.
    pub len: usize,
    /// `{n}`: the client waits for a continuation request.
    pub synchronizing: bool,
}

/// What is wrong with a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError(pub &'static str);

/// Split one line (CRLF removed) into tokens appended to `out`. `after_token` says whether the
/// line continues right after a token (i.e. after a literal), in which case it must start with a
/// space, `)` or end. Returns the literal announced at the end of the line, if any.
pub fn tokenize(
    line: &[u8],
    after_token: bool,
    out: &mut Vec<Token>,
) -> Result<Option<LiteralSpec>, SyntaxError> {
    let mut i = 0;
    // Whether the previous element requires a separator (SP or `)`) before the next token.
    let mut need_sep = after_token;
    while i < line.len() {
        let b = line[i];
        if need_sep {
            match b {
                b' ' => {
                    i += 1;
                    if i == line.len() {
                        return Err(SyntaxError("trailing space"));
                    }
                    if matches!(line[i], b' ' | b')') {
                        return Err(SyntaxError("unexpected space"));
                    }
                    need_sep = false;
                }
                b')' => {
                    out.push(Token::Close);
                    i += 1;
                }
                _ => return Err(SyntaxError("missing space between arguments")),
            }
            continue;
        }
        match b {
            b'(' => {
                out.push(Token::Open);
                i += 1;
                if matches!(line.get(i), Some(b' ')) {
                    return Err(SyntaxError("unexpected space"));
                }
                continue;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b'"' => {
                let (value, next) = quoted(line, i + 1)?;
                out.push(Token::Str(value));
                i = next;
            }
            b'{' => {
                let spec = literal_spec(&line[i..])?;
                return Ok(Some(spec));
            }
            _ => {
                let start = i;
                while i < line.len() && !matches!(line[i], b' ' | b'(' | b')') {
                    let c = line[i];
                    if !(0x21..0x7f).contains(&c) || c == b'"' || c == b'{' {
                        return Err(SyntaxError("invalid character in atom"));
                    }
                    i += 1;
                }
                if i == start {
                    return Err(SyntaxError("empty argument"));
                }
                // Only ASCII was accepted above, so this cannot fail.
                let atom = String::from_utf8_lossy(&line[start..i]).into_owned();
                out.push(Token::Atom(atom));
            }
        }
        need_sep = true;
    }
    Ok(None)
}

/// Parse a quoted string whose opening quote precedes `start`; returns the value and the index
/// after the closing quote.
fn quoted(line: &[u8], start: usize) -> Result<(Vec<u8>, usize), SyntaxError> {
    let mut value = Vec::new();
    let mut i = start;
    while i < line.len() {
        match line[i] {
            b'"' => return Ok((value, i + 1)),
            b'\\' => match line.get(i + 1) {
                Some(&c @ (b'\\' | b'"')) => {
                    value.push(c);
                    i += 2;
                }
                _ => return Err(SyntaxError("invalid escape in quoted string")),
            },
            0 | b'\r' => return Err(SyntaxError("invalid character in quoted string")),
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err(SyntaxError("unterminated quoted string"))
}

/// Parse `{n}` or `{n+}`, which must end the line.
fn literal_spec(rest: &[u8]) -> Result<LiteralSpec, SyntaxError> {
    let bad = SyntaxError("invalid literal");
    let inner = rest
        .strip_prefix(b"{")
        .and_then(|r| r.strip_suffix(b"}"))
        .ok_or(bad.clone())?;
    let (digits, synchronizing) = match inner.strip_suffix(b"+") {
        Some(d) => (d, false),
        None => (inner, true),
    };
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    let len = digits.iter().fold(0usize, |n, d| {
        n.saturating_mul(10).saturating_add(usize::from(d - b'0'))
    });
    Ok(LiteralSpec { len, synchronizing })
}

/// Cursor over a command's arguments (the tokens after tag and command name).
pub struct Args<'a> {
    tokens: &'a [Token],
    pos: usize,
}

impl<'a> Args<'a> {
    /// Start at the first argument.
    pub fn new(tokens: &'a [Token]) -> Self {
        Self { tokens, pos: 0 }
    }

    /// The next token without consuming it.
    pub fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    /// Whether all arguments have been consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// Require that all arguments have been consumed.
    pub fn end(&self) -> Result<(), SyntaxError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(SyntaxError("unexpected extra arguments"))
        }
    }

    /// An astring (atom, quoted string or literal) as raw bytes.
    pub fn astring_bytes(&mut self) -> Result<Vec<u8>, SyntaxError> {
        match self.tokens.get(self.pos) {
            Some(Token::Atom(a)) => {
                self.pos += 1;
                Ok(a.clone().into_bytes())
            }
            Some(Token::Str(s)) => {
                self.pos += 1;
                Ok(s.clone())
            }
            Some(_) => Err(SyntaxError("expected a string")),
            None => Err(SyntaxError("missing argument")),
        }
    }

    /// An astring, decoded as UTF-8 (lossily).
    pub fn astring(&mut self) -> Result<String, SyntaxError> {
        self.astring_bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// An atom.
    pub fn atom(&mut self) -> Result<String, SyntaxError> {
        match self.tokens.get(self.pos) {
            Some(Token::Atom(a)) => {
                self.pos += 1;
                Ok(a.clone())
            }
            Some(_) => Err(SyntaxError("expected an atom")),
            None => Err(SyntaxError("missing argument")),
        }
    }

    /// A parenthesized list of atoms and strings (no nesting); returns its elements as text.
    pub fn flat_list(&mut self) -> Result<Vec<String>, SyntaxError> {
        if self.tokens.get(self.pos) != Some(&Token::Open) {
            return Err(SyntaxError("expected a list"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            match self.tokens.get(self.pos) {
                Some(Token::Close) => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(Token::Atom(a)) => items.push(a.clone()),
                Some(Token::Str(s)) => items.push(String::from_utf8_lossy(s).into_owned()),
                Some(Token::Open) => return Err(SyntaxError("unexpected nested list")),
                None => return Err(SyntaxError("unterminated list")),
            }
            self.pos += 1;
        }
    }

    /// Skip one argument, a whole (possibly nested) list included.
    pub fn skip(&mut self) -> Result<(), SyntaxError> {
        let mut depth = 0usize;
        loop {
            let token = self
                .tokens
                .get(self.pos)
                .ok_or(SyntaxError("unterminated list"))?;
            self.pos += 1;
            match token {
                Token::Open => depth += 1,
                Token::Close if depth == 0 => return Err(SyntaxError("unbalanced parenthesis")),
                Token::Close => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

/// Whether `tag` is a valid IMAP tag (astring characters except `+`).
pub fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .bytes()
            .all(|c| (0x21..0x7f).contains(&c) && !matches!(c, b'+' | b'%' | b'*' | b'\\'))
}

/// Render `name` as an IMAP astring: an atom if possible, else a quoted string, else a literal.
pub fn astring_out(name: &str) -> String {
    let atom_ok = !name.is_empty()
        && name.bytes().all(|c| {
            (0x21..0x7f).contains(&c)
                && !matches!(c, b'(' | b')' | b'{' | b'"' | b'\\' | b'%' | b'*')
        })
        && !name.eq_ignore_ascii_case("NIL");
    if atom_ok {
        return name.to_owned();
    }
    if name.bytes().any(|c| matches!(c, b'\r' | b'\n' | 0)) {
        return format!("{{{}}}\r\n{name}", name.len());
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(line: &str) -> Result<(Vec<Token>, Option<LiteralSpec>), SyntaxError> {
        let mut out = Vec::new();
        let lit = tokenize(line.as_bytes(), false, &mut out)?;
        Ok((out, lit))
    }

    #[test]
    fn atoms_strings_lists_and_literals() {
        let (t, lit) = toks(r#"a1 STATUS "My \"box\"" (MESSAGES UNSEEN)"#).unwrap();
        assert_eq!(lit, None);
        assert_eq!(t[2], Token::Str(b"My \"box\"".to_vec()));
        assert_eq!(t[3], Token::Open);
        assert_eq!(t[6], Token::Close);
        let (_, lit) = toks("a LOGIN {5+}").unwrap();
        assert_eq!(
            lit,
            Some(LiteralSpec {
                len: 5,
                synchronizing: false
            })
        );
        let (_, lit) = toks("a LOGIN user {12}").unwrap();
        assert_eq!(
            lit,
            Some(LiteralSpec {
                len: 12,
                synchronizing: true
            })
        );
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "a  NOOP",
            "a NOOP ",
            "a LOGIN \"unterminated",
            "a LOGIN \"bad\\escape\"",
            "a LOGIN {x}",
            "a LOGIN {5} trailing",
            "a LOGIN \"x\"\"y\"",
            "a X ( A)",
            "a X (A )",
        ] {
            assert!(toks(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(toks("a LOGIN {99999999999999999999}").is_err());
    }

    #[test]
    fn quotes_names_when_needed() {
        assert_eq!(astring_out("INBOX"), "INBOX");
        assert_eq!(astring_out("Sent Items"), "\"Sent Items\"");
        assert_eq!(astring_out("a\"b"), "\"a\\\"b\"");
        assert_eq!(astring_out(""), "\"\"");
    }
}
