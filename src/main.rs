//! The `imapdoctor` binary: parse, run, render, exit.

fn main() -> std::process::ExitCode {
    match imapdoctor::cli::parse() {
        Ok(cli) => imapdoctor::app::main(cli).into(),
        // clap's own text and code (help and version: stdout, 0; errors: stderr, 2); a write
        // that fails (`>/dev/full`) loses the text but never panics.
        Err(e) => {
            let _ = e.print();
            std::process::ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}
