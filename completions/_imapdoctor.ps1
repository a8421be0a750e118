
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'imapdoctor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'imapdoctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'imapdoctor' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'With an e-mail address as TARGET: use this provider''s published settings instead of discovering them (microsoft, google, icloud, yahoo, aol, fastmail, gmx, gmx-com, webde, zoho, zoho-eu, yandex)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port (default: 993 for implicit TLS, 143 for STARTTLS or none)')
            [CompletionResult]::new('--security', '--security', [CompletionResultType]::ParameterName, 'Connection security (default: from the URL scheme, else the port: 143 → starttls, otherwise tls)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as NAME (without it the check stops after capability)')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Authentication mechanism (default: chosen from the server''s capabilities; XOAUTH2 when IMAPDOCTOR_OAUTH_TOKEN is set)')
            [CompletionResult]::new('--oauth-token-file', '--oauth-token-file', [CompletionResultType]::ParameterName, 'Read the OAuth2 bearer token from this file (instead of IMAPDOCTOR_OAUTH_TOKEN)')
            [CompletionResult]::new('--oauth', '--oauth', [CompletionResultType]::ParameterName, 'Sign in for an OAuth2 token before the check: open the URL shown on stderr (google: in a browser on this machine; microsoft: the device flow''s page, and enter the code) (needs --user and --oauth-client-id; XOAUTH2 unless --auth oauthbearer)')
            [CompletionResult]::new('--oauth-client-id', '--oauth-client-id', [CompletionResultType]::ParameterName, 'The application (client) id to sign in with: imapdoctor ships none (see the README''s "Sign in with OAuth" to register one)')
            [CompletionResult]::new('--oauth-tenant', '--oauth-tenant', [CompletionResultType]::ParameterName, 'Microsoft tenant to sign in to: a domain, a tenant id, or common, organizations, consumers [default: common]')
            [CompletionResult]::new('--oauth-authority', '--oauth-authority', [CompletionResultType]::ParameterName, 'The identity provider''s base URL instead of its public one (sovereign clouds, tests): https only; the endpoints keep the provider''s paths under it')
            [CompletionResult]::new('--oauth-flow', '--oauth-flow', [CompletionResultType]::ParameterName, 'How to sign in with --oauth: browser (authorization code with PKCE, redirected to 127.0.0.1) or device (a code entered on any device) [default: browser for google, device for microsoft]')
            [CompletionResult]::new('--mailbox', '--mailbox', [CompletionResultType]::ParameterName, 'Mailbox for the folders check [default: INBOX]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM), added to the operating system''s trust store')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each network step, in seconds [default: 10]')
            [CompletionResult]::new('--login-timeout', '--login-timeout', [CompletionResultType]::ParameterName, 'Bound on the login, in seconds: servers delay failed logins on purpose (Dovecot up to 15 s, Courier 5 s, Cyrus 3 s) [default: 30]')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Hard bound on the whole run (control probe included), in seconds')
            [CompletionResult]::new('--control', '--control', [CompletionResultType]::ParameterName, 'A known-good endpoint to compare with when the target is unreachable (repeatable; default: public providers)')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Connect to ADDR (or a comma-separated list, tried Happy Eyeballs style) for HOST:PORT, still verifying the certificate for HOST (as curl''s --resolve)')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Run the check N times, a new connection each time: a line per run, then each check''s pass rate and latency and the distinct verdicts (to catch intermittent failures)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds from one run''s start to the next''s, with --repeat or --watch (0: back to back) [default: 5]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never')
            [CompletionResult]::new('--warning', '--warning', [CompletionResultType]::ParameterName, 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--critical', '--critical', [CompletionResultType]::ParameterName, 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of standard input (asked without echo when standard input is a terminal)')
            [CompletionResult]::new('--allow-plaintext-auth', '--allow-plaintext-auth', [CompletionResultType]::ParameterName, 'Allow credentials over an unencrypted connection (only with --security none)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the certificate (the report says so, and TLS is at best a warning)')
            [CompletionResult]::new('--no-control', '--no-control', [CompletionResultType]::ParameterName, 'Do not probe any control endpoint')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'As --repeat, until Ctrl-C (which prints the summary)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write one JSON document to stdout (same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the full check against a built-in IMAP server on loopback (no account needed)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json)')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Check many mailboxes concurrently from a file (one per line), then summarise the fleet')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'imapdoctor;demo' {
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'Show a failure and its verdict instead of a healthy server')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never')
            [CompletionResult]::new('--warning', '--warning', [CompletionResultType]::ParameterName, 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--critical', '--critical', [CompletionResultType]::ParameterName, 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the faults the demo can show, each with what it simulates and its verdict code (text, or one JSON document with --json)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write one JSON document to stdout (same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'imapdoctor;explain' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never')
            [CompletionResult]::new('--warning', '--warning', [CompletionResultType]::ParameterName, 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--critical', '--critical', [CompletionResultType]::ParameterName, 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List every verdict code with its owner and a one-line summary (with --json: every code''s full entry)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write one JSON document to stdout (same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'imapdoctor;batch' {
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Targets checked at the same time (each holds one connection, two with the control probe)')
            [CompletionResult]::new('--security', '--security', [CompletionResultType]::ParameterName, 'Connection security for rows that do not say (default: from each target''s scheme or port)')
            [CompletionResult]::new('--mailbox', '--mailbox', [CompletionResultType]::ParameterName, 'Mailbox for the folders check, for rows that do not say [default: INBOX]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM), added to the operating system''s trust store')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on each network step, in seconds [default: 10]')
            [CompletionResult]::new('--login-timeout', '--login-timeout', [CompletionResultType]::ParameterName, 'Bound on each login, in seconds [default: 30]')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Hard bound on each target''s run, in seconds')
            [CompletionResult]::new('--control', '--control', [CompletionResultType]::ParameterName, 'A known-good endpoint to compare with when a target is unreachable (repeatable; default: public providers)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never')
            [CompletionResult]::new('--warning', '--warning', [CompletionResultType]::ParameterName, 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--critical', '--critical', [CompletionResultType]::ParameterName, 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify certificates (each report says so)')
            [CompletionResult]::new('--no-control', '--no-control', [CompletionResultType]::ParameterName, 'Never contact control endpoints')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write one JSON document to stdout (same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'imapdoctor;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on, e.g. 127.0.0.1:9993 (port 0: any free port, printed on stderr)')
            [CompletionResult]::new('--max-concurrent', '--max-concurrent', [CompletionResultType]::ParameterName, 'Most probes running at once; beyond that a probe is answered 503 at once')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format: human (default, unless the config file''s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour in the human report: auto (default, unless the config file''s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never')
            [CompletionResult]::new('--warning', '--warning', [CompletionResultType]::ParameterName, 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--critical', '--critical', [CompletionResultType]::ParameterName, 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform''s config directory, when it exists]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write one JSON document to stdout (same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Write nothing to stdout: the exit code only (usage errors still go to stderr)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Same as --color never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Include the protocol transcript')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'imapdoctor;help' {
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the full check against a built-in IMAP server on loopback (no account needed)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json)')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Check many mailboxes concurrently from a file (one per line), then summarise the fleet')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'imapdoctor;help;demo' {
            break
        }
        'imapdoctor;help;explain' {
            break
        }
        'imapdoctor;help;batch' {
            break
        }
        'imapdoctor;help;serve' {
            break
        }
        'imapdoctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
