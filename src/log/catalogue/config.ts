// Log messages of the config area.

import type { MessageEntry } from './types.js';

export const CONFIG_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'CONFIG_ISSUE_ERROR',
    level: 'error',
    message: 'configuration error',
    help:
      'The configuration file has a value nestor cannot use; err names its JSON path, the value and what was expected. ' +
      'The configuration is not used. Fix the value and load the file again (nestor config check FILE lists every issue).',
  },
  {
    id: 'CONFIG_ISSUE_WARNING',
    level: 'warn',
    message: 'configuration key ignored or changed',
    help:
      'The configuration loaded, but err names a key that nestor ignores or reads differently from Kea ' +
      '(a feature that is not supported yet, an unknown key, or a legacy form). Check that the behaviour you rely on ' +
      'does not depend on it, or remove the key.',
  },
];
