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
  {
    id: 'IO_RAW_OPENED',
    level: 'info',
    message: 'raw socket opened',
    help: 'nestor opened an AF_PACKET socket with a receive ring on the interface iface (its MAC address is mac) and from now on receives DHCP requests from directly attached clients there.',
  },
  {
    id: 'IO_RAW_CLOSED',
    level: 'info',
    message: 'raw socket closed',
    help: 'nestor closed the AF_PACKET socket on iface, at shutdown, reconfiguration or after the socket broke; count is the number of DHCP messages it received.',
  },
  {
    id: 'IO_RAW_BROKEN',
    level: 'error',
    message: 'raw socket stopped working',
    help: 'The AF_PACKET socket on iface failed with the errno in err (ENETDOWN when the interface went down, ENODEV or ENXIO when it was removed) and no longer receives. It has to be closed and opened again once the interface is back; check the interface with ip link.',
  },
  {
    id: 'IO_RAW_SEND_FAILED',
    level: 'warn',
    message: 'raw frame send failed',
    help: 'The kernel did not send count reply frames on iface since the last such message (err is the errno, or partial when the send buffer filled up). Clients retry, but persistent failures mean the interface is down, a reply is larger than the MTU, or the send buffer is too small for the load.',
  },
];
