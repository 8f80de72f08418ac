// Log messages of the engine area.

import type { MessageEntry } from './types.js';

export const ENGINE_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'ALLOC_POOL_EXHAUSTED',
    level: 'warn',
    message: 'no free address in the pools of the subnet',
    help:
      'A client sent DHCPDISCOVER and every address of the pools it may use is leased, declined, reserved or offered to ' +
      'another client, so it got no offer. `count` is the number of clients refused since the previous warning; the ' +
      'warning repeats at most once a minute per subnet. Enlarge the pools, shorten valid-lifetime, or look for a ' +
      'client that floods the network with new hardware addresses.',
  },
  {
    id: 'ENGINE_REQUEST_DECIDED',
    level: 'debug',
    message: 'request decided',
    help:
      'One request was handled; `state` is the outcome name (offer, ack, nak-address-in-use, silent-unknown-binding, ' +
      'drop-server-id-not-ours and so on, listed in src/engine/engine.ts) and `ip` the offered or acknowledged address.',
  },
  {
    id: 'ENGINE_LEASES_RECLAIMED',
    level: 'debug',
    message: 'expired leases reclaimed',
    help:
      'A reclamation run marked `count` expired leases as reclaimed or deleted reclaimed leases older than ' +
      'hold-reclaimed-time, in `durationMs` milliseconds.',
  },
  {
    id: 'ENGINE_RECLAIM_BEHIND',
    level: 'warn',
    message: 'lease reclamation is not keeping up',
    help:
      'For `count` consecutive runs, reclamation stopped at max-reclaim-leases or max-reclaim-time with expired leases ' +
      'left over. Expired leases stay usable for allocation, but the lease database grows. Raise max-reclaim-leases ' +
      'or max-reclaim-time, or shorten reclaim-timer-wait-time, in expired-leases-processing.',
  },
];
