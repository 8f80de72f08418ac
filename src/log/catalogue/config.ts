// Log messages of the config area.

import type { MessageEntry } from './types.js';

export const CONFIG_MESSAGES: readonly MessageEntry[] = [
  {
    id: 'CONFIG_ISSUE_ERROR',
    level: 'error',
    message: 'configuration error',
    help:
      'The configuration file has a key or a value that nestor cannot use. err names its JSON path and the problem: ' +
      'for an unknown key, the allowed key it most likely misspells; for a value, its JSON type when that is wrong ' +
      'and what was expected. The configuration is not used. Fix the file and load it again ' +
      '(nestor config check FILE lists every issue).',
  },
  {
    id: 'CONFIG_ISSUE_WARNING',
    level: 'warn',
    message: 'configuration key ignored or changed',
    help:
      'The configuration loaded, but err names a key that nestor ignores or reads differently from Kea ' +
      '(a feature that is not supported yet, or a legacy form), or a setup that serves fewer clients than it seems to: ' +
      'no subnet at all, subnets inside shared-networks, or overlapping subnet prefixes. Check that the behaviour ' +
      'you rely on does not depend on it, or change the configuration.',
  },
];
