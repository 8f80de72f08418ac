// Writes docs/messages.md from the compiled message catalogue (run after the TypeScript build).
import { writeFileSync } from 'node:fs';

const { renderMessagesDoc } = await import('../dist/log/messages-doc.js');
writeFileSync(new URL('../docs/messages.md', import.meta.url), renderMessagesDoc());
console.log('docs/messages.md written');
