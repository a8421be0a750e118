//! Typed commands: the command name and its arguments checked against the grammar of the
//! handful of commands the server implements.

use super::parse::{Args, SyntaxError, Token};

/// STATUS data items the server knows.
pub const STATUS_ITEMS: &[&str] = &["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];

/// A syntactically valid command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `ID NIL` / `ID (...)`
    Id,
    /// `STARTTLS`
    StartTls,
    /// `LOGIN user password`
    Login {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `AUTHENTICATE mechanism [initial-response]`
    Authenticate {
        /// Mechanism name, upper-cased.
        mechanism: String,
        /// SASL-IR initial response (still base64).
        initial: Option<Vec<u8>>,
    },
    /// `LIST [(selection)] reference pattern(s) [RETURN (...)]`
    List {
        /// Reference name.
        reference: String,
        /// Mailbox patterns.
        patterns: Vec<String>,
        /// `(SPECIAL-USE)` selection option: only special-use mailboxes.
        special_use_only: bool,
    },
    /// `SELECT mailbox` (`read_only == false`) or `EXAMINE mailbox`.
    Select {
        /// Mailbox name.
        mailbox: String,
        /// EXAMINE rather than SELECT.
        read_only: bool,
    },
    /// `STATUS mailbox (items)`
    Status {
        /// Mailbox name.
        mailbox: String,
        /// Upper-cased items, in the client's order.
        items: Vec<String>,
    },
    /// `NAMESPACE`
    Namespace,
    /// `ENABLE cap...`
    Enable,
    /// `IDLE`
    Idle,
    /// `CLOSE`
    Close,
    /// `UNSELECT`
    Unselect,
    /// Any other command name (upper-cased).
    Unknown(String),
}

impl Command {
    /// Check `args` against the grammar of command `name` (case-insensitive).
    pub fn parse(name: &str, args: &[Token]) -> Result<Self, SyntaxError> {
        let upper = name.to_ascii_uppercase();
        let mut args = Args::new(args);
        let command = match upper.as_str() {
            "CAPABILITY" => Self::Capability,
            "NOOP" => Self::Noop,
            "LOGOUT" => Self::Logout,
            "STARTTLS" => Self::StartTls,
            "NAMESPACE" => Self::Namespace,
            "IDLE" => Self::Idle,
            "CLOSE" => Self::Close,
            "UNSELECT" => Self::Unselect,
            "ID" => {
                match args.peek() {
                    Some(Token::Atom(a)) if a.eq_ignore_ascii_case("NIL") => args.skip()?,
                    Some(Token::Open) => args.skip()?,
                    _ => return Err(SyntaxError("ID expects NIL or a list")),
                }
                Self::Id
            }
            "ENABLE" => {
                args.atom()?;
                while !args.is_empty() {
                    args.atom()?;
                }
                Self::Enable
            }
            "LOGIN" => Self::Login {
                user: args.astring()?,
                password: args.astring()?,
            },
            "AUTHENTICATE" => {
                let mechanism = args.atom()?.to_ascii_uppercase();
                let initial = if args.is_empty() {
                    None
                } else {
                    Some(args.astring_bytes()?)
                };
                Self::Authenticate { mechanism, initial }
            }
            "SELECT" | "EXAMINE" => Self::Select {
                mailbox: args.astring()?,
                read_only: upper == "EXAMINE",
            },
            "STATUS" => {
                let mailbox = args.astring()?;
                let items: Vec<String> = args
                    .flat_list()?
                    .into_iter()
                    .map(|i| i.to_ascii_uppercase())
                    .collect();
                if items.is_empty() {
                    return Err(SyntaxError("empty status item list"));
                }
                if items.iter().any(|i| !STATUS_ITEMS.contains(&i.as_str())) {
                    return Err(SyntaxError("unknown status item"));
                }
                Self::Status { mailbox, items }
            }
            "LIST" => list(&mut args)?,
            _ => return Ok(Self::Unknown(upper)),
        };
        args.end()?;
        Ok(command)
    }
}

/// `LIST [(selection-opts)] reference (pattern / (patterns)) [RETURN (return-opts)]`.
fn list(args: &mut Args<'_>) -> Result<Command, SyntaxError> {
    let mut special_use_only = false;
    if args.peek() == Some(&Token::Open) {
        for option in args.flat_list()? {
            match option.to_ascii_uppercase().as_str() {
                "SPECIAL-USE" => special_use_only = true,
                "SUBSCRIBED" | "REMOTE" | "RECURSIVEMATCH" => {}
                _ => return Err(SyntaxError("unknown LIST selection option")),
            }
        }
    }
    let reference = args.astring()?;
    let patterns = if args.peek() == Some(&Token::Open) {
        args.flat_list()?
    } else {
        vec![args.astring()?]
    };
    if !args.is_empty() {
        if !args.atom()?.eq_ignore_ascii_case("RETURN") {
            return Err(SyntaxError("expected RETURN"));
        }
        for option in args.flat_list()? {
            match option.to_ascii_uppercase().as_str() {
                "SPECIAL-USE" | "CHILDREN" | "SUBSCRIBED" => {}
                _ => return Err(SyntaxError("unsupported LIST return option")),
            }
        }
    }
    Ok(Command::List {
        reference,
        patterns,
        special_use_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::server::parse::tokenize;

    fn cmd(line: &str) -> Result<Command, SyntaxError> {
        let mut tokens = Vec::new();
        tokenize(line.as_bytes(), false, &mut tokens).unwrap();
        match &tokens[0] {
            Token::Atom(name) => Command::parse(name, &tokens[1..]),
            _ => panic!("no name"),
        }
    }

    #[test]
    fn parses_supported_commands() {
        assert_eq!(
            cmd(r#"login "u ser" pass"#).unwrap(),
            Command::Login {
                user: "u ser".into(),
                password: "pass".into()
            }
        );
        assert_eq!(
            cmd(r#"LIST "" "*""#).unwrap(),
            Command::List {
                reference: String::new(),
                patterns: vec!["*".into()],
                special_use_only: false
            }
        );
        assert!(matches!(
            cmd(r#"LIST (SPECIAL-USE) "" * RETURN (CHILDREN)"#).unwrap(),
            Command::List {
                special_use_only: true,
                ..
            }
        ));
        assert_eq!(
            cmd("STATUS INBOX (messages UIDNEXT)").unwrap(),
            Command::Status {
                mailbox: "INBOX".into(),
                items: vec!["MESSAGES".into(), "UIDNEXT".into()]
            }
        );
        assert_eq!(
            cmd("AUTHENTICATE plain AGEAYg==").unwrap(),
            Command::Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(b"AGEAYg==".to_vec())
            }
        );
        assert_eq!(
            cmd("FETCH 1 FLAGS").unwrap(),
            Command::Unknown("FETCH".into())
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        for bad in [
            "NOOP extra",
            "LOGIN onlyuser",
            "SELECT",
            "STATUS INBOX ()",
            "STATUS INBOX (BOGUS)",
            "LIST \"\"",
            "ID",
            "SELECT INBOX (CONDSTORE)",
        ] {
            assert!(cmd(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
