//! The fleet view: failures grouped by (check, fault, code) and by server, and a reading of the
//! whole ("31 of 40 fail at auth with auth.unavailable on outlook.office365.com:993: provider
//! side"). Pure: [`Tally`] takes one small [`Outcome`] per finished target (never the report)
//! and [`Tally::summary`] decides; memory grows with the distinct servers and failure kinds, and
//! at most [`MAX_LINES`] line numbers are kept per group.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::exit_code::ExitCode;
use crate::report::{Fault, Report};

/// Line numbers kept per failure group (the count is always exact).
pub const MAX_LINES: usize = 20;
/// Servers named in a reading before "on N servers" is said instead.
const NAMED_SERVERS: usize = 3;

/// What the summary keeps of one finished target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The row's line number in the batch file.
    pub line: u64,
    /// `host:port` connected to.
    pub server: String,
    /// Whether the host belongs to a known public provider.
    pub provider: bool,
    /// The first failing check (`None`: passed).
    pub failure: Option<Failure>,
    /// The target's exit code.
    pub exit_code: ExitCode,
}

/// How a target failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The first failing check (`auth`); `interrupted` when the run was cut short.
    pub check: String,
    /// The verdict's owner.
    pub fault: Fault,
    /// The verdict code (`auth.unavailable`).
    pub code: String,
}

impl Failure {
    fn key(&self) -> (&str, &str, &str) {
        (&self.check, self.fault.as_str(), &self.code)
    }
}

impl Ord for Failure {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Failure {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Outcome {
    /// What the summary needs of `report`, the row at `line`.
    pub fn of(line: u64, report: &Report) -> Outcome {
        let failing = report.first_failure().map(|c| c.id.as_str());
        let failure = match (report.interrupted, failing) {
            (true, check) => Some(check.unwrap_or("interrupted")),
            (false, check) => check,
        }
        .map(|check| Failure {
            check: check.to_string(),
            fault: report.verdict.fault,
            code: report.verdict.code.clone(),
        });
        Outcome {
            line,
            server: crate::render::host_port(report),
            provider: crate::providers::by_host(&report.target.host).is_some(),
            failure,
            exit_code: ExitCode::for_report(report),
        }
    }
}

/// The counts so far.
#[derive(Debug, Default)]
pub struct Tally {
    checked: u64,
    bad_lines: u64,
    servers: BTreeMap<String, ServerCount>,
    groups: BTreeMap<Failure, GroupCount>,
}

#[derive(Debug, Default)]
struct ServerCount {
    targets: u64,
    failed: u64,
    provider: bool,
}

#[derive(Debug)]
struct GroupCount {
    count: u64,
    exit_code: ExitCode,
    lines: Vec<u64>,
    servers: BTreeMap<String, u64>,
}

/// The batch's summary: the `summary` of the last JSON line.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Summary {
    /// Rows checked (bad lines not included).
    pub targets: u64,
    /// Rows whose checks all passed (warnings allowed).
    pub passed: u64,
    /// Rows with a failing check (or cut short by Ctrl-C).
    pub failed: u64,
    /// Lines skipped because they could not be understood or validated.
    pub bad_lines: u64,
    /// Whether the batch was interrupted (Ctrl-C) before every row was checked.
    pub interrupted: bool,
    /// Failures grouped by (check, fault, code), most frequent first.
    pub failures: Vec<FailureGroup>,
    /// Every server checked, with its counts, the most failing first.
    pub servers: Vec<ServerSummary>,
    /// The fleet-level reading, one sentence per failure group (or one saying all passed).
    pub reading: Vec<String>,
    /// The batch's exit code: 0 when every row passed, else the exit code of the most frequent
    /// failure (ties: the earliest layer); 2 when only bad lines failed; 130 when interrupted.
    pub exit_code: u8,
    /// The same, for the process.
    #[serde(skip)]
    pub exit: ExitCode,
}

/// Targets that failed the same way.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FailureGroup {
    /// The first failing check (`interrupted` when cut short before any failed).
    pub check: String,
    /// The verdict's owner.
    pub fault: Fault,
    /// The verdict code.
    pub code: String,
    /// How many targets.
    pub count: u64,
    /// Their servers (`host:port`) with how many of the group each holds.
    pub servers: BTreeMap<String, u64>,
    /// Their line numbers in the batch file, sorted (the first 20 to finish).
    pub lines: Vec<u64>,
    /// The reading of this group, as in `reading`.
    pub reading: String,
}

/// One server's counts.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ServerSummary {
    /// `host:port`.
    pub server: String,
    /// Rows for this server.
    pub targets: u64,
    /// Of which failed.
    pub failed: u64,
}

impl Tally {
    /// Counts a finished target.
    pub fn add(&mut self, outcome: Outcome) {
        self.checked += 1;
        let server = self.servers.entry(outcome.server.clone()).or_default();
        server.targets += 1;
        server.provider = outcome.provider;
        let Some(failure) = outcome.failure else {
            return;
        };
        server.failed += 1;
        let group = self.groups.entry(failure).or_insert_with(|| GroupCount {
            count: 0,
            exit_code: outcome.exit_code,
            lines: Vec::new(),
            servers: BTreeMap::new(),
        });
        group.count += 1;
        if group.lines.len() < MAX_LINES {
            group.lines.push(outcome.line);
        }
        *group.servers.entry(outcome.server).or_default() += 1;
    }

    /// Counts a skipped bad line.
    pub fn add_bad_line(&mut self) {
        self.bad_lines += 1;
    }

    /// The summary of everything counted; `interrupted` when the batch was cut short.
    pub fn summary(&self, interrupted: bool) -> Summary {
        let failed: u64 = self.groups.values().map(|g| g.count).sum();
        let mut groups: Vec<(&Failure, &GroupCount)> = self.groups.iter().collect();
        groups.sort_by(|a, b| {
            let layer = |g: &GroupCount| g.exit_code as u8;
            b.1.count.cmp(&a.1.count).then(layer(a.1).cmp(&layer(b.1)))
        });
        let failures: Vec<FailureGroup> = groups
            .iter()
            .map(|(failure, group)| FailureGroup {
                check: failure.check.clone(),
                fault: failure.fault,
                code: failure.code.clone(),
                count: group.count,
                servers: group.servers.clone(),
                lines: {
                    let mut lines = group.lines.clone();
                    lines.sort_unstable();
                    lines
                },
                reading: self.reading(failure, group),
            })
            .collect();
        let mut servers: Vec<ServerSummary> = self
            .servers
            .iter()
            .map(|(server, count)| ServerSummary {
                server: server.clone(),
                targets: count.targets,
                failed: count.failed,
            })
            .collect();
        servers.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.server.cmp(&b.server)));
        let mut reading: Vec<String> = failures.iter().map(|f| f.reading.clone()).collect();
        if failed == 0 && self.checked > 0 {
            reading.push(format!("all {} passed", self.checked));
        }
        if self.bad_lines > 0 {
            reading.push(format!(
                "{} {} skipped: see the errors with their line numbers",
                self.bad_lines,
                if self.bad_lines == 1 {
                    "bad line"
                } else {
                    "bad lines"
                }
            ));
        }
        let exit = match groups.first() {
            _ if interrupted => ExitCode::Interrupted,
            Some((_, group)) => group.exit_code,
            None if self.bad_lines > 0 => ExitCode::Usage,
            None => ExitCode::Success,
        };
        Summary {
            targets: self.checked,
            passed: self.checked - failed,
            failed,
            bad_lines: self.bad_lines,
            interrupted,
            failures,
            servers,
            reading,
            exit_code: exit as u8,
            exit,
        }
    }

    /// "N of M fail at CHECK with CODE on SERVER: WHOSE".
    fn reading(&self, failure: &Failure, group: &GroupCount) -> String {
        let verb = if group.count == 1 { "fails" } else { "fail" };
        let at = if failure.check == "interrupted" {
            "interrupted".to_string()
        } else {
            format!("{verb} at {} with {}", failure.check, failure.code)
        };
        let on = if group.servers.len() <= NAMED_SERVERS {
            let names: Vec<&str> = group.servers.keys().map(String::as_str).collect();
            names.join(", ")
        } else {
            format!("{} servers", group.servers.len())
        };
        format!(
            "{} of {} {at} on {on}: {}",
            group.count,
            self.checked,
            self.whose(failure, group)
        )
    }

    /// Whose problem the group is, seen across the fleet.
    fn whose(&self, failure: &Failure, group: &GroupCount) -> &'static str {
        // Targets on the group's servers, and whether every one of them fails this way.
        let on_servers: u64 = group
            .servers
            .keys()
            .filter_map(|s| self.servers.get(s))
            .map(|s| s.targets)
            .sum();
        let server_wide = on_servers == group.count;
        let provider = group
            .servers
            .keys()
            .all(|s| self.servers.get(s).is_some_and(|c| c.provider));
        let every_server = group.servers.len() > 1 && group.servers.len() == self.servers.len();
        match failure.fault {
            _ if failure.check == "interrupted" => "cut short by Ctrl-C",
            Fault::Local => "this computer or its network",
            _ if every_server && server_wide && group.count > 1 => {
                "this computer or its network: every server fails the same way"
            }
            Fault::Server if server_wide && provider => "provider side",
            Fault::Server if server_wide => "server side",
            Fault::Server if provider => "provider side, for some accounts (others pass)",
            Fault::Server => "server side, for some accounts (others pass)",
            Fault::Account | Fault::None if server_wide && group.count > 1 => {
                "every account on that server: a change on the server's side or one shared setting"
            }
            _ if group.count == 1 && self.checked > 1 => "that account or that computer",
            Fault::Account | Fault::None => "those accounts (others on the same server pass)",
            Fault::Config => "those rows' settings",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(line: u64, server: &str, failure: Option<(&str, Fault, &str, ExitCode)>) -> Outcome {
        Outcome {
            line,
            server: server.into(),
            provider: server.contains("office365"),
            failure: failure.map(|(check, fault, code, _)| Failure {
                check: check.into(),
                fault,
                code: code.into(),
            }),
            exit_code: failure.map_or(ExitCode::Success, |f| f.3),
        }
    }

    type Failing = (&'static str, Fault, &'static str, ExitCode);
    const UNAVAILABLE: Failing = ("auth", Fault::Server, "auth.unavailable", ExitCode::Auth);
    const REJECTED: Failing = ("auth", Fault::Account, "auth.rejected", ExitCode::Auth);
    const REFUSED: Failing = ("tcp", Fault::Server, "tcp.refused", ExitCode::Tcp);

    #[test]
    fn a_provider_outage_reads_provider_side() {
        let mut tally = Tally::default();
        for line in 1..=31 {
            tally.add(outcome(
                line,
                "outlook.office365.com:993",
                Some(UNAVAILABLE),
            ));
        }
        for line in 32..=40 {
            tally.add(outcome(line, "mail.example.test:993", None));
        }
        let summary = tally.summary(false);
        assert_eq!(
            (summary.targets, summary.passed, summary.failed),
            (40, 9, 31)
        );
        assert_eq!(
            summary.reading,
            [
                "31 of 40 fail at auth with auth.unavailable on outlook.office365.com:993: provider side"
            ]
        );
        assert_eq!(summary.exit_code, 14);
        assert_eq!(summary.failures[0].lines.len(), MAX_LINES);
        assert_eq!(summary.servers[0].server, "outlook.office365.com:993");
        assert_eq!(summary.servers[0].failed, 31);
    }

    #[test]
    fn one_failure_in_a_healthy_fleet_is_that_account_or_that_computer() {
        let mut tally = Tally::default();
        tally.add(outcome(1, "mail.example.test:993", Some(REJECTED)));
        for line in 2..=40 {
            tally.add(outcome(line, "mail.example.test:993", None));
        }
        let summary = tally.summary(false);
        assert_eq!(
            summary.reading,
            [
                "1 of 40 fails at auth with auth.rejected on mail.example.test:993: that account or that computer"
            ]
        );
        assert_eq!(summary.failures[0].lines, [1]);
    }

    #[test]
    fn a_mixed_fleet_reads_each_group_by_itself() {
        let mut tally = Tally::default();
        tally.add(outcome(1, "a.test:993", Some(REJECTED)));
        tally.add(outcome(2, "a.test:993", Some(REJECTED)));
        tally.add(outcome(3, "a.test:993", None));
        tally.add(outcome(4, "a.test:993", None));
        tally.add(outcome(5, "down.test:993", Some(REFUSED)));
        tally.add_bad_line();
        let summary = tally.summary(false);
        assert_eq!(
            summary.reading,
            [
                "2 of 5 fail at auth with auth.rejected on a.test:993: those accounts (others on the same server pass)",
                "1 of 5 fails at tcp with tcp.refused on down.test:993: server side",
                "1 bad line skipped: see the errors with their line numbers",
            ]
        );
        assert_eq!(summary.exit_code, 14, "the most frequent failure's code");
        assert_eq!(summary.bad_lines, 1);
        let by_server: Vec<(&str, u64, u64)> = summary
            .servers
            .iter()
            .map(|s| (s.server.as_str(), s.targets, s.failed))
            .collect();
        assert_eq!(by_server, [("a.test:993", 4, 2), ("down.test:993", 1, 1)]);
    }

    #[test]
    fn every_server_failing_alike_points_at_this_computer() {
        let mut tally = Tally::default();
        for (line, server) in ["a.test:993", "b.test:993", "c.test:993"]
            .iter()
            .enumerate()
        {
            tally.add(outcome(line as u64 + 1, server, Some(REFUSED)));
        }
        let summary = tally.summary(false);
        assert_eq!(
            summary.reading,
            [
                "3 of 3 fail at tcp with tcp.refused on a.test:993, b.test:993, c.test:993: this computer or its network: every server fails the same way"
            ]
        );
    }

    #[test]
    fn ties_go_to_the_earliest_layer_and_bad_lines_alone_exit_2() {
        let mut tally = Tally::default();
        tally.add(outcome(1, "a.test:993", Some(REJECTED)));
        tally.add(outcome(2, "b.test:993", Some(REFUSED)));
        assert_eq!(tally.summary(false).exit_code, 11);
        assert_eq!(tally.summary(true).exit_code, 130);
        let mut bad_only = Tally::default();
        bad_only.add(outcome(1, "a.test:993", None));
        bad_only.add_bad_line();
        assert_eq!(bad_only.summary(false).exit_code, 2);
        assert_eq!(Tally::default().summary(false).exit_code, 0);
        let mut good = Tally::default();
        good.add(outcome(1, "a.test:993", None));
        assert_eq!(good.summary(false).reading, ["all 1 passed"]);
    }

    #[test]
    fn many_servers_are_counted_not_named() {
        let mut tally = Tally::default();
        for n in 0..5 {
            tally.add(outcome(n, &format!("s{n}.test:993"), Some(REJECTED)));
            tally.add(outcome(n + 100, &format!("s{n}.test:993"), None));
        }
        let reading = &tally.summary(false).reading[0];
        assert!(reading.contains("on 5 servers"), "{reading}");
    }
}
