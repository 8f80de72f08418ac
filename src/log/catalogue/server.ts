// Log messages of the server wiring, the pipeline and the command line.

import type { MessageEntry } from './types.js';

export const SERVER_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'SERVER_STARTED', level: 'info', message: 'server started',
    help: 'The server has opened its lease database and sockets and is responding to requests. The fields list the interfaces with their server addresses, the UDP port, the number of worker threads, the commit window in microseconds (nestor.commit-window-us), the receive interval in milliseconds and the lease database path. The receive interval is nestor.receive-interval-ms, where 0 reads each UDP datagram as it arrives.',
  },
  {
    id: 'SERVER_STOPPED', level: 'info', message: 'server stopped',
    help: 'The server finished the batches it had accepted, closed its sockets and its lease database, and is exiting. The fields are the counters since start.',
  },
  {
    id: 'SERVER_CONFIG_WARNING', level: 'warn', message: 'configuration key not honoured',
    help: 'The configuration loaded, but the key at `path` is not supported or was replaced by a default; `reason` says which. The server runs without it. Remove the key or check the README\'s known limitations.',
  },
  {
    id: 'SERVER_NO_INTERFACES', level: 'warn', message: 'no interfaces configured, serving nothing',
    help: 'Dhcp4.interfaces-config.interfaces is empty, so no socket is opened and no request can arrive. Kea behaves the same way. List the interfaces that face clients or relays, or "*" for all.',
  },
  {
    id: 'SERVER_IFACE_DOWN', level: 'warn', message: 'raw socket lost, interface down or removed',
    help: 'The raw packet socket of interface `iface` stopped working, usually because the interface went down. Until it is back, requests from that interface still arrive on its UDP socket and directly attached clients get broadcast replies. The server tries to reopen the raw socket every 2 seconds and logs SERVER_IFACE_RESTORED when it succeeds.',
  },
  {
    id: 'SERVER_IFACE_RESTORED', level: 'warn', message: 'raw socket reopened on interface',
    help: 'The interface `iface` is usable again and its raw packet socket was reopened, so directly attached clients get unicast frames again. Check the link if this follows SERVER_IFACE_DOWN often.',
  },
  {
    id: 'SERVER_COUNTERS', level: 'info', message: 'packet counters',
    help: 'A periodic summary of what the server received, dropped and sent, with the number of requests per engine outcome (offer, ack, nak, drops by reason). `leaseCommits` counts the group commits of the main thread (worker threads commit their own batches) and `leaseCommitJobs` the batches and HA lease updates those commits carried, so their ratio shows how many share one fsync. Use it to watch for malformed traffic, pool exhaustion or queue overflows.',
  },
  {
    id: 'SERVER_COMMIT_FAILED', level: 'error', message: 'lease batch not committed, replies dropped',
    help: 'Batches of lease changes could not be written to the lease database, so none of their replies were sent and the clients will retry. `count` batches failed since the previous line (logged at most every 5 s). `err` gives the cause; a full database needs a larger nestor.lmdb-map-size or more disk space.',
  },
  {
    id: 'SERVER_LEASES_RECLAIMED', level: 'info', message: 'expired leases reclaimed',
    help: 'The periodic reclamation marked `count` expired leases as reclaimed. Their addresses return to the pools; each client keeps its address preference for hold-reclaimed-time.',
  },
  {
    id: 'SERVER_RECLAIM_FAILED', level: 'error', message: 'expired-lease reclamation failed',
    help: 'The periodic reclamation could not update the lease database; it is retried at the next interval. Expired leases are still reused by the allocator meanwhile. Check `err`, usually a full lease database.',
  },
  {
    id: 'PIPELINE_WORKER_FAILED', level: 'error', message: 'worker failed to process a batch',
    help: 'A worker thread threw while processing a batch of `count` requests; they get no reply and the clients will retry. This is an internal fault: report it with the log line. The worker is replaced automatically.',
  },
  {
    id: 'PIPELINE_RESULT_FAILED', level: 'error', message: 'handling a committed batch failed',
    help: 'The lease changes of a batch were committed, but passing its replies on (sending them, or the lease updates to an HA partner) threw. The clients of that batch may get no reply and will retry; other batches are not affected. This is an internal fault: report it with the log line.',
  },
  {
    id: 'PIPELINE_PACKET_MALFORMED', level: 'debug', message: 'malformed packet dropped',
    help: 'A received packet is not a valid DHCPv4 request (`reason` says why) and was dropped without a reply. It is counted in the periodic packet counters.',
  },
];
