// Help texts of the `nestor` command.

import { CTL_HELP } from './ctl.js';

export const USAGE = `usage: nestor <command> [options]   (nestor --help for the list of commands)\n`;

const MAIN = `nestor: a DHCPv4 server that reads Kea's Dhcp4 configuration

usage: nestor <command> [options]

commands:
  serve -c FILE            run the server in the foreground until SIGTERM or SIGINT
  config check FILE        validate a configuration, print its errors, warnings and a summary
  leases list -c FILE      print the leases in the configured lease database (works while serving)
  ctl COMMAND [--args JSON] (-c FILE | --socket PATH)
                           send one control command (Kea's format) to a running server
  demo                     start a throwaway server and show real DHCP exchanges against it
  help [COMMAND]           show help for a command

options:
  -h, --help               show this help
  -V, --version            print the version

exit codes: 0 success, 1 failure (invalid configuration, runtime error), 2 usage error
`;

const SERVE = `usage: nestor serve -c FILE [--workers N] [--log-level LEVEL]

Run the DHCPv4 server in the foreground with the Kea Dhcp4 configuration in FILE. Logs go to the
output named by the configuration's loggers (stdout as pino JSON lines when none is named). SIGTERM and
SIGINT stop it cleanly: batches already accepted are finished and the lease database is closed.

options:
  -c, --config FILE        configuration file (Kea Dhcp4 JSON, comments and includes allowed)
  -w, --workers N          worker threads for request processing (0 = main thread only);
                           overrides nestor.workers in the configuration
  -l, --log-level LEVEL    trace, debug, info, warn, error or fatal; overrides the configured severity
`;

const CONFIG = `usage: nestor config check FILE

Load FILE as Kea's Dhcp4 configuration, print every error and warning with its JSON path, then a
summary of what would be served. Exits 1 when there is at least one error, 0 otherwise (warnings name
keys that nestor does not honour).
`;

const LEASES = `usage: nestor leases list -c FILE [--json]

Print the leases in the lease database named by FILE's lease-database. Safe while the server runs
(the database is opened read-only).

options:
  -c, --config FILE        configuration file naming the lease database
  --json                   print a JSON list in Kea's lease4-get-all form instead of a table
`;

const DEMO = `usage: nestor demo [--clients N]

Start a server on a throwaway configuration and lease database, run real DHCP exchanges against it,
print a short summary and clean up. As root it builds a network-namespace lab (198.18.0.0/15 only) and
uses perfdhcp when installed; otherwise it runs on loopback with unprivileged ports and a built-in relay
agent client.

options:
  -n, --clients N          number of simulated clients (default 200)
`;

export const HELP = { main: MAIN, serve: SERVE, config: CONFIG, leases: LEASES, demo: DEMO, ctl: CTL_HELP } as const;
