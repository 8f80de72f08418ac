// Log messages of the HA service (src/ha): state transitions, heartbeats, lease updates to the
// partner, synchronisation and the pool split of a load-balancing pair.

import type { MessageEntry } from './types.js';

export const HA_STATE_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'HA_SERVICE_STARTED', level: 'info', message: 'HA service started',
    help: 'This server runs as `server` in an HA relationship in `mode` with the role `role`; `peer` lists the other peers. Peers reach this server at `url`. It starts in the waiting state and serves no client until the state machine says so.',
  },
  {
    id: 'HA_POOLS_SPLIT', level: 'info', message: 'address pools split between the load-balancing peers',
    help: 'The load-balancing configuration has pools without an HA_<name> client class, so each such pool was cut in two: the first half for the primary\'s clients, the rest for the secondary\'s. Both peers compute the same split from the same configuration, so they never hand out the same address. `pools` lists every split. To choose the split yourself, give each pool a `client-class` of `HA_<server name>`, as Kea requires.',
  },
  {
    id: 'HA_STATE_TRANSITION', level: 'info', message: 'HA state changed',
    help: 'The HA state machine moved `from` one state `to` another. `partnerState` is the partner\'s last known state (`unavailable` when it does not respond). See the README for what each state serves.',
  },
  {
    id: 'HA_STATE_MACHINE_PAUSED', level: 'info', message: 'HA state machine paused',
    help: 'state-machine.states requests a pause in `state`. The server keeps serving as that state defines but makes no transition until an operator sends `ha-continue`.',
  },
  {
    id: 'HA_STATE_MACHINE_CONTINUED', level: 'info', message: 'HA state machine continues',
    help: 'An operator sent `ha-continue`; the state machine resumes in `state`.',
  },
  {
    id: 'HA_PARTNER_UNREACHABLE', level: 'warn', message: 'HA partner does not respond to heartbeats',
    help: 'A heartbeat to `peer` failed (`err`). The partner counts as unavailable. If no heartbeat succeeds for max-response-delay, communication is interrupted, and the server takes over the partner\'s clients when the partner-down rules say so. Check that the partner runs and that its peer URL is reachable; `HTTP 401` in `err` means the partner requires basic-auth credentials that this server does not send (its `basic-auth-user` in the partner\'s peer entry). Logged once until the partner answers again, and once more each time the reason changes.',
  },
  {
    id: 'HA_PARTNER_REACHABLE', level: 'info', message: 'HA partner responds to heartbeats again',
    help: 'The partner `peer` responded to a heartbeat after failures. It reports `state`.',
  },
  {
    id: 'HA_HIGH_CLOCK_SKEW', level: 'warn', message: 'clock skew with the HA partner is high',
    help: 'The partner\'s clock differs from this server\'s by `skewSec` seconds (more than 30). Above 60 seconds both servers go to the terminated state. Synchronise the clocks (NTP). Logged at most once a minute.',
  },
  {
    id: 'HA_CLOCK_SKEW_TERMINATED', level: 'error', message: 'HA terminated because of clock skew',
    help: 'The partner\'s clock differs by `skewSec` seconds, more than 60, so lease times cannot be compared and HA stops: both servers serve their own scopes and no lease updates are sent. Fix the clocks, then send `ha-reset` to both servers (nestor forgets the old skew, so no double restart is needed).',
  },
  {
    id: 'HA_LEASE_UPDATES_FAILED', level: 'warn', message: 'lease updates to a peer failed',
    help: '`count` lease updates of one batch to `peer` failed; `err` describes the first. For the active partner the replies of those clients were dropped (the clients retry) and the partner counts as unavailable, as in Kea. Updates to a backup never hold replies unless wait-backup-ack is set.',
  },
  {
    id: 'HA_TOO_MANY_REJECTED_UPDATES', level: 'error', message: 'HA partner rejected updates of too many clients',
    help: 'The partner rejected the lease updates of `count` distinct clients, which reaches max-rejected-lease-updates, so HA goes to terminated as Kea 2.4 does: each server serves its own scope and no updates are sent. Rejections mean the two configurations differ (subnet ids or ranges); compare them, then send `ha-reset` to both servers.',
  },
  {
    id: 'HA_PEER_PROTOCOL', level: 'info', message: 'lease update protocol chosen for a peer',
    help: 'How lease changes now travel to the peer `peer`. `protocol` is `kea` for a peer that needs one lease4-update or lease4-del per lease (a Kea server). It is `lease4-bulk-update` for a nestor peer that gets the changes of one batch in one JSON request. It is `nestor-lease-stream/1` once the lease stream to a nestor peer is open, which carries the same requests in binary frames on one connection. A nestor peer whose listener refuses the stream keeps `lease4-bulk-update`.',
  },
  {
    id: 'HA_LEASE_STREAM_INVALID', level: 'warn', message: 'lease stream from a peer broke its protocol',
    help: 'A frame on the lease stream from `peer` (address and port) could not be read, for the reason in `err`, so this server closed the connection. The peer sees its updates in flight fail and opens a new connection. Seen only with a peer that runs a different nestor version or when something other than nestor connects.',
  },
  {
    id: 'HA_BACKLOG_OVERFLOW', level: 'warn', message: 'lease update backlog overflowed',
    help: 'In communication-recovery more than delayed-updates-limit (`count`) lease changes waited for the partner, so the backlog was dropped. When the partner returns, this server goes to waiting and both resynchronise instead of replaying the backlog.',
  },
  {
    id: 'HA_BACKLOG_REPLAYED', level: 'info', message: 'lease update backlog sent to the partner',
    help: 'Communication with `peer` works again; the `count` lease changes made during communication-recovery were sent, and the server returns to load-balancing.',
  },
  {
    id: 'HA_SYNC_STARTED', level: 'info', message: 'lease synchronisation started',
    help: 'This server fetches every lease of `peer` page by page (lease4-get-page). The peer\'s DHCP service is paused until the sync ends.',
  },
  {
    id: 'HA_SYNC_PAGE', level: 'info', message: 'lease synchronisation page merged',
    help: 'One page of `count` leases from `peer`, after the address `from`, was merged: `added` new leases, `updated` newer ones. `invalid` entries could not be read (`reason` gives the first) and were skipped.',
  },
  {
    id: 'HA_SYNC_COMPLETE', level: 'info', message: 'lease synchronisation complete',
    help: '`count` leases in `pages` pages were fetched from `peer` in `durationMs` milliseconds, and the peer was asked to serve again.',
  },
  {
    id: 'HA_SYNC_FAILED', level: 'error', message: 'lease synchronisation failed',
    help: 'Fetching leases from `peer` failed after `count` leases (`err`). The peer was asked to serve again. An automatic sync is retried at the next heartbeat; an `ha-sync` command returns the error.',
  },
  {
    id: 'HA_SCOPES_SET', level: 'info', message: 'HA scopes set by command',
    help: 'An operator sent `ha-scopes`; this server now serves `scopes` until the next state transition sets the scopes of that state.',
  },
];
