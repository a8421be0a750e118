//! `imapdoctor explain` and `demo --list` as JSON, through the binary: one conforming document
//! for a code, for the list and for the demo's faults, saying what the text says (no drift); an
//! unknown code's usage-error document; the formats they cannot write refused. Nothing here
//! touches the network.

mod support;

use serde_json::Value;
use support::offline::imapdoctor;

/// `text` with every run of white space one space (the text is wrapped at 80 columns).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The strings of a JSON array.
fn strings(array: &Value) -> Vec<&str> {
    array
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {array}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// Asserts that the JSON `explanation` of a code says what `explain CODE`'s text says.
fn assert_same_as_text(explanation: &Value, text: &str) {
    let code = explanation["code"].as_str().unwrap();
    let owners = strings(&explanation["owners"]).join(" or ");
    let confidence = explanation["confidence"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "{code}\n  owner: {owners}\n  confidence: {confidence}\n"
        )),
        "{explanation}\n{text}"
    );
    let text = flat(text);
    let meanings = explanation["meanings"].as_array().unwrap();
    assert!(!meanings.is_empty());
    for meaning in meanings {
        let summary = meaning["summary"].as_str().unwrap();
        let said = match meaning["when"].as_str() {
            Some(when) => format!(
                "When {when} (owner: {}): {summary} What to do:",
                meaning["fault"].as_str().unwrap()
            ),
            None => format!("{summary} What to do:"),
        };
        assert!(text.contains(&flat(&said)), "{said:?} not in\n{text}");
        for hint in strings(&meaning["hints"]) {
            assert!(text.contains(&format!("- {}", flat(hint))), "{hint:?}");
        }
    }
    for alternative in explanation["alternatives"].as_array().unwrap() {
        let said = format!(
            "- {}: {}.",
            alternative["fault"].as_str().unwrap(),
            alternative["summary"].as_str().unwrap()
        );
        assert!(text.contains(&flat(&said)), "{said:?} not in\n{text}");
    }
}

#[test]
fn explain_with_json_writes_one_document_saying_what_the_text_says() {
    // One row with other causes; one joining a check's row and server-response rows; a response
    // code from several wordings.
    for code in ["tcp.timeout", "auth.rejected", "auth.privacy_required"] {
        let text = imapdoctor(&["explain", code]);
        assert_eq!(text.code, 0, "{}", text.stderr);
        for args in [
            &["--json", "explain", code][..],
            &["explain", code, "--format", "json"],
        ] {
            let out = imapdoctor(args);
            assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
            let document = out.json();
            assert_eq!(document["schema_version"], 1);
            assert_eq!(document["explanation"]["code"], code);
            assert_same_as_text(&document["explanation"], &text.stdout);
        }
    }
    let timeout = &imapdoctor(&["--json", "explain", "TCP.TIMEOUT"]).json()["explanation"];
    assert_eq!(timeout["owners"], serde_json::json!(["server"]));
    assert_eq!(timeout["alternatives"][0]["fault"], "local");
    assert_eq!(timeout["meanings"][0]["when"], Value::Null);
    let rejected = &imapdoctor(&["--json", "explain", "auth.rejected"]).json()["explanation"];
    assert!(rejected["meanings"].as_array().unwrap().len() >= 2);
    assert!(
        rejected["meanings"][1]["when"]
            .as_str()
            .unwrap()
            .contains("[AUTHENTICATIONFAILED]"),
        "{rejected}"
    );
}

#[test]
fn explain_list_with_json_has_every_entry_of_the_text_in_its_order() {
    let text = imapdoctor(&["explain", "--list"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let out = imapdoctor(&["--format", "json", "explain", "--list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let document = out.json();
    let entries = document["explanations"].as_array().unwrap();
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(entries.len(), lines.len());
    for (entry, line) in entries.iter().zip(&lines) {
        let words: Vec<&str> = line.splitn(2, "  ").collect();
        let (code, rest) = (words[0].trim(), words[1].trim_start());
        assert_eq!(entry["code"], code, "{line}");
        let owners = strings(&entry["owners"]).join(" or ");
        let headline = entry["headline"].as_str().unwrap();
        assert_eq!(flat(rest), flat(&format!("{owners} {headline}")), "{line}");
    }
    // The list's entries are whole: one of them as `explain CODE` writes it.
    let refused = entries.iter().find(|e| e["code"] == "tcp.refused").unwrap();
    let alone = imapdoctor(&["--json", "explain", "tcp.refused"]).json();
    assert_eq!(refused, &alone["explanation"]);
}

#[test]
fn demo_list_with_json_names_every_fault_the_text_lists() {
    let text = imapdoctor(&["demo", "--list"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let out = imapdoctor(&["--json", "demo", "--list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let document = out.json();
    let faults = document["demo_faults"].as_array().unwrap();
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(faults.len(), lines.len());
    assert!(faults.len() >= 11, "{}", faults.len());
    for (fault, line) in faults.iter().zip(&lines) {
        let said = format!(
            "{} {} {}",
            fault["name"].as_str().unwrap(),
            fault["code"].as_str().unwrap(),
            fault["simulates"].as_str().unwrap()
        );
        assert_eq!(flat(line), said);
        // Every demo verdict is a code `explain` knows.
        let code = fault["code"].as_str().unwrap();
        assert!(
            imapdoctor::diagnose::catalogue::find(code).is_some(),
            "{code}"
        );
    }
    assert_eq!(faults[0]["name"], "wrong-password");
    assert_eq!(faults[0]["code"], "auth.rejected");
}

#[test]
fn an_unknown_code_with_json_is_the_usage_error_document() {
    let out = imapdoctor(&["--json", "explain", "tcp.refsed"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let document = out.json();
    assert_eq!(document["error"]["code"], "usage");
    let message = document["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("unknown verdict code \"tcp.refsed\"; did you mean tcp.refused"),
        "{message}"
    );
    assert_eq!(out.stderr.trim_end(), format!("imapdoctor: {message}"));
    // The same exit code as the text's; --quiet writes nothing, the exit code still tells.
    assert_eq!(imapdoctor(&["explain", "tcp.refsed"]).code, 2);
    let quiet = imapdoctor(&["-q", "--json", "explain", "tcp.refsed"]);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (2, ""));
    let quiet = imapdoctor(&["-q", "--json", "explain", "tcp.refused"]);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (0, ""));
}

#[test]
fn formats_other_than_text_and_json_are_refused() {
    for format in ["markdown", "oneline", "prometheus"] {
        for (args, mode) in [
            (&["explain", "tcp.refused"][..], "explain"),
            (&["explain", "--list"], "explain"),
            (&["demo", "--list"], "demo --list"),
        ] {
            let args: Vec<&str> = [&["--format", format][..], args].concat();
            let out = imapdoctor(&args);
            assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
            assert_eq!(
                out.stderr.trim_end(),
                format!(
                    "imapdoctor: {mode} writes text (--format human) or one JSON document (--format json): --format {format} does not apply"
                ),
                "{args:?}"
            );
        }
    }
    // A monitoring plugin's usage error is UNKNOWN.
    let out = imapdoctor(&["--format", "nagios", "explain", "tcp.refused"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("IMAP UNKNOWN - explain writes text (--format human) or one JSON"),
        "{}",
        out.stdout
    );
    // The demo itself still writes every format.
    let out = imapdoctor(&["--format", "oneline", "demo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("OK ok "), "{}", out.stdout);
}
