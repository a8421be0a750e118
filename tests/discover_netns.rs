//! Discovery against a real DNS server: the binary runs in the netns lab's client namespace
//! (see `support/netns.rs`), where dnsmasq serves SRV and MX records for test domains and there
//! is no route to the internet, so no public name is ever resolved for real. `imapdoctor
//! alice@example.test` finds the lab's IMAP server through SRV and logs in; an MX at Microsoft
//! 365 or Google is recognised (the check of that provider's server then fails in the lab, which
//! is not what is asserted). Without SRV, a Mozilla autoconfig document served over HTTPS from
//! inside the lab (at `autoconfig.DOMAIN` or the domain's `.well-known` path, a test CA's
//! certificate, `--ca-file`) names the server. Needs root; elsewhere each test prints `skipped: <why>` (a failure
//! with IMAPDOCTOR_REQUIRE_NETNS=1).

#![cfg(target_os = "linux")]

mod support;

use std::net::{IpAddr, SocketAddr};

use imapdoctor::demo::pki::{LeafSpec, TestCa};
use imapdoctor::demo::server::{Script, Security};
use serde_json::Value;
use support::https_server::{HttpsServer, Reply};
use support::netns::{self, CTL_V4, Lab, MAIL_HOST, MAIL_V4, MAIL_V6, Record, Run};

const BIN: &str = env!("CARGO_BIN_EXE_imapdoctor");
const ADDRESS: &str = "alice@example.test";
const PASSWORD: &str = "Canary-discover-netns-71c";
/// The lab's IMAP port (implicit TLS).
const PORT: u16 = 10993;

/// A lab whose dnsmasq also serves `records`, with mail.test serving IMAP over TLS on [`PORT`]
/// for [`ADDRESS`], and the CA file that trusts it.
struct World {
    // Field order is drop order: the HTTPS server (then its runtime) before the lab.
    https: Option<(HttpsServer, tokio::runtime::Runtime)>,
    lab: Lab,
    ca: TestCa,
    ca_file: String,
}

impl World {
    fn start(records: &[Record]) -> Option<World> {
        let mut lab = netns::lab_with_dns_or_skip(records)?;
        let ca = TestCa::new("imapdoctor discover CA");
        let ca_file = lab.dir().join("ca.pem");
        std::fs::write(&ca_file, &ca.cert_pem).unwrap();
        let mail = ca.issue(&LeafSpec::valid_for([MAIL_HOST]));
        let script = Script::healthy(Security::ImplicitTls(mail.server_config()))
            .with_account(ADDRESS, PASSWORD);
        let addrs = [
            SocketAddr::new(MAIL_V4.into(), PORT),
            SocketAddr::new(MAIL_V6.into(), PORT),
        ];
        lab.serve_imap(&addrs, script).unwrap();
        Some(World {
            https: None,
            lab,
            ca,
            ca_file: ca_file.display().to_string(),
        })
    }

    /// An HTTPS server on port 443 at `addr` in the lab's net namespace, with a certificate of
    /// the test CA for `names`, answering each request target with `routes`.
    fn serve_https(
        &mut self,
        addr: IpAddr,
        names: &[&str],
        routes: impl Fn(&str) -> Reply + Send + Sync + 'static,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = netns::bind_in(self.lab.net(), SocketAddr::new(addr, 443)).unwrap();
        let leaf = self.ca.issue(&LeafSpec::valid_for(names.iter().copied()));
        let server = {
            let _inside = runtime.enter();
            HttpsServer::serve_on(listener, &leaf, routes)
        };
        self.https = Some((server, runtime));
    }

    /// The request targets the HTTPS server received.
    fn https_requests(&self) -> Vec<String> {
        let (server, _) = self.https.as_ref().expect("an HTTPS server");
        server.requests.lock().unwrap().clone()
    }

    /// `imapdoctor --json --no-control --ca-file … ARGS` in the client namespace, with the
    /// password in the environment.
    fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["--json", "--no-control", "--ca-file", &self.ca_file];
        all.extend_from_slice(args);
        let run = self
            .lab
            .run(BIN, &all, &[("IMAPDOCTOR_PASSWORD", PASSWORD)]);
        assert!(
            !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
            "password in the output:\n{}",
            run.dump()
        );
        assert!(run.json.is_some(), "no JSON report:\n{}", run.dump());
        run
    }
}

fn srv(name: &str, target: &str, port: u16, priority: u16, weight: u16) -> Record {
    Record::Srv(name.into(), Some((target.into(), port, priority, weight)))
}

fn mx(domain: &str, exchange: &str) -> Record {
    Record::Mx(domain.into(), exchange.into(), 10)
}

fn discover(run: &Run) -> &Value {
    let check = &run.json.as_ref().unwrap()["checks"][0];
    assert_eq!(check["id"], "discover", "{}", run.dump());
    check
}

/// The discover check's answer from `query`.
fn answer<'a>(run: &'a Run, query: &str) -> &'a Value {
    discover(run)["details"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["query"] == query)
        .unwrap_or_else(|| panic!("no answer to {query}:\n{}", run.dump()))
}

#[test]
fn an_address_finds_the_lab_server_through_srv_and_logs_in() {
    let Some(w) = World::start(&[
        // The heavier of two equal priorities comes first; a lower priority never.
        srv("_imaps._tcp.example.test", MAIL_HOST, PORT, 10, 60),
        srv(
            "_imaps._tcp.example.test",
            "backup.example.test",
            PORT,
            10,
            5,
        ),
        srv(
            "_imaps._tcp.example.test",
            "late.example.test",
            PORT,
            20,
            100,
        ),
        Record::Srv("_imap._tcp.example.test".into(), None),
        mx("example.test", "mx.example.test"),
    ]) else {
        return;
    };
    let run = w.run(&["--timeout", "3", ADDRESS]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json.as_ref().unwrap();
    assert_eq!(report["target"]["input"], ADDRESS);
    assert_eq!(report["target"]["host"], MAIL_HOST);
    assert_eq!(report["target"]["port"], PORT);
    assert_eq!(report["target"]["user"], ADDRESS);
    assert_eq!(report["verdict"]["code"], "ok", "{}", run.dump());
    let check = discover(&run);
    assert_eq!(check["status"], "pass", "{}", run.dump());
    assert_eq!(check["details"]["chosen_from"], "srv");
    let imaps = answer(&run, "_imaps._tcp.example.test SRV");
    assert_eq!(imaps["outcome"], "found");
    let hosts: Vec<&str> = imaps["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["host"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        [MAIL_HOST, "backup.example.test", "late.example.test"]
    );
    assert_eq!(
        answer(&run, "_imap._tcp.example.test SRV")["outcome"],
        "not_offered"
    );
    let mx = answer(&run, "example.test MX");
    assert_eq!(mx["outcome"], "not_found", "{}", run.dump());
    assert!(mx["answer"].as_str().unwrap().contains("mx.example.test"));
    let auth = &report["checks"][5];
    assert_eq!(
        (&auth["id"], &auth["status"]),
        (&"auth".into(), &"pass".into())
    );
}

#[test]
fn an_mx_at_microsoft_365_or_google_is_recognised() {
    let Some(w) = World::start(&[
        mx("contoso.test", "contoso-test.mail.protection.outlook.com"),
        mx("fabrikam.test", "aspmx.l.google.com"),
    ]) else {
        return;
    };
    for (address, host, provider) in [
        ("alice@contoso.test", "outlook.office365.com", "microsoft"),
        ("bob@fabrikam.test", "imap.gmail.com", "google"),
    ] {
        let run = w.run(&["--timeout", "2", "--max-time", "4", address]);
        let check = discover(&run);
        assert_eq!(check["status"], "pass", "{}", run.dump());
        let details = &check["details"];
        assert_eq!(details["chosen_from"], "mx", "{}", run.dump());
        assert_eq!(details["chosen"]["host"], host);
        assert_eq!(details["chosen"]["provider"], provider);
        assert_eq!(run.json.as_ref().unwrap()["target"]["host"], host);
        // The provider's server cannot be reached from the lab: a later check fails.
        assert_ne!(run.code, 16, "{}", run.dump());
    }
}

#[test]
fn sources_that_disagree_are_shown_and_srv_wins() {
    let Some(w) = World::start(&[
        srv("_imaps._tcp.example.test", MAIL_HOST, PORT, 0, 0),
        mx("example.test", "alt1.aspmx.l.google.com"),
    ]) else {
        return;
    };
    let run = w.run(&["--timeout", "3", ADDRESS]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let check = discover(&run);
    assert_eq!(check["status"], "warn", "{}", run.dump());
    assert_eq!(check["warning"]["code"], "discover.sources_disagree");
    assert_eq!(check["details"]["chosen"]["host"], MAIL_HOST);
    assert_eq!(check["details"]["disagreeing"][0], "mx");
    let message = check["warning"]["message"].as_str().unwrap();
    assert!(
        message.contains("example.test MX says imap.gmail.com:993"),
        "{message}"
    );
    assert_eq!(
        run.json.as_ref().unwrap()["verdict"]["code"],
        "ok.with_warnings"
    );
}

#[test]
fn nothing_found_is_a_config_fault_with_exit_16() {
    let Some(w) = World::start(&[]) else { return };
    let run = w.run(&["--timeout", "2", "nobody@nothing.test"]);
    assert_eq!(run.code, 16, "{}", run.dump());
    let report = run.json.as_ref().unwrap();
    assert_eq!(report["verdict"]["code"], "discover.not_found");
    assert_eq!(report["verdict"]["fault"], "config");
    let check = discover(&run);
    assert_eq!(check["error"]["code"], "discover.not_found");
    assert_eq!(check["details"]["chosen"], Value::Null);
    for other in &report["checks"].as_array().unwrap()[1..] {
        assert_eq!(other["status"], "skip", "{other}");
    }
}

#[test]
fn a_given_server_of_another_provider_than_the_users_mx_is_a_warning() {
    let Some(w) = World::start(&[mx(
        "contoso.test",
        "contoso-test.mail.protection.outlook.com",
    )]) else {
        return;
    };
    let run = w.run(&[
        "--timeout",
        "2",
        "--max-time",
        "4",
        "--user",
        "alice@contoso.test",
        "imap.gmail.com",
    ]);
    let check = discover(&run);
    assert_eq!(check["status"], "warn", "{}", run.dump());
    assert_eq!(check["warning"]["code"], "discover.provider_mismatch");
    assert_eq!(check["details"]["purpose"], "compare");
    assert_eq!(check["details"]["sources"][0]["query"], "contoso.test MX");
    let hints = &run.json.as_ref().unwrap()["verdict"]["hints"];
    assert!(
        hints[0]
            .as_str()
            .unwrap()
            .contains("alice@contoso.test's mail is at Microsoft 365"),
        "{}",
        run.dump()
    );
}

#[test]
fn the_human_report_shows_each_source_its_answer_and_time() {
    let Some(w) = World::start(&[
        srv("_imaps._tcp.example.test", MAIL_HOST, PORT, 0, 0),
        mx("example.test", "mx.example.test"),
    ]) else {
        return;
    };
    let ca = w.ca_file.clone();
    let run = w.lab.run(
        BIN,
        &[
            "--no-color",
            "--no-control",
            "--ca-file",
            &ca,
            "--timeout",
            "3",
            ADDRESS,
        ],
        &[("IMAPDOCTOR_PASSWORD", PASSWORD)],
    );
    println!("{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.dump());
    let sources = regex::Regex::new(
        r"(?m)^ +· srv _imaps\._tcp\.example\.test SRV: found, 0 0 10993 mail\.test\. \(\d+ ms\)$",
    )
    .unwrap();
    assert!(sources.is_match(&run.stdout), "{}", run.stdout);
    for line in [
        "PASS discover",
        "alice@example.test → mail.test:10993 (implicit TLS), from SRV _imaps._tcp.example.test",
        "· mx example.test MX: not found, 10 mx.example.test.: not a known provider's",
        "· why: the domain's SRV record (RFC 6186) names its IMAP server",
        "Verdict [OK]",
    ] {
        assert!(
            run.stdout.contains(line),
            "{line:?} missing:\n{}",
            run.stdout
        );
    }
}

/// What `https://autoconfig.example.test/…` is asked for [`ADDRESS`].
const PROVIDER_PATH: &str = "/mail/config-v1.1.xml?emailaddress=alice%40example.test";
/// The well-known path on the domain itself.
const WELL_KNOWN_PATH: &str = "/.well-known/autoconfig/mail/config-v1.1.xml";
const PROVIDER_URL: &str =
    "https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test";
const WELL_KNOWN_URL: &str = "https://example.test/.well-known/autoconfig/mail/config-v1.1.xml";

/// An autoconfig document naming the lab's IMAP server (implicit TLS on [`PORT`]) after a POP3
/// server, which is ignored.
fn lab_document() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="pop3">
      <hostname>pop.%EMAILDOMAIN%</hostname><port>995</port><socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>{MAIL_HOST}</hostname><port>{PORT}</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
  </emailProvider>
</clientConfig>
"#
    )
}

/// Serves [`lab_document`] at `path`, 404 elsewhere.
fn document_at(path: &'static str) -> impl Fn(&str) -> Reply + Send + Sync + 'static {
    let document = lab_document();
    move |target| {
        if target == path {
            Reply::xml(&document)
        } else {
            Reply::not_found()
        }
    }
}

/// The report's target is the lab server, the login and the folders checks passed.
fn checked_the_lab_server(run: &Run) {
    let report = run.json.as_ref().unwrap();
    assert_eq!(report["target"]["input"], ADDRESS);
    assert_eq!(report["target"]["host"], MAIL_HOST, "{}", run.dump());
    assert_eq!(report["target"]["port"], PORT);
    assert_eq!(report["target"]["security"], "tls");
    assert_eq!(report["target"]["user"], ADDRESS);
    let checks = report["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "discover",
            "dns",
            "tcp",
            "tls",
            "capability",
            "auth",
            "folders"
        ]
    );
    for check in &checks[1..] {
        assert_eq!(check["status"], "pass", "{}", run.dump());
    }
    assert!(
        checks[1]["summary"]
            .as_str()
            .unwrap()
            .starts_with("mail.test → "),
        "{}",
        run.dump()
    );
}

#[test]
fn an_address_finds_the_lab_server_through_autoconfig() {
    let Some(mut w) = World::start(&[
        Record::Address("autoconfig.example.test".into(), CTL_V4.into()),
        mx("example.test", "mx.example.test"),
    ]) else {
        return;
    };
    w.serve_https(
        CTL_V4.into(),
        &["autoconfig.example.test"],
        document_at(PROVIDER_PATH),
    );
    let run = w.run(&["--timeout", "3", ADDRESS]);
    assert_eq!(run.code, 0, "{}", run.dump());
    checked_the_lab_server(&run);
    assert_eq!(run.json.as_ref().unwrap()["verdict"]["code"], "ok");
    let check = discover(&run);
    assert_eq!(check["status"], "pass", "{}", run.dump());
    let details = &check["details"];
    assert_eq!(details["chosen_from"], "autoconfig");
    assert_eq!(details["chosen"]["host"], MAIL_HOST);
    assert_eq!(details["chosen"]["port"], PORT);
    assert_eq!(details["chosen"]["security"], "tls");
    assert_eq!(details["disagreeing"], serde_json::json!([]));
    assert!(
        details["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("autoconfig document names it ({PROVIDER_URL})")),
        "{}",
        run.dump()
    );
    assert_eq!(
        check["summary"],
        format!("{ADDRESS} → {MAIL_HOST}:{PORT} (implicit TLS), from autoconfig {PROVIDER_URL}")
    );
    // Both attempts are recorded: the autoconfig host's document, the domain without a name.
    let provider = answer(&run, PROVIDER_URL);
    assert_eq!(provider["source"], "autoconfig");
    assert_eq!(provider["outcome"], "found");
    assert_eq!(provider["answer"], "mail.test:10993 (implicit TLS)");
    assert_eq!(provider["servers"].as_array().unwrap().len(), 1);
    let well_known = answer(&run, WELL_KNOWN_URL);
    assert_eq!(well_known["source"], "autoconfig");
    assert_eq!(well_known["outcome"], "failed", "{}", run.dump());
    assert!(
        well_known["answer"]
            .as_str()
            .unwrap()
            .starts_with("could not connect"),
        "{}",
        run.dump()
    );
    assert_eq!(
        answer(&run, "_imaps._tcp.example.test SRV")["outcome"],
        "not_found"
    );
    assert_eq!(answer(&run, "example.test MX")["outcome"], "not_found");
    // The document was fetched for the address, once, over HTTPS from inside the lab.
    assert_eq!(w.https_requests(), [PROVIDER_PATH]);

    // The same in the human format.
    let human = w.lab.run(
        BIN,
        &[
            "--no-color",
            "--no-control",
            "--ca-file",
            &w.ca_file,
            "--timeout",
            "3",
            ADDRESS,
        ],
        &[("IMAPDOCTOR_PASSWORD", PASSWORD)],
    );
    println!("{}", human.stdout);
    assert_eq!(human.code, 0, "{}", human.dump());
    let attempt = regex::Regex::new(&format!(
        r"(?m)^ +· autoconfig {}: found, mail\.test:10993 \(implicit TLS\) \(\d+ ms\)$",
        regex::escape(PROVIDER_URL)
    ))
    .unwrap();
    assert!(attempt.is_match(&human.stdout), "{}", human.stdout);
    for line in [
        "PASS discover",
        &format!(
            "alice@example.test → mail.test:10993 (implicit TLS), from autoconfig {PROVIDER_URL}"
        ),
        &format!("· autoconfig {WELL_KNOWN_URL}: failed, could not connect"),
        "PASS auth",
        "Verdict [OK]",
    ] {
        assert!(
            human.stdout.contains(line),
            "{line:?} missing:\n{}",
            human.stdout
        );
    }
}

#[test]
fn the_well_known_document_of_the_domain_serves_when_there_is_no_autoconfig_host() {
    let Some(mut w) = World::start(&[Record::Address("example.test".into(), CTL_V4.into())]) else {
        return;
    };
    w.serve_https(
        CTL_V4.into(),
        &["example.test"],
        document_at(WELL_KNOWN_PATH),
    );
    let run = w.run(&["--timeout", "3", ADDRESS]);
    assert_eq!(run.code, 0, "{}", run.dump());
    checked_the_lab_server(&run);
    let check = discover(&run);
    assert_eq!(check["status"], "pass", "{}", run.dump());
    assert_eq!(check["details"]["chosen_from"], "autoconfig");
    assert_eq!(check["details"]["chosen"]["host"], MAIL_HOST);
    assert_eq!(
        check["summary"],
        format!("{ADDRESS} → {MAIL_HOST}:{PORT} (implicit TLS), from autoconfig {WELL_KNOWN_URL}")
    );
    // autoconfig.example.test does not exist (NXDOMAIN): that attempt failed to connect.
    let provider = answer(&run, PROVIDER_URL);
    assert_eq!(provider["outcome"], "failed", "{}", run.dump());
    assert!(
        provider["answer"]
            .as_str()
            .unwrap()
            .starts_with("could not connect"),
        "{}",
        run.dump()
    );
    let well_known = answer(&run, WELL_KNOWN_URL);
    assert_eq!(well_known["outcome"], "found");
    assert_eq!(well_known["answer"], "mail.test:10993 (implicit TLS)");
    assert_eq!(w.https_requests(), [WELL_KNOWN_PATH]);
}

#[test]
fn autoconfig_wins_over_an_mx_at_microsoft_365_and_the_disagreement_is_a_warning() {
    let Some(mut w) = World::start(&[
        Record::Address("autoconfig.example.test".into(), CTL_V4.into()),
        mx("example.test", "example-test.mail.protection.outlook.com"),
    ]) else {
        return;
    };
    w.serve_https(
        CTL_V4.into(),
        &["autoconfig.example.test"],
        document_at(PROVIDER_PATH),
    );
    let run = w.run(&["--timeout", "3", ADDRESS]);
    assert_eq!(run.code, 0, "{}", run.dump());
    checked_the_lab_server(&run);
    let report = run.json.as_ref().unwrap();
    assert_eq!(
        report["verdict"]["code"],
        "ok.with_warnings",
        "{}",
        run.dump()
    );
    let check = discover(&run);
    assert_eq!(check["status"], "warn", "{}", run.dump());
    assert_eq!(check["warning"]["code"], "discover.sources_disagree");
    let details = &check["details"];
    assert_eq!(details["chosen_from"], "autoconfig");
    assert_eq!(details["chosen"]["host"], MAIL_HOST);
    assert_eq!(details["disagreeing"], serde_json::json!(["mx"]));
    let mx = answer(&run, "example.test MX");
    assert_eq!(mx["outcome"], "found");
    assert_eq!(mx["servers"][0]["host"], "outlook.office365.com");
    assert_eq!(mx["servers"][0]["provider"], "microsoft");
    let message = check["warning"]["message"].as_str().unwrap();
    for part in [
        "the sources disagree: example.test MX says outlook.office365.com:993",
        "mail.test was chosen because the domain's autoconfig document names it",
        "autoconfig comes before MX",
    ] {
        assert!(message.contains(part), "{part:?} missing: {message}");
    }
}
