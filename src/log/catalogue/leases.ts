// Log messages of the leases area.

import type { MessageEntry } from './types.js';

export const LEASES_MESSAGES: readonly MessageEntry[] = [
];
