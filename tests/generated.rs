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
    let mut man = Vec::new();
    clap_mangen::Man::new(imapdoctor::cli::command())
        .render(&mut man)
        .expect("render the man page");
    files.push((root.join("doc").join("imapdoctor.1"), man));
    files
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
