//! The man page (`doc/imapdoctor.1`): clap_mangen's sections for what clap knows (synopsis,
//! options), and our own for the modes, the environment and the exit status, so that the page
//! names no other page (there is no `imapdoctor-demo(1)`).

use roff::{Roff, bold, roman};

use crate::exit_code::ExitCode;

/// The environment variables imapdoctor reads, and what for.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        crate::secret::PASSWORD_ENV,
        "The password for --user (never taken from the command line; see also --password-stdin). Set but empty is a usage error.",
    ),
    (
        crate::secret::TOKEN_ENV,
        "An OAuth2 bearer token for XOAUTH2 or OAUTHBEARER (--oauth-token-file reads it from a file instead). Set but empty is a usage error.",
    ),
    (
        crate::config_file::CONFIG_ENV,
        "The config file to read when --config is not given (instead of the one in the platform's config directory; see FILES). Set but empty: read none, as --no-config. A file it names must exist.",
    ),
    (
        "NO_COLOR",
        "When set and not empty, no colour (as --no-color). Colour is only ever used on a terminal.",
    ),
    (
        "SSL_CERT_FILE",
        "On Linux and the BSDs, a PEM bundle read as the operating system's trust store; it must be a regular file of at most 16 MiB.",
    ),
    (
        "SSL_CERT_DIR",
        "On Linux and the BSDs, a directory of certificates read as the operating system's trust store.",
    ),
];

/// Where the config file is looked for, per platform (when neither --config nor
/// IMAPDOCTOR_CONFIG names one); see [`crate::config_file::default_path`].
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/imapdoctor/imapdoctor.toml",
        "On Linux and the BSDs (~/.config/imapdoctor/imapdoctor.toml when XDG_CONFIG_HOME is not set).",
    ),
    (
        "~/Library/Application Support/imapdoctor/imapdoctor.toml",
        "On macOS.",
    ),
    ("%APPDATA%\\imapdoctor\\imapdoctor.toml", "On Windows."),
];

/// What the config file holds, for the FILES section.
const FILES_INTRO: &str = "The config file (TOML) holds defaults for every run in a [defaults] table (control, timeout, login_timeout, format, color and any other option by its long name with _ for -), and named profiles in [profiles.NAME] tables, used as imapdoctor @NAME (a profile may name the target). Options on the command line win over the profile, which wins over [defaults]. It never holds a secret: password_env and token_env name environment variables, password_file and token_file name files; relative paths are relative to the file's directory. It is optional: a missing file in the default place is not an error.";

/// The exit codes, and what each means.
const EXIT_STATUS: &[(ExitCode, &str)] = &[
    (
        ExitCode::Success,
        "Every check passed (warnings allowed); explain and demo without a fault succeeded.",
    ),
    (
        ExitCode::Usage,
        "The command line was wrong (also an unknown code for explain).",
    ),
    (ExitCode::Internal, "imapdoctor itself failed."),
    (ExitCode::Dns, "The dns check failed."),
    (ExitCode::Tcp, "The tcp check failed."),
    (ExitCode::Tls, "The tls check failed."),
    (ExitCode::Capability, "The capability check failed."),
    (ExitCode::Auth, "The auth check failed."),
    (ExitCode::Folders, "The folders check failed."),
    (
        ExitCode::Discover,
        "No server was found for the e-mail address given as TARGET (the discover check failed).",
    ),
    (
        ExitCode::Interrupted,
        "The run was interrupted (Ctrl-C), at the password prompt or during the checks.",
    ),
];

/// The modes other than the check, as they are typed.
fn modes(roff: &mut Roff) {
    roff.control("SH", ["COMMANDS"]);
    for mode in crate::cli::command().get_subcommands() {
        let name = mode.get_name();
        if name == "help" {
            continue;
        }
        let mut usage = mode.clone().bin_name(format!("imapdoctor {name}"));
        let usage = usage.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage:").trim();
        roff.control("TP", []);
        roff.text([bold(usage)]);
        roff.text([roman(
            mode.get_about().map(|a| a.to_string()).unwrap_or_default(),
        )]);
        for arg in mode.get_arguments().filter(|a| !a.is_hide_set()) {
            let Some(long) = arg.get_long() else {
                continue;
            };
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|_| arg.get_action().takes_values())
                .map(|v| v.get_name().to_string())
                .collect();
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            roff.control("br", []);
            let values = if values.is_empty() {
                String::new()
            } else {
                format!(" ({})", values.join(", "))
            };
            roff.text([
                bold(format!("--{long}")),
                roman(format!(": {help}{values}")),
            ]);
        }
    }
}

/// One of clap_mangen's section writers.
type Section = fn(&clap_mangen::Man, &mut dyn std::io::Write) -> std::io::Result<()>;

/// The page, as roff.
pub fn render() -> Vec<u8> {
    let man = clap_mangen::Man::new(crate::cli::command());
    let mut out = Vec::new();
    let sections: [Section; 6] = [
        clap_mangen::Man::render_title,
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
        clap_mangen::Man::render_options_section,
        clap_mangen::Man::render_extra_section,
    ];
    for section in sections {
        section(&man, &mut out).expect("writing to memory");
    }
    let mut roff = Roff::new();
    modes(&mut roff);
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", [])
            .text([bold(*name)])
            .text([roman(*meaning)]);
    }
    roff.control("SH", ["FILES"]);
    roff.text([roman(FILES_INTRO)]);
    for (path, meaning) in FILES {
        roff.control("TP", [])
            .text([bold(*path)])
            .text([roman(*meaning)]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_STATUS {
        roff.control("TP", [])
            .text([bold((*code as u8).to_string())])
            .text([roman(*meaning)]);
    }
    roff.control("PP", []).text([roman(
        "With --repeat or --watch, and for batch, the code is that of the most frequent failure \
         (ties: the earliest layer), 0 when everything passed. With --format nagios the codes \
         follow the monitoring-plugin convention instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    )]);
    roff.to_writer(&mut out).expect("writing to memory");
    man.render_version_section(&mut out)
        .expect("writing to memory");
    // Each section came with roff's apostrophe preamble: keep the first. clap_mangen calls the
    // after-help text EXTRA.
    let page = String::from_utf8(out).expect("roff output is UTF-8");
    let preamble = Roff::new().render();
    let body = page
        .replace(&preamble, "")
        .replace(".SH EXTRA\n", ".SH NOTES\n");
    format!("{preamble}{body}").into_bytes()
}
