//! The `imapdoctor` binary: parse, run, render, exit.

fn main() -> std::process::ExitCode {
    match imapdoctor::cli::parse() {
        Ok(cli) => imapdoctor::app::run(cli),
        // clap's own text and code (help and version: stdout, 0; errors: stderr, 2); a write
        // that fails (`>/dev/full`) loses the text but never panics.
        Err(e) => {
            let args: Vec<_> = std::env::args_os().collect();
            if e.use_stderr() && imapdoctor::cli::asks_for_json(&args) {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                imapdoctor::app::write_usage_error_json(first.trim_start_matches("error: "));
            }
            let _ = e.print();
            if e.use_stderr() && imapdoctor::cli::asks_for_nagios(&args) {
                return imapdoctor::plugin::unknown(&e.render().to_string());
            }
            std::process::ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}
