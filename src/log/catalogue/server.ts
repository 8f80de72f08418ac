// Log messages of the server area.

import type { MessageEntry } from './types.js';

export const SERVER_MESSAGES: readonly MessageEntry[] = [
];
