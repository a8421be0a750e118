
use builtin;
use str;

set edit:completion:arg-completer[imapdoctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'imapdoctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'imapdoctor'= {
            cand --provider 'With an e-mail address as TARGET: use this provider''s published settings instead of discovering them (microsoft, google, icloud, yahoo, aol, fastmail, gmx, gmx-com, webde, zoho, zoho-eu, yandex)'
            cand --port 'Port (default: 993 for implicit TLS, 143 for STARTTLS or none)'
            cand --security 'Connection security (default: from the URL scheme, else the port: 143 → starttls, otherwise tls)'
            cand --user 'Log in as NAME (without it the check stops after capability)'
            cand --auth 'Authentication mechanism (default: chosen from the server''s capabilities; XOAUTH2 when IMAPDOCTOR_OAUTH_TOKEN is set)'
            cand --oauth-token-file 'Read the OAuth2 bearer token from this file (instead of IMAPDOCTOR_OAUTH_TOKEN)'
            cand --oauth 'Sign in for an OAuth2 token before the check: open the URL shown on stderr (google: in a browser on this machine; microsoft: the device flow''s page, and enter the code) (needs --user and --oauth-client-id; XOAUTH2 unless --auth oauthbearer)'
            cand --oauth-client-id 'The application (client) id to sign in with: imapdoctor ships none (see the README''s "Sign in with OAuth" to register one)'
            cand --oauth-tenant 'Microsoft tenant to sign in to: a domain, a tenant id, or common, organizations, consumers [default: common]'
            cand --oauth-authority 'The identity provider''s base URL instead of its public one (sovereign clouds, tests): https only; the endpoints keep the provider''s paths under it'
            cand --oauth-flow 'How to sign in with --oauth: browser (authorization code with PKCE, redirected to 127.0.0.1) or device (a code entered on any device) [default: browser for google, device for microsoft]'
            cand --mailbox 'Mailbox for the folders check [default: INBOX]'
            cand --ca-file 'Extra trust anchors (PEM), added to the operating system''s trust store'
            cand --timeout 'Bound on each network step, in seconds [default: 10]'
            cand --login-timeout 'Bound on the login, in seconds: servers delay failed logins on purpose (Dovecot up to 15 s, Courier 5 s, Cyrus 3 s) [default: 30]'
            cand --max-time 'Hard bound on the whole run (control probe included), in seconds'
            cand --control 'A known-good endpoint to compare with when the target is unreachable (repeatable; default: public providers)'
            cand --resolve 'Connect to ADDR (or a comma-separated list, tried Happy Eyeballs style) for HOST:PORT, still verifying the certificate for HOST (as curl''s --resolve)'
            cand --repeat 'Run the check N times, a new connection each time: a line per run, then each check''s pass rate and latency and the distinct verdicts (to catch intermittent failures)'
            cand --interval 'Seconds from one run''s start to the next''s, with --repeat or --watch (0: back to back) [default: 5]'
            cand --format 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)'
            cand --color 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never'
            cand --warning 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --critical 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --config 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]'
            cand --password-stdin 'Read the password from the first line of standard input (asked without echo when standard input is a terminal)'
            cand --allow-plaintext-auth 'Allow credentials over an unencrypted connection (only with --security none)'
            cand --insecure 'Do not verify the certificate (the report says so, and TLS is at best a warning)'
            cand --no-control 'Do not probe any control endpoint'
            cand --watch 'As --repeat, until Ctrl-C (which prints the summary)'
            cand --json 'Write one JSON document to stdout (same as --format json)'
            cand -q 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --quiet 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --no-color 'Same as --color never'
            cand -v 'Include the protocol transcript'
            cand --verbose 'Include the protocol transcript'
            cand --no-config 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand demo 'Run the full check against a built-in IMAP server on loopback (no account needed)'
            cand explain 'Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json)'
            cand batch 'Check many mailboxes concurrently from a file (one per line), then summarise the fleet'
            cand serve 'Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'imapdoctor;demo'= {
            cand --fault 'Show a failure and its verdict instead of a healthy server'
            cand --format 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)'
            cand --color 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never'
            cand --warning 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --critical 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --config 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]'
            cand --list 'List the faults the demo can show, each with what it simulates and its verdict code (text, or one JSON document with --json)'
            cand --json 'Write one JSON document to stdout (same as --format json)'
            cand -q 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --quiet 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --no-color 'Same as --color never'
            cand -v 'Include the protocol transcript'
            cand --verbose 'Include the protocol transcript'
            cand --no-config 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'imapdoctor;explain'= {
            cand --format 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)'
            cand --color 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never'
            cand --warning 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --critical 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --config 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]'
            cand --list 'List every verdict code with its owner and a one-line summary (with --json: every code''s full entry)'
            cand --json 'Write one JSON document to stdout (same as --format json)'
            cand -q 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --quiet 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --no-color 'Same as --color never'
            cand -v 'Include the protocol transcript'
            cand --verbose 'Include the protocol transcript'
            cand --no-config 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'imapdoctor;batch'= {
            cand --concurrency 'Targets checked at the same time (each holds one connection, two with the control probe)'
            cand --security 'Connection security for rows that do not say (default: from each target''s scheme or port)'
            cand --mailbox 'Mailbox for the folders check, for rows that do not say [default: INBOX]'
            cand --ca-file 'Extra trust anchors (PEM), added to the operating system''s trust store'
            cand --timeout 'Bound on each network step, in seconds [default: 10]'
            cand --login-timeout 'Bound on each login, in seconds [default: 30]'
            cand --max-time 'Hard bound on each target''s run, in seconds'
            cand --control 'A known-good endpoint to compare with when a target is unreachable (repeatable; default: public providers)'
            cand --format 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)'
            cand --color 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never'
            cand --warning 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --critical 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --config 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]'
            cand --insecure 'Do not verify certificates (each report says so)'
            cand --no-control 'Never contact control endpoints'
            cand --json 'Write one JSON document to stdout (same as --format json)'
            cand -q 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --quiet 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --no-color 'Same as --color never'
            cand -v 'Include the protocol transcript'
            cand --verbose 'Include the protocol transcript'
            cand --no-config 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'imapdoctor;serve'= {
            cand --listen 'Address to listen on, e.g. 127.0.0.1:9993 (port 0: any free port, printed on stderr)'
            cand --max-concurrent 'Most probes running at once; beyond that a probe is answered 503 at once'
            cand --format 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)'
            cand --color 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never'
            cand --warning 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --critical 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)'
            cand --config 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]'
            cand --json 'Write one JSON document to stdout (same as --format json)'
            cand -q 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --quiet 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
            cand --no-color 'Same as --color never'
            cand -v 'Include the protocol transcript'
            cand --verbose 'Include the protocol transcript'
            cand --no-config 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'imapdoctor;help'= {
            cand demo 'Run the full check against a built-in IMAP server on loopback (no account needed)'
            cand explain 'Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json)'
            cand batch 'Check many mailboxes concurrently from a file (one per line), then summarise the fleet'
            cand serve 'Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'imapdoctor;help;demo'= {
        }
        &'imapdoctor;help;explain'= {
        }
        &'imapdoctor;help;batch'= {
        }
        &'imapdoctor;help;serve'= {
        }
        &'imapdoctor;help;help'= {
        }
    ]
    $completions[$command]
}
