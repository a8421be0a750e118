//! Where a run happened ([`Environment`]): operating system, architecture, the configured
//! nameservers, which proxy variables are set (names only: their values can hold credentials)
//! and this computer's end of the TCP connection.

use std::ffi::OsString;

use crate::report::{Check, Details, Environment};

/// Describes this computer for a run whose tcp check is `tcp`.
pub fn of_this_computer(tcp: Option<&Check>) -> Environment {
    Environment {
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        resolvers: crate::checks::nameservers::configured(),
        proxy_variables: proxy_variables(std::env::vars_os().map(|(name, _)| name)),
        local_address: tcp.and_then(|check| match &check.details {
            Details::Tcp(details) => details.local_address,
            _ => None,
        }),
        config_file: None,
    }
}

/// The names among `names` that configure a proxy (`*_PROXY` in any case: `HTTPS_PROXY`,
/// `all_proxy`, `NO_PROXY`, …), sorted. Only names are looked at, never values.
fn proxy_variables(names: impl Iterator<Item = OsString>) -> Vec<String> {
    let mut found: Vec<String> = names
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.to_ascii_uppercase().ends_with("_PROXY"))
        .map(|name| crate::sanitize::terminal_text(&name))
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_variables_are_the_proxy_names_only() {
        let names = [
            "PATH",
            "https_proxy",
            "NO_PROXY",
            "ALL_PROXY",
            "PROXY",
            "HOME",
            "MY_PROXY_HOST",
        ];
        let found = proxy_variables(names.into_iter().map(OsString::from));
        assert_eq!(found, ["ALL_PROXY", "NO_PROXY", "https_proxy"]);
    }
}
