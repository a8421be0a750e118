//! `--format nagios` as a whole program: a monitoring plugin. The check runs through the engine
//! as always; the output is [`Nagios`]'s status line and the exit code is the plugin state (0 OK,
//! 1 WARNING, 2 CRITICAL, 3 UNKNOWN), not imapdoctor's own codes. A usage or internal error is
//! UNKNOWN with the message as the status text (and on stderr, as always).

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::config_file::location::Loaded;
use crate::render::nagios::{self, State};

/// Runs the command line as a plugin.
pub fn main(cli: Cli, file: Option<Loaded>) -> ExitCode {
    let runtime = match crate::app::runtime() {
        Ok(rt) => rt,
        Err(e) => return unknown(&format!("cannot start: {e}")),
    };
    let interrupt = crate::app::ctrl_c();
    // `explain` and `demo --list` write text or JSON only: a usage error, so UNKNOWN.
    if let Some(command) = &cli.command
        && let Some(refused) = crate::explain::refusal(command, cli.output.format())
    {
        crate::stderr::say(&refused);
        return unknown_unless_quiet(&refused, cli.output.quiet);
    }
    let report = match &cli.command {
        Some(Command::Demo(demo)) if !demo.list => {
            match runtime.block_on(crate::demo::run(demo.fault, cli.output.verbose)) {
                Ok(report) => report,
                Err(e) => return unknown(&format!("{e:#}")),
            }
        }
        // `batch` and `serve`: their own output and exit codes.
        Some(_) => return ExitCode::from(crate::app::main(cli, file) as u8),
        None => match crate::app::config_from_cli(&cli.check, file.as_ref(), cli.output.verbose) {
            Ok(config) => runtime.block_on(crate::engine::check_until(config, interrupt)),
            Err(e) => {
                crate::stderr::say(&e);
                return unknown_unless_quiet(&e.to_string(), cli.output.quiet);
            }
        },
    };
    // getaddrinfo cannot be cancelled: never wait for a lookup that outlived its deadline.
    runtime.shutdown_background();
    if let Err(e) = crate::app::render(&report, &cli.output)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        crate::stderr::say(format_args!("cannot write the report: {e}"));
        return ExitCode::from(State::Unknown as u8);
    }
    ExitCode::from(nagios::state(&report, &cli.output.limits()).0 as u8)
}

/// Writes `IMAP UNKNOWN - <first line of message>` to stdout and gives exit code 3.
pub fn unknown(message: &str) -> ExitCode {
    unknown_unless_quiet(message, false)
}

fn unknown_unless_quiet(message: &str, quiet: bool) -> ExitCode {
    if !quiet {
        let line = nagios::unknown_line(message.trim_start_matches("error: "));
        let _ = crate::app::write_stdout(&format!("{line}\n"), false);
    }
    ExitCode::from(State::Unknown as u8)
}
