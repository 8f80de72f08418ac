// Shape of one message catalogue entry (see src/log/messages.ts).

export interface MessageEntry {
  /** <AREA>_<EVENT>, unique across the catalogue. */
  id: string;
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** The short constant message logged with the id. */
  message: string;
  /** For operators: what happened and what to do. */
  help: string;
}
