//! The `imapdoctor` binary: parse, run, render, exit.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = imapdoctor::cli::Cli::parse();
    imapdoctor::app::main(cli).into()
}
