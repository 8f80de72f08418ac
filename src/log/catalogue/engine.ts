// Log messages of the engine area.

import type { MessageEntry } from './types.js';

export const ENGINE_MESSAGES: readonly MessageEntry[] = [
];
