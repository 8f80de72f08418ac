// The message catalogue: every log message id nestor emits, with its level, constant message and a
// paragraph for operators. docs/messages.md is generated from it (npm run docs:messages), and a unit
// test checks that each id is used at exactly one call site and that the document is current.

import { CONFIG_MESSAGES } from './catalogue/config.js';
import { CONTROL_MESSAGES } from './catalogue/control.js';
import { ENGINE_MESSAGES } from './catalogue/engine.js';
import { HA_STATE_MESSAGES } from './catalogue/ha-state.js';
import { HA_MESSAGES } from './catalogue/ha.js';
import { IO_MESSAGES } from './catalogue/io.js';
import { LEASES_MESSAGES } from './catalogue/leases.js';
import { SERVER_MESSAGES } from './catalogue/server.js';
import type { MessageEntry } from './catalogue/types.js';

export type { MessageEntry } from './catalogue/types.js';

export const MESSAGES: readonly MessageEntry[] = [
  ...SERVER_MESSAGES,
  ...CONFIG_MESSAGES,
  ...IO_MESSAGES,
  ...LEASES_MESSAGES,
  ...ENGINE_MESSAGES,
  ...CONTROL_MESSAGES,
  ...HA_MESSAGES,
  ...HA_STATE_MESSAGES,
];

const byId = new Map(MESSAGES.map((m) => [m.id, m]));

/** The catalogue entry for id; throws for an id that is not in the catalogue (a programming error). */
export function message(id: string): MessageEntry {
  const entry = byId.get(id);
  if (!entry) throw new Error(`log message id '${id}' is not in the catalogue`);
  return entry;
}
