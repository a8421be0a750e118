# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_imapdoctor_global_optspecs
    string join \n provider= port= security= user= password-stdin auth= oauth-token-file= oauth= oauth-client-id= oauth-tenant= oauth-authority= oauth-flow= mailbox= allow-plaintext-auth ca-file= insecure timeout= login-timeout= max-time= control= no-control resolve= repeat= watch interval= format= json q/quiet color= no-color v/verbose warning= critical= config= no-config h/help V/version
end

function __fish_imapdoctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_imapdoctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_imapdoctor_using_subcommand
    set -l cmd (__fish_imapdoctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l provider -d 'With an e-mail address as TARGET: use this provider\'s published settings instead of discovering them (microsoft, google, icloud, yahoo, aol, fastmail, gmx, gmx-com, webde, zoho, zoho-eu, yandex)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l port -d 'Port (default: 993 for implicit TLS, 143 for STARTTLS or none)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l security -d 'Connection security (default: from the URL scheme, else the port: 143 → starttls, otherwise tls)' -r -f -a "tls\t'Implicit TLS: the TLS handshake comes first (usually port 993)'
starttls\t'A plaintext greeting, then STARTTLS (usually port 143)'
none\t'No encryption at all'"
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l user -d 'Log in as NAME (without it the check stops after capability)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l auth -d 'Authentication mechanism (default: chosen from the server\'s capabilities; XOAUTH2 when IMAPDOCTOR_OAUTH_TOKEN is set)' -r -f -a "login\t'The IMAP LOGIN command'
plain\t'AUTHENTICATE PLAIN (RFC 4616)'
xoauth2\t'AUTHENTICATE XOAUTH2 (Google, Microsoft)'
oauthbearer\t'AUTHENTICATE OAUTHBEARER (RFC 7628)'"
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l oauth-token-file -d 'Read the OAuth2 bearer token from this file (instead of IMAPDOCTOR_OAUTH_TOKEN)' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l oauth -d 'Sign in for an OAuth2 token before the check: open the URL shown on stderr (google: in a browser on this machine; microsoft: the device flow\'s page, and enter the code) (needs --user and --oauth-client-id; XOAUTH2 unless --auth oauthbearer)' -r -f -a "microsoft\t'Microsoft Entra ID (Microsoft 365, Outlook.com)'
google\t'Google (Gmail, Google Workspace)'"
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l oauth-client-id -d 'The application (client) id to sign in with: imapdoctor ships none (see the README\'s "Sign in with OAuth" to register one)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l oauth-tenant -d 'Microsoft tenant to sign in to: a domain, a tenant id, or common, organizations, consumers [default: common]' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l oauth-authority -d 'The identity provider\'s base URL instead of its public one (sovereign clouds, tests): https only; the endpoints keep the provider\'s paths under it' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l oauth-flow -d 'How to sign in with --oauth: browser (authorization code with PKCE, redirected to 127.0.0.1) or device (a code entered on any device) [default: browser for google, device for microsoft]' -r -f -a "browser\t'Authorization code with PKCE (RFC 7636) and a loopback redirect (RFC 8252): open the printed URL in a browser on this machine'
device\t'Device authorization grant (RFC 8628): open a page on any device and enter a code'"
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l mailbox -d 'Mailbox for the folders check [default: INBOX]' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l ca-file -d 'Extra trust anchors (PEM), added to the operating system\'s trust store' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l timeout -d 'Bound on each network step, in seconds [default: 10]' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l login-timeout -d 'Bound on the login, in seconds: servers delay failed logins on purpose (Dovecot up to 15 s, Courier 5 s, Cyrus 3 s) [default: 30]' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l max-time -d 'Hard bound on the whole run (control probe included), in seconds' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l control -d 'A known-good endpoint to compare with when the target is unreachable (repeatable; default: public providers)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l resolve -d 'Connect to ADDR (or a comma-separated list, tried Happy Eyeballs style) for HOST:PORT, still verifying the certificate for HOST (as curl\'s --resolve)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l repeat -d 'Run the check N times, a new connection each time: a line per run, then each check\'s pass rate and latency and the distinct verdicts (to catch intermittent failures)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l interval -d 'Seconds from one run\'s start to the next\'s, with --repeat or --watch (0: back to back) [default: 5]' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l format -d 'Report format: human (default, unless the config file\'s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)' -r -f -a "human\t'For a person at a terminal'
json\t'One JSON document (schema in the README)'
markdown\t'A report to paste into a ticket (GitHub-flavoured Markdown)'
oneline\t'One line, for chat or a script\'s log'
nagios\t'A monitoring plugin\'s status line and exit code (Nagios, Icinga; see --warning)'
prometheus\t'Metrics in the Prometheus text format (for node_exporter\'s textfile collector)'"
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l color -d 'Colour in the human report: auto (default, unless the config file\'s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never' -r -f -a "auto\t'On a terminal, or when CLICOLOR_FORCE is set; never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l warning -d 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l critical -d 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l config -d 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform\'s config directory, when it exists]' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l password-stdin -d 'Read the password from the first line of standard input (asked without echo when standard input is a terminal)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l allow-plaintext-auth -d 'Allow credentials over an unencrypted connection (only with --security none)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l insecure -d 'Do not verify the certificate (the report says so, and TLS is at best a warning)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l no-control -d 'Do not probe any control endpoint'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l watch -d 'As --repeat, until Ctrl-C (which prints the summary)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l json -d 'Write one JSON document to stdout (same as --format json)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -s q -l quiet -d 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l no-color -d 'Same as --color never'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -s v -l verbose -d 'Include the protocol transcript'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -l no-config -d 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -s V -l version -d 'Print version'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -a "demo" -d 'Run the full check against a built-in IMAP server on loopback (no account needed)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -a "explain" -d 'Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json)'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -a "batch" -d 'Check many mailboxes concurrently from a file (one per line), then summarise the fleet'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -a "serve" -d 'Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics'
complete -c imapdoctor -n "__fish_imapdoctor_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l fault -d 'Show a failure and its verdict instead of a healthy server' -r -f -a "wrong-password\t'The password is wrong (fault: account)'
expired-certificate\t'The server\'s certificate has expired (fault: server)'
server-down\t'Nothing listens on the port (fault: server)'
bye-greeting\t'The server refuses the session in its greeting (fault: server)'
missing-mailbox\t'The mailbox does not exist (fault: config)'
blackholed-port\t'The port drops connection attempts without an answer (fault: server)'
plaintext-port\t'The TLS port speaks plain IMAP (fault: config)'
interception\t'Something re-signs TLS with its own certificate authority (fault: local)'
name-mismatch\t'The certificate is for another name (fault: server)'
throttled-login\t'The login is answered slowly with NO [UNAVAILABLE] (fault: server)'
nothing-reachable\t'Neither the server nor the known-good control endpoint answers (fault: local)'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l format -d 'Report format: human (default, unless the config file\'s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)' -r -f -a "human\t'For a person at a terminal'
json\t'One JSON document (schema in the README)'
markdown\t'A report to paste into a ticket (GitHub-flavoured Markdown)'
oneline\t'One line, for chat or a script\'s log'
nagios\t'A monitoring plugin\'s status line and exit code (Nagios, Icinga; see --warning)'
prometheus\t'Metrics in the Prometheus text format (for node_exporter\'s textfile collector)'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l color -d 'Colour in the human report: auto (default, unless the config file\'s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never' -r -f -a "auto\t'On a terminal, or when CLICOLOR_FORCE is set; never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l warning -d 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l critical -d 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l config -d 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform\'s config directory, when it exists]' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l list -d 'List the faults the demo can show, each with what it simulates and its verdict code (text, or one JSON document with --json)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l json -d 'Write one JSON document to stdout (same as --format json)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -s q -l quiet -d 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l no-color -d 'Same as --color never'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -s v -l verbose -d 'Include the protocol transcript'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -l no-config -d 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l format -d 'Report format: human (default, unless the config file\'s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)' -r -f -a "human\t'For a person at a terminal'
json\t'One JSON document (schema in the README)'
markdown\t'A report to paste into a ticket (GitHub-flavoured Markdown)'
oneline\t'One line, for chat or a script\'s log'
nagios\t'A monitoring plugin\'s status line and exit code (Nagios, Icinga; see --warning)'
prometheus\t'Metrics in the Prometheus text format (for node_exporter\'s textfile collector)'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l color -d 'Colour in the human report: auto (default, unless the config file\'s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never' -r -f -a "auto\t'On a terminal, or when CLICOLOR_FORCE is set; never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l warning -d 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l critical -d 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l config -d 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform\'s config directory, when it exists]' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l list -d 'List every verdict code with its owner and a one-line summary (with --json: every code\'s full entry)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l json -d 'Write one JSON document to stdout (same as --format json)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -s q -l quiet -d 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l no-color -d 'Same as --color never'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -s v -l verbose -d 'Include the protocol transcript'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -l no-config -d 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l concurrency -d 'Targets checked at the same time (each holds one connection, two with the control probe)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l security -d 'Connection security for rows that do not say (default: from each target\'s scheme or port)' -r -f -a "tls\t'Implicit TLS: the TLS handshake comes first (usually port 993)'
starttls\t'A plaintext greeting, then STARTTLS (usually port 143)'
none\t'No encryption at all'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l mailbox -d 'Mailbox for the folders check, for rows that do not say [default: INBOX]' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l ca-file -d 'Extra trust anchors (PEM), added to the operating system\'s trust store' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l timeout -d 'Bound on each network step, in seconds [default: 10]' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l login-timeout -d 'Bound on each login, in seconds [default: 30]' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l max-time -d 'Hard bound on each target\'s run, in seconds' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l control -d 'A known-good endpoint to compare with when a target is unreachable (repeatable; default: public providers)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l format -d 'Report format: human (default, unless the config file\'s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)' -r -f -a "human\t'For a person at a terminal'
json\t'One JSON document (schema in the README)'
markdown\t'A report to paste into a ticket (GitHub-flavoured Markdown)'
oneline\t'One line, for chat or a script\'s log'
nagios\t'A monitoring plugin\'s status line and exit code (Nagios, Icinga; see --warning)'
prometheus\t'Metrics in the Prometheus text format (for node_exporter\'s textfile collector)'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l color -d 'Colour in the human report: auto (default, unless the config file\'s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never' -r -f -a "auto\t'On a terminal, or when CLICOLOR_FORCE is set; never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l warning -d 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l critical -d 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l config -d 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform\'s config directory, when it exists]' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l insecure -d 'Do not verify certificates (each report says so)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l no-control -d 'Never contact control endpoints'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l json -d 'Write one JSON document to stdout (same as --format json)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -s q -l quiet -d 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l no-color -d 'Same as --color never'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -s v -l verbose -d 'Include the protocol transcript'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -l no-config -d 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l listen -d 'Address to listen on, e.g. 127.0.0.1:9993 (port 0: any free port, printed on stderr)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l max-concurrent -d 'Most probes running at once; beyond that a probe is answered 503 at once' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l format -d 'Report format: human (default, unless the config file\'s [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics)' -r -f -a "human\t'For a person at a terminal'
json\t'One JSON document (schema in the README)'
markdown\t'A report to paste into a ticket (GitHub-flavoured Markdown)'
oneline\t'One line, for chat or a script\'s log'
nagios\t'A monitoring plugin\'s status line and exit code (Nagios, Icinga; see --warning)'
prometheus\t'Metrics in the Prometheus text format (for node_exporter\'s textfile collector)'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l color -d 'Colour in the human report: auto (default, unless the config file\'s [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never' -r -f -a "auto\t'On a terminal, or when CLICOLOR_FORCE is set; never when NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l warning -d 'With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l critical -d 'With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part)' -r
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l config -d 'Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform\'s config directory, when it exists]' -r -F
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l json -d 'Write one JSON document to stdout (same as --format json)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -s q -l quiet -d 'Write nothing to stdout: the exit code only (usage errors still go to stderr)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l no-color -d 'Same as --color never'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -s v -l verbose -d 'Include the protocol transcript'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -l no-config -d 'Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand help; and not __fish_seen_subcommand_from demo explain batch serve help" -f -a "demo" -d 'Run the full check against a built-in IMAP server on loopback (no account needed)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand help; and not __fish_seen_subcommand_from demo explain batch serve help" -f -a "explain" -d 'Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json)'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand help; and not __fish_seen_subcommand_from demo explain batch serve help" -f -a "batch" -d 'Check many mailboxes concurrently from a file (one per line), then summarise the fleet'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand help; and not __fish_seen_subcommand_from demo explain batch serve help" -f -a "serve" -d 'Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics'
complete -c imapdoctor -n "__fish_imapdoctor_using_subcommand help; and not __fish_seen_subcommand_from demo explain batch serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
