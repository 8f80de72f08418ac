// Renders docs/messages.md from the message catalogue (scripts/gen-docs.mjs writes it; a unit test
// checks that the committed file is current).

import { MESSAGES } from './messages.js';

export function renderMessagesDoc(): string {
  const lines = [
    '# Log messages',
    '',
    'Every log line nestor writes carries a `msgId` from this list, so operators can search and alert on',
    'it. Generated from `src/log/catalogue/`; do not edit by hand (run `npm run docs`).',
    '',
  ];
  for (const m of [...MESSAGES].sort((a, b) => a.id.localeCompare(b.id))) {
    lines.push(`## ${m.id}`, '', `Level: \`${m.level}\`. Message: "${m.message}".`, '', m.help, '');
  }
  return lines.join('\n');
}
