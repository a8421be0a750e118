//! The committed shell completions (`completions/`) and man page (`doc/imapdoctor.1`) are generated
//! from the clap definition. This test fails when they drift; `UPDATE_COMPLETIONS=1 cargo test`
//! rewrites them.

use std::path::PathBuf;

use clap_complete::Shell;

fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut cmd = imapdoctor::cli::command();
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "imapdoctor", &mut out);
        let name = match shell {
            Shell::Bash => "imapdoctor.bash",
            Shell::Zsh => "_imapdoctor",
            Shell::Fish => "imapdoctor.fish",
            Shell::PowerShell => "_imapdoctor.ps1",
            _ => "imapdoctor.elv",
        };
        files.push((root.join("completions").join(name), out));
    }
    files.push((
        root.join("doc").join("imapdoctor.1"),
        imapdoctor::man::render(),
    ));
    files
}

#[test]
fn the_man_page_documents_the_environment_and_exit_status_and_names_no_missing_page() {
    let page = String::from_utf8(imapdoctor::man::render()).unwrap();
    for section in [
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH COMMANDS",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(page.contains(section), "{section} missing");
    }
    for name in [
        "IMAPDOCTOR_PASSWORD",
        "IMAPDOCTOR_OAUTH_TOKEN",
        "NO_COLOR",
        "SSL_CERT_FILE",
        "IMAPDOCTOR_CONFIG",
    ] {
        assert!(
            page.contains(&format!(".TP\n\\fB{name}\\fR")),
            "{name} missing"
        );
    }
    for code in [0, 2, 3, 10, 11, 12, 13, 14, 15, 130] {
        assert!(
            page.contains(&format!(".TP\n\\fB{code}\\fR")),
            "exit {code} missing"
        );
    }
    // Only this page exists: no imapdoctor-demo(1), imapdoctor-help(1).
    assert!(!page.contains("(1)"), "{page}");
    assert_eq!(page.matches(".ds Aq").count(), 2, "one apostrophe preamble");
}

#[test]
fn completions_and_man_page_match_the_cli() {
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, content) in generated() {
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (regenerate with UPDATE_COMPLETIONS=1 cargo test --test generated): {stale:?}"
    );
}
