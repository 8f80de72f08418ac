// Log messages of the control channel (src/control): the UNIX control socket, the HTTP transport,
// commands and the service state that dhcp-disable and dhcp-enable change.

import type { MessageEntry } from './types.js';

export const CONTROL_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'CONTROL_SOCKET_OPENED', level: 'info', message: 'control socket listening',
    help: 'The UNIX control socket at `path` (Dhcp4.control-socket.socket-name) accepts Kea-style commands, one per connection. Only the socket file\'s owner can connect (mode 0600). `nestor ctl` and tools written for kea-dhcp4 use it.',
  },
  {
    id: 'CONTROL_SOCKET_CLOSED', level: 'info', message: 'control socket closed',
    help: 'The server stopped and removed its control socket at `path`.',
  },
  {
    id: 'CONTROL_SOCKET_STALE_REMOVED', level: 'info', message: 'stale control socket file removed',
    help: 'A socket file was left at `path` by a server that did not stop cleanly, and no process listened on it, so it was removed before the new socket was created.',
  },
  {
    id: 'CONTROL_CONNECTION_ERROR', level: 'debug', message: 'control connection failed',
    help: 'A client connection to the control socket at `path` failed, usually because the client went away before reading the answer. `err` gives the reason. The server is not affected.',
  },
  {
    id: 'CONTROL_HTTP_LISTENING', level: 'info', message: 'control HTTP listener started',
    help: 'Control commands are accepted over HTTP at `peer` (address:port), with TLS when `tls` is true.',
  },
  {
    id: 'CONTROL_HTTP_CLOSED', level: 'info', message: 'control HTTP listener stopped',
    help: 'The HTTP listener at `peer` no longer accepts control commands.',
  },
  {
    id: 'CONTROL_COMMAND_RECEIVED', level: 'debug', message: 'control command received',
    help: 'A control command named `command` arrived over the control socket or HTTP and is being run.',
  },
  {
    id: 'CONTROL_COMMAND_FAILED', level: 'error', message: 'control command failed with an internal error',
    help: 'Running the command `command` raised an unexpected error (`err`), and the client got result 1 with its message. Invalid arguments never cause this line. If `err` names the lease database, check its disk space; otherwise report it with the command that caused it.',
  },
  {
    id: 'CONTROL_SERVICE_DISABLED', level: 'info', message: 'DHCP service disabled by command',
    help: 'dhcp-disable from `origin` (user, or ha for an HA partner) stopped answering DHCP clients. With `maxPeriodSec`, the service re-enables itself after that many seconds unless dhcp-enable comes first.',
  },
  {
    id: 'CONTROL_SERVICE_ENABLED', level: 'info', message: 'DHCP service enabled by command',
    help: 'dhcp-enable cleared the disable of `origin`. `state` says whether the service answers clients again or another origin still keeps it disabled.',
  },
  {
    id: 'CONTROL_SERVICE_AUTO_ENABLED', level: 'warn', message: 'DHCP service re-enabled after max-period',
    help: 'The service was disabled with a max-period and no dhcp-enable arrived within `durationMs`, so it was re-enabled for every origin, as Kea does. An HA partner that disabled this server probably failed during lease synchronisation; check the partner.',
  },
  {
    id: 'CONTROL_LEASE_CHANGED', level: 'debug', message: 'lease changed by control command',
    help: 'The command `command` (lease4-add, lease4-update or lease4-del) changed the lease of `ip`. HA partners send one such command per lease, so this line is at debug level.',
  },
  {
    id: 'CONTROL_LEASES_WIPED', level: 'info', message: 'leases deleted by lease4-wipe',
    help: 'lease4-wipe deleted `count` leases of subnet `subnet` ("all" for every subnet). The clients get new leases when they next renew.',
  },
  {
    id: 'CONTROL_LEASES_RECLAIMED', level: 'info', message: 'expired leases reclaimed by command',
    help: 'leases-reclaim reclaimed `count` expired leases now; with `remove` true they were deleted, otherwise kept in the expired-reclaimed state.',
  },
];
