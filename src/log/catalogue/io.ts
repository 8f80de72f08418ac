// Log messages of the io area.

import type { MessageEntry } from './types.js';

export const IO_MESSAGES: readonly MessageEntry[] = [
];
