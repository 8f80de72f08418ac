// Log messages of the config area.

import type { MessageEntry } from './types.js';

export const CONFIG_MESSAGES: readonly MessageEntry[] = [
];
