// Log messages of High Availability (src/ha): the peer link, the state machine and lease updates.

import type { MessageEntry } from './types.js';

export const HA_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'HA_PEER_REQUEST_RESENT', level: 'debug', message: 'request to HA peer resent on a new connection',
    help: 'The command `command` to the HA peer `peer` failed with a reset or broken pipe (`err`) on a kept-alive connection before any reply arrived, so it was sent once more on a new connection. The peer most likely closed an idle connection just as the request went out. Kea 2.2 does not resend and counts such a failure as lost contact. Frequent lines mean the peer closes idle connections early; a failure of the resend is reported to the caller.',
  },
];
