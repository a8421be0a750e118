//! Line layout for the human report: how wide the lines may be (decided once, like colour) and
//! wrapping one line to that width with a hanging indent, so a continuation sits under the text
//! it continues rather than under the status column.

/// The narrowest width wrapped to: below it every word would get a line of its own.
const NARROWEST: usize = 20;

/// The width used on a terminal whose size cannot be read.
pub const FALLBACK: usize = 80;

/// The width to wrap the human report to: `COLUMNS` when set to a number (a request, honoured on
/// a pipe too, as clap's help does), else the terminal's width when stdout is a terminal (80 when
/// its size is unknown); `None` (no wrapping, one finding per line for grep and mail clients)
/// when stdout is not a terminal.
pub fn width(stdout_is_terminal: bool) -> Option<usize> {
    let requested = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    let measured = || {
        terminal_size::terminal_size()
            .map(|(terminal_size::Width(w), _)| usize::from(w))
            .filter(|w| *w > 0)
            .unwrap_or(FALLBACK)
    };
    requested.or_else(|| stdout_is_terminal.then(measured))
}

/// `first` then `body`, wrapped to `width` (when there is one) with continuation lines indented by
/// `hang` spaces. Words (host names, addresses) are never broken, not even at their hyphens, so
/// they stay whole for copying. Colour escapes in `first` take no width.
pub fn hanging(width: Option<usize>, first: &str, body: &str, hang: usize) -> String {
    let Some(width) = width else {
        return format!("{first}{body}");
    };
    let rest = " ".repeat(hang);
    let options = textwrap::Options::new(width.max(NARROWEST))
        .initial_indent(first)
        .subsequent_indent(&rest)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(body, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_hang_under_the_text() {
        let body = "the server closed the connection before it sent a greeting line";
        let wrapped = hanging(Some(40), "  FAIL capability  ", body, 19);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() > 1, "{wrapped}");
        assert!(lines[0].starts_with("  FAIL capability  the"), "{wrapped}");
        for line in &lines {
            assert!(line.chars().count() <= 40, "{line:?} is wider than 40");
        }
        for line in &lines[1..] {
            assert!(line.starts_with(&" ".repeat(19)), "{line:?}");
            assert!(!line[19..].starts_with(' '), "{line:?}");
        }
        let words: Vec<&str> = wrapped.split_whitespace().skip(2).collect();
        assert_eq!(words.join(" "), body);
    }

    #[test]
    fn without_a_width_the_line_stays_whole() {
        let body = "word ".repeat(40);
        assert_eq!(hanging(None, "  → ", &body, 4), format!("  → {body}"));
    }

    #[test]
    fn long_words_are_not_broken() {
        let host = "imap.a-very-long-host-name.example.com";
        let wrapped = hanging(Some(24), "  → ", &format!("try {host}"), 4);
        assert!(wrapped.lines().any(|l| l.trim() == host), "{wrapped}");
    }
}
