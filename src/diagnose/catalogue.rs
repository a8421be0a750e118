//! Every verdict code the diagnosis can give, read from the decision tables (`rules.rs`,
//! `responses.rs`, `confidence.rs`): who owns it, what it means, what to do and what else may be
//! the cause. `imapdoctor explain` prints these entries.

use super::{confidence, responses, rules};
use crate::report::Fault;

/// The prefix that stands for the failing check in codes from the response table.
pub const ANY_CHECK: &str = "<check>";

/// The checks whose server responses the response table reads (see `server_words`).
const RESPONSE_CHECKS: &[&str] = &["auth", "folders", "capability"];

/// What one verdict code means.
pub struct Entry {
    /// The code (`tcp.refused`, `<check>.unavailable`).
    pub code: String,
    /// The table rows behind the code (a response code may come from several server wordings).
    pub meanings: Vec<Meaning>,
    /// The confidence a verdict with this code has, in words.
    pub confidence: &'static str,
    /// Other sides that may be the cause.
    pub alternatives: &'static [(Fault, &'static str)],
}

/// One table row behind a code.
pub struct Meaning {
    /// What the server said, for rows of the response table.
    pub when: Option<String>,
    /// Who owns the problem.
    pub fault: Fault,
    /// What the code means.
    pub summary: &'static str,
    /// What to do next.
    pub hints: &'static [&'static str],
}

/// The owner's name as the report spells it.
pub fn owner(fault: Fault) -> &'static str {
    match fault {
        Fault::None => "none",
        Fault::Local => "local",
        Fault::Server => "server",
        Fault::Account => "account",
        Fault::Config => "config",
    }
}

impl Entry {
    /// The owners of the code's rows, without repeats, joined by " or ".
    pub fn owners(&self) -> String {
        let owners: Vec<&str> = self.faults().into_iter().map(owner).collect();
        owners.join(" or ")
    }

    /// The owners of the code's rows, without repeats, in the rows' order.
    pub fn faults(&self) -> Vec<Fault> {
        let mut faults: Vec<Fault> = Vec::new();
        for m in &self.meanings {
            if !faults.contains(&m.fault) {
                faults.push(m.fault);
            }
        }
        faults
    }
}

const OK_HINTS: &[&str] = &[
    "Without --user only the connection is tested: add --user to test the login and the mailbox too.",
];

/// All the codes, in the tables' order: the outcomes without a failure, the check error rows,
/// then the server-response rows (one entry per code).
pub fn entries() -> Vec<Entry> {
    let plain = |code: &str, fault, summary, hints| Entry {
        code: code.to_string(),
        meanings: vec![Meaning {
            when: None,
            fault,
            summary,
            hints,
        }],
        confidence: "certain",
        alternatives: &[],
    };
    let mut all = vec![
        plain("ok", Fault::None, "every check passed.", OK_HINTS),
        plain(
            "ok.with_warnings",
            Fault::None,
            "every check passed, some with a warning (see the checks marked WARN).",
            OK_HINTS,
        ),
        Entry {
            confidence: "inconclusive",
            ..plain(
                super::INTERRUPTED,
                Fault::None,
                "the run was interrupted (Ctrl-C) before a conclusion.",
                &[super::INTERRUPTED_HINT],
            )
        },
    ];
    for rule in rules::RULES {
        let mut entry = plain(rule.code, rule.fault, rule.summary, rule.hints);
        entry.confidence = confidence::describe(rule.code);
        entry.alternatives = confidence::lookup(rule.code).map_or(&[], |d| d.alternatives);
        all.push(entry);
    }
    for rule in responses::RESPONSE_RULES {
        let code = format!("{ANY_CHECK}.{}", rule.code);
        let meaning = Meaning {
            when: Some(server_said(&rule.matcher, "")),
            fault: rule.fault,
            summary: rule.summary,
            hints: rule.hints,
        };
        match all.iter_mut().find(|e| e.code == code) {
            Some(entry) => entry.meanings.push(meaning),
            None => all.push(Entry {
                code,
                meanings: vec![meaning],
                confidence: "certain",
                alternatives: &[],
            }),
        }
    }
    all
}

/// What a response row matches, in words; `quote` goes around the response code (`` ` `` in
/// Markdown).
pub(super) fn server_said(m: &responses::Matcher, quote: &str) -> String {
    let said = match (m.code, m.text) {
        (Some(c), Some(t)) => format!("the server answers {quote}[{c}]{quote} saying \"{t}\""),
        (Some(c), None) => format!("the server answers {quote}[{c}]{quote}"),
        (None, t) => format!("the server says \"{}\"", t.unwrap_or_default()),
    };
    match m.provider.and_then(crate::providers::by_id) {
        Some(p) => format!("{said} (only when the server is {})", p.name),
        None => said,
    }
}

/// The entry for a code as a verdict or the `--list` spells it (case-insensitive). A response
/// code may be given with the check that failed (`auth.unavailable`), with `<check>.`, or alone;
/// a check's own row and the response rows of the same name (`auth.rejected`) are joined.
pub fn find(code: &str) -> Option<Entry> {
    let code = code.trim().to_ascii_lowercase();
    let suffix = match code.split_once('.') {
        Some((check, suffix)) if check == ANY_CHECK || RESPONSE_CHECKS.contains(&check) => {
            Some(suffix)
        }
        Some(_) => None,
        None => Some(code.as_str()),
    };
    let response = suffix.map(|s| format!("{ANY_CHECK}.{s}"));
    // The check rows come before the response rows.
    let mut found = entries()
        .into_iter()
        .filter(|e| e.code == code || response.as_ref() == Some(&e.code));
    let mut entry = found.next()?;
    if let Some(more) = found.next() {
        entry.meanings.extend(more.meanings);
    }
    if entry.code.starts_with(ANY_CHECK) && code.contains('.') {
        entry.code = code;
    }
    Some(entry)
}

/// Known codes that look like `code`, closest first (at most five).
pub fn closest(code: &str) -> Vec<String> {
    let code = code.trim().to_ascii_lowercase();
    let mut scored: Vec<(f64, String)> = entries()
        .into_iter()
        .map(|e| {
            let bare = e.code.rsplit('.').next().unwrap_or_default();
            let score = strsim::normalized_damerau_levenshtein(&code, &e.code).max(
                strsim::normalized_damerau_levenshtein(
                    code.rsplit('.').next().unwrap_or_default(),
                    bare,
                ) * 0.9,
            );
            (score, e.code)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(5).map(|(_, code)| code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        let all = entries();
        for (i, e) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|o| o.code != e.code), "{}", e.code);
            assert!(!e.meanings.is_empty());
        }
        assert!(all.len() > rules::RULES.len());
    }

    #[test]
    fn response_codes_are_found_with_or_without_their_check() {
        let entry = find("auth.unavailable").expect("found");
        assert_eq!(entry.code, "auth.unavailable");
        assert_eq!(entry.owners(), "server");
        assert_eq!(find("UNAVAILABLE").unwrap().code, "<check>.unavailable");
        assert_eq!(find("privacy_required").unwrap().meanings.len(), 4);
        // A check's own row and the response rows of the same name are joined.
        let rejected = find("auth.rejected").unwrap();
        assert_eq!(rejected.meanings.len(), 2);
        assert_eq!(rejected.meanings[0].when, None);
        assert!(find("tcp.unavailable").is_none());
        assert!(find("nonsense").is_none());
    }

    #[test]
    fn doubts_and_confidence_come_along() {
        let timeout = find("tcp.timeout").unwrap();
        assert!(timeout.confidence.contains("inconclusive without"));
        assert_eq!(timeout.alternatives[0].0, Fault::Local);
    }

    #[test]
    fn near_misses_name_the_closest_codes() {
        assert_eq!(closest("tcp.refsed")[0], "tcp.refused");
        assert_eq!(closest("auth.rejceted")[0], "auth.rejected");
        assert!(closest("zzzzzzzzzzzzzzzz").is_empty());
    }
}
