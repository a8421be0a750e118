//! Memory stays bounded whatever a server sends: against raw hostile servers on loopback (floods of
//! capabilities, mailboxes, status items, literals and tiny lines, an endless line, a greeting that
//! drips forever), the binary's own peak RSS (its `ru_maxrss`, read when it is reaped with `wait4`)
//! stays at most 64 MiB, it exits with the expected code (never a panic's 101), and within
//! `--max-time` plus slack. Floods end just under the 16 MiB bound on one command's answer, so the
//! exchange completes and everything it carried was absorbed; one flood never ends. Every run is
//! `--json -v`, so the transcript is rendered too. Run with `--nocapture` for the figures.
#![cfg(target_os = "linux")]

mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use support::measured::{self, Sample};
use support::scripted::{CANARY, USER};

/// Peak RSS allowed for any run, MiB.
const MAX_RSS_MIB: f64 = 64.0;
/// `--max-time` of every run, seconds (the floods complete well before it).
const MAX_TIME_SECS: u64 = 30;
/// `--timeout` of the floods.
const FLOOD_TIMEOUT_SECS: u64 = 25;
/// Spawn and exit on a busy machine, on top of `--max-time`.
const SLACK: Duration = Duration::from_secs(2);
/// A flood's size: just under the 16 MiB bound on one command's answer, so it completes.
const FLOOD: usize = 16 * 1024 * 1024 - 64 * 1024;

/// Capabilities of the greeting of a server that lets the client log in (one-line PLAIN).
const LOGIN_GREETING: &str = "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hostile ready\r\n";

/// What the server sends first.
enum Opening {
    /// These bytes.
    Bytes(Vec<u8>),
    /// `* OK ` and then `A` forever, without a line end.
    Endless,
    /// `* OK ` and then one `A` every 10 ms, forever.
    Drip,
}

/// How the server answers the command that triggers the flood.
struct Flood {
    /// The command (upper-case) whose answer is hostile.
    command: &'static str,
    /// The bytes repeated.
    unit: Vec<u8>,
    /// Whether the flood ends (at [`FLOOD`] bytes) with the tagged OK, or never ends.
    completes: bool,
}

/// One hostile server and what the run against it must end with.
struct Scenario {
    name: &'static str,
    opening: Opening,
    flood: Option<Flood>,
    /// Log in (as [`USER`] with the canary password) so the folders check runs.
    login: bool,
    /// `--timeout`: long enough for a flood to complete (a debug build parses 16 MiB in seconds).
    timeout_secs: u64,
    /// Expected exit code.
    exit: i32,
    /// Expected verdict code.
    verdict: &'static str,
    /// Words expected in a note of some check, if any.
    note: Option<&'static str>,
}

impl Scenario {
    /// A flood of `unit` answering `command` and ending in its tagged OK: before login for
    /// CAPABILITY, after it otherwise. The run passes.
    fn flood(name: &'static str, command: &'static str, unit: Vec<u8>) -> Scenario {
        let login = command != "CAPABILITY";
        let greeting = if login {
            LOGIN_GREETING
        } else {
            "* OK hostile ready\r\n"
        };
        Scenario {
            name,
            opening: Opening::Bytes(greeting.as_bytes().to_vec()),
            flood: Some(Flood {
                command,
                unit,
                completes: true,
            }),
            login,
            timeout_secs: FLOOD_TIMEOUT_SECS,
            exit: 0,
            verdict: "ok",
            note: None,
        }
    }

    /// A server that only ever sends its opening; the capability check fails with `verdict`.
    fn opening(name: &'static str, opening: Opening, verdict: &'static str) -> Scenario {
        Scenario {
            name,
            opening,
            flood: None,
            login: false,
            timeout_secs: 2,
            exit: 13,
            verdict,
            note: None,
        }
    }
}

/// `prefix` and then ` word(0) word(1) …` up to `line_bytes`, then `suffix` and CRLF.
fn long_line(
    prefix: &str,
    word: impl Fn(usize) -> String,
    line_bytes: usize,
    suffix: &str,
) -> Vec<u8> {
    let mut line = prefix.to_string();
    let mut i = 0;
    while line.len() < line_bytes {
        line.push(' ');
        line.push_str(&word(i));
        i += 1;
    }
    line.push_str(suffix);
    line.push_str("\r\n");
    line.into_bytes()
}

fn scenarios() -> Vec<Scenario> {
    let letters = |i: usize| ((b'a' + (i % 26) as u8) as char).to_string();
    let ignored = Some("more capabilities beyond the first 1000; ignored");
    let list = b"* LIST () \"/\" x\r\n".to_vec();
    // U+202E (3 bytes) escapes to `\u{202e}` (8): the worst case per character for the
    // transcript and for the mailbox names kept.
    let bidi = "\u{202e}".repeat(1200);
    vec![
        Scenario {
            note: ignored,
            ..Scenario::flood(
                "capability lines",
                "CAPABILITY",
                long_line("* CAPABILITY", letters, 64 * 1024, ""),
            )
        },
        Scenario {
            opening: Opening::Bytes(long_line(
                "* OK [CAPABILITY",
                letters,
                250 * 1024,
                "] hostile ready",
            )),
            flood: None,
            note: ignored,
            ..Scenario::flood("capability greeting", "CAPABILITY", Vec::new())
        },
        Scenario::flood("tiny OK lines", "CAPABILITY", b"* OK x\r\n".to_vec()),
        Scenario::flood(
            "bidi OK lines",
            "CAPABILITY",
            format!("* OK {bidi}\r\n").into_bytes(),
        ),
        Scenario::flood("LIST flood", "LIST", list.clone()),
        Scenario::flood(
            "LIST literal flood",
            "LIST",
            b"* LIST () \"/\" {1}\r\nx\r\n".to_vec(),
        ),
        Scenario::flood(
            "bidi LIST names",
            "LIST",
            format!("* LIST () \"/\" \"{bidi}\"\r\n").into_bytes(),
        ),
        Scenario::flood(
            "STATUS item flood",
            "STATUS",
            long_line(
                "* STATUS INBOX (MESSAGES 1",
                |i| format!("X{i} {i}"),
                64 * 1024,
                ")",
            ),
        ),
        Scenario::flood("EXISTS flood", "EXAMINE", b"* 1 EXISTS\r\n".to_vec()),
        Scenario::flood(
            "FLAGS flood",
            "EXAMINE",
            long_line("* FLAGS (\\Seen", |i| format!("k{i}"), 64 * 1024, ")"),
        ),
        Scenario {
            flood: Some(Flood {
                command: "LIST",
                unit: list,
                completes: false,
            }),
            exit: 15,
            verdict: "folders.too_long",
            ..Scenario::flood("endless LIST answer", "LIST", Vec::new())
        },
        Scenario::opening("endless line", Opening::Endless, "capability.too_long"),
        Scenario::opening("dripping greeting", Opening::Drip, "capability.timeout"),
    ]
}

/// Writes `unit` repeatedly, `total` bytes in all (whole units), or forever with `None`.
async fn flood(
    out: &mut (impl AsyncWrite + Unpin),
    unit: &[u8],
    total: Option<usize>,
) -> std::io::Result<()> {
    let block = unit.repeat((1 << 20) / unit.len() + 1);
    let mut sent = 0;
    loop {
        let left = total.map_or(block.len(), |t| (t - sent) / unit.len() * unit.len());
        let n = left.min(block.len());
        if n == 0 {
            return Ok(());
        }
        out.write_all(&block[..n]).await?;
        sent += n;
    }
}

/// One connection of a hostile server: the opening, then `OK` to every command (in order, so
/// pipelined commands are answered in turn) except the flooded one.
async fn serve(stream: TcpStream, scenario: Arc<Scenario>) -> std::io::Result<()> {
    let (reader, mut out) = stream.into_split();
    match &scenario.opening {
        Opening::Bytes(bytes) => out.write_all(bytes).await?,
        Opening::Endless => {
            out.write_all(b"* OK ").await?;
            return flood(&mut out, b"A", None).await;
        }
        Opening::Drip => {
            out.write_all(b"* OK ").await?;
            loop {
                out.write_all(b"A").await?;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        let mut words = line.split(' ');
        let tag = words.next().unwrap_or("*").to_string();
        let command = words.next().unwrap_or_default().to_ascii_uppercase();
        match &scenario.flood {
            Some(f) if f.command == command => {
                flood(&mut out, &f.unit, f.completes.then_some(FLOOD)).await?;
            }
            _ if command == "LOGOUT" => {
                out.write_all(format!("* BYE\r\n{tag} OK\r\n").as_bytes())
                    .await?;
                return Ok(());
            }
            _ => {}
        }
        out.write_all(format!("{tag} OK done\r\n").as_bytes())
            .await?;
    }
    Ok(())
}

async fn hostile_server(scenario: Arc<Scenario>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, scenario.clone()));
        }
    });
    port
}

/// What the report says, read from the output file without holding it in memory (the test
/// process's own peak RSS becomes each child's starting `ru_maxrss`, so it must stay small).
#[derive(Default, serde::Deserialize)]
struct Report {
    verdict: Verdict,
    checks: Vec<CheckNotes>,
}

#[derive(Default, serde::Deserialize)]
struct CheckNotes {
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Default, serde::Deserialize)]
struct Verdict {
    code: String,
}

/// A measured run, its report's verdict code and notes, and whether the password leaked.
struct Outcome {
    sample: Sample,
    verdict: String,
    notes: Vec<String>,
    leaked: bool,
}

fn measure(port: u16, scenario: &Scenario) -> Outcome {
    let stdout = tempfile::NamedTempFile::new().unwrap();
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    command
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(stdout.reopen().unwrap())
        .stderr(stderr.reopen().unwrap())
        .args(["--json", "-v", "--no-control", "--security", "none"])
        .args(["--timeout", &scenario.timeout_secs.to_string()])
        .args(["--max-time", &MAX_TIME_SECS.to_string()]);
    if scenario.login {
        command
            .args(["--user", USER, "--allow-plaintext-auth"])
            .env("IMAPDOCTOR_PASSWORD", CANARY);
    }
    command.arg(format!("127.0.0.1:{port}"));
    let mut sample = measured::measure(&mut command, false).expect("run imapdoctor");
    let written = std::fs::read_to_string(stdout.path()).unwrap_or_default();
    let report: Option<Report> = support::schema::conforming_document(&written)
        .and_then(|document| serde_json::from_value(document).ok());
    sample.stderr = std::fs::read_to_string(stderr.path()).unwrap_or_default();
    let (verdict, notes) = match report {
        Some(r) => (
            r.verdict.code,
            r.checks.into_iter().flat_map(|c| c.notes).collect(),
        ),
        None => ("(no JSON)".into(), Vec::new()),
    };
    Outcome {
        verdict,
        notes,
        leaked: contains(stdout.path(), CANARY) || sample.stderr.contains(CANARY),
        sample,
    }
}

/// Whether the file holds `needle`, read in chunks.
fn contains(path: &std::path::Path, needle: &str) -> bool {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut window = Vec::new();
    let mut chunk = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut chunk).unwrap();
        if n == 0 {
            return false;
        }
        let keep = window.len().min(needle.len());
        window.drain(..window.len() - keep);
        window.extend_from_slice(&chunk[..n]);
        if window.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            return true;
        }
    }
}

/// The test process's own peak RSS, MiB: what every child's `ru_maxrss` starts from.
fn floor() -> f64 {
    let mut command = Command::new("true");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    measured::measure(&mut command, false)
        .expect("run true")
        .max_rss_mib()
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_stays_bounded_whatever_a_server_sends() {
    let mut failures = Vec::new();
    eprintln!(
        "{:<22} {:>14} {:>10} {:>5}  verdict",
        "scenario", "peak RSS", "wall", "exit"
    );
    for scenario in scenarios() {
        let scenario = Arc::new(scenario);
        let port = hostile_server(scenario.clone()).await;
        let measured = scenario.clone();
        let Outcome {
            sample,
            verdict,
            notes,
            leaked,
        } = tokio::task::spawn_blocking(move || measure(port, &measured))
            .await
            .unwrap();
        eprintln!(
            "{:<22} {:>10.1} MiB {:>7} ms {:>5}  {verdict}",
            scenario.name,
            sample.max_rss_mib(),
            sample.wall.as_millis(),
            sample.code
        );
        let mut fail = |why: String| failures.push(format!("{}: {why}", scenario.name));
        if sample.max_rss_mib() > MAX_RSS_MIB {
            fail(format!(
                "peak RSS {:.1} MiB > {MAX_RSS_MIB} MiB",
                sample.max_rss_mib()
            ));
        }
        if sample.code != scenario.exit {
            fail(format!(
                "exit {} (expected {}); stderr: {}",
                sample.code,
                scenario.exit,
                sample.stderr.chars().take(2000).collect::<String>()
            ));
        }
        if verdict != scenario.verdict {
            fail(format!("verdict {verdict} (expected {})", scenario.verdict));
        }
        if sample.wall > Duration::from_secs(MAX_TIME_SECS) + SLACK {
            fail(format!("wall time {} ms", sample.wall.as_millis()));
        }
        if let Some(words) = scenario.note
            && !notes.iter().any(|n| n.contains(words))
        {
            fail(format!("no note saying {words:?} among {notes:?}"));
        }
        if leaked {
            fail("the password leaked".into());
        }
    }
    eprintln!(
        "(every figure includes the test process's own peak, {:.1} MiB, which a child starts from)",
        floor()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
