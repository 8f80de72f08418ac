// Log messages of the io area.

import type { MessageEntry } from './types.js';

export const IO_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'IO_UDP_OPENED',
    level: 'info',
    message: 'UDP socket opened',
    help: 'nestor bound a UDP socket for DHCP traffic (ip is address:port, 0.0.0.0 for every address) and receives on it from now on.',
  },
  {
    id: 'IO_UDP_CLOSED',
    level: 'info',
    message: 'UDP socket closed',
    help: 'nestor closed a UDP socket, at shutdown or reconfiguration; count is the number of datagrams it received.',
  },
  {
    id: 'IO_UDP_RECEIVE_FAILED',
    level: 'error',
    message: 'UDP receive failed',
    help: 'Reading datagrams from a UDP socket failed with the errno in err; count is the number of failed reads so far. Repeats are logged at most every 10 seconds. If it persists, check that the interface still exists and restart nestor.',
  },
  {
    id: 'IO_UDP_SEND_FAILED',
    level: 'warn',
    message: 'UDP send failed',
    help: 'The kernel did not send count replies since the last such message (err is the errno, or partial when the send buffer filled up). Clients retry, but persistent failures mean no route to the relay or client, or a send buffer too small for the load: check routes and raise net.core.wmem_max.',
  },
];
