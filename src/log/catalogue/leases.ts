// Log messages of the leases area.

import type { MessageEntry } from './types.js';

export const LEASES_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'LEASES_DB_OPENED',
    level: 'info',
    message: 'lease database opened',
    help: 'The LMDB lease database was opened. count is the number of leases it contains, and durationMs is how long the open took.',
  },
  {
    id: 'LEASES_DB_CLOSED',
    level: 'info',
    message: 'lease database closed',
    help: 'The lease database was closed, normally during shutdown. Every lease committed before this line is on disk.',
  },
  {
    id: 'LEASES_DB_FULL',
    level: 'error',
    message: 'lease database is full, lease writes fail',
    help: 'A lease write was rolled back because the lease data reached the configured map size limit, or because ' +
      'the disk, the quota or the file size limit ran out (err says which). Clients get no new or renewed leases ' +
      'while this lasts; leases already stored stay readable. Free disk space, or raise nestor.lmdb-map-size and ' +
      'restart. LEASES_DB_WRITABLE follows when writes succeed again. This line is logged once per episode.',
  },
  {
    id: 'LEASES_DB_WRITABLE',
    level: 'info',
    message: 'lease database accepts writes again',
    help: 'A lease write succeeded after LEASES_DB_FULL; leases are being granted and renewed again.',
  },
];
