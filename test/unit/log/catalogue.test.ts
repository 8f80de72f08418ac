import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { MESSAGES } from '../../../src/log/messages.js';
import { renderMessagesDoc } from '../../../src/log/messages-doc.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'catalogue' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Message ids passed to logMessage(...) at call sites in src/, with their files. */
function callSites(): Map<string, string[]> {
  const sites = new Map<string, string[]>();
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/logMessage\(\s*[\w.]+,\s*'([A-Z0-9_]+)'/g)) {
      sites.set(m[1], [...(sites.get(m[1]) ?? []), file]);
    }
  }
  return sites;
}

describe('log message catalogue', () => {
  it('has unique ids in AREA_EVENT form', () => {
    const ids = MESSAGES.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Z0-9]+(_[A-Z0-9]+)+$/);
  });

  it('uses every id at exactly one call site', () => {
    const sites = callSites();
    for (const m of MESSAGES) expect(sites.get(m.id) ?? [], m.id).toHaveLength(1);
  });

  it('catalogues every id used in the source', () => {
    const known = new Set(MESSAGES.map((m) => m.id));
    for (const id of callSites().keys()) expect(known.has(id), id).toBe(true);
  });

  it('matches docs/messages.md', () => {
    expect(readFileSync('docs/messages.md', 'utf8')).toBe(renderMessagesDoc());
  });
});
