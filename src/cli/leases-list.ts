// `nestor leases list -c FILE [--json]`: print the leases of the configured database, read-only.

import { once } from 'node:events';
import { parseArgs } from 'node:util';

import { hexToString, ipToString, macToString } from '../codec/addr.js';
import { loadConfig } from '../config/load.js';
import { CliError, nestorError } from '../errors.js';
import { leaseExpiry, leaseToKeaJson } from '../leases/lease-json.js';
import { openLeaseStore } from '../leases/lmdb-store.js';
import type { Lease4 } from '../leases/types.js';

const PAGE = 10_000;
const STATE_NAMES = ['default', 'declined', 'expired-reclaimed'];

/**
 * Print the leases of the configured database to `out` (stdout by default), one page at a time. A
 * reader that goes away (EPIPE, as with `| head`) ends the listing quietly with status 0.
 */
export async function runLeasesList(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (!values.config) throw new CliError('NESTOR_ERR_CLI_USAGE', 'leases list: missing -c FILE (the configuration file)');

  const { config, issues } = loadConfig(values.config);
  if (!config) {
    const first = issues.find((i) => i.severity === 'error');
    const where = first?.path.startsWith(values.config) ? first.path : `${values.config}: ${first?.path}`;
    throw nestorError('CONFIG_INVALID', `${where}: ${first?.message} (run 'nestor config check ${values.config}')`);
  }

  const store = openLeaseStore({ path: config.leaseDatabase.path, readOnly: true });
  const output = new PagedOutput(out);
  try {
    const json = values.json === true;
    let text = json ? '[' : `${'ip-address'.padEnd(16)}${'hw-address'.padEnd(19)}${'client-id'.padEnd(24)}${'subnet'.padEnd(8)}${'expires (UTC)'.padEnd(22)}${'state'.padEnd(18)}hostname\n`;
    let after = -1;
    let first = true;
    for (;;) {
      const page = store.page(after, PAGE);
      for (const lease of page) {
        text += json ? `${first ? '\n' : ',\n'}  ${JSON.stringify(leaseToKeaJson(lease))}` : formatRow(lease);
        first = false;
      }
      if (!(await output.write(text))) return 0;
      text = '';
      if (page.length < PAGE) break;
      after = page[page.length - 1].address;
    }
    if (json) await output.write(first ? ']\n' : '\n]\n');
  } finally {
    output.release();
    await store.close();
  }
  return 0;
}

/** A writer that waits for the stream to take each page, and notices when the reader has gone. */
class PagedOutput {
  private error: NodeJS.ErrnoException | undefined;
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.error ??= err;
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', this.onError);
  }

  /** Write one page; false once the reader has closed the pipe. Other stream errors are thrown. */
  async write(text: string): Promise<boolean> {
    if (this.error === undefined && !this.out.write(text)) {
      const done = new AbortController();
      const until = (event: string): Promise<unknown> => once(this.out, event, { signal: done.signal }).catch(() => undefined);
      await Promise.race([until('drain'), until('close')]);
      done.abort();
    }
    // Let an error from this write arrive: streams report it on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.error === undefined) return true;
    if (this.error.code === 'EPIPE') return false;
    throw this.error;
  }

  release(): void {
    this.out.removeListener('error', this.onError);
  }
}

/** Kea's state name, with 'expired' for a default-state lease past its expiry that is not reclaimed yet. */
function stateName(lease: Lease4, expiry: number): string {
  if (lease.state === 0 && expiry < Date.now() / 1000) return 'expired';
  return STATE_NAMES[lease.state] ?? String(lease.state);
}

function formatRow(lease: Lease4): string {
  const expiry = leaseExpiry(lease);
  const expires = expiry >= 0xffffffff ? 'never' : new Date(expiry * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return `${ipToString(lease.address).padEnd(16)}${macToString(lease.hwAddress).padEnd(19)}` +
    `${(lease.clientId ? hexToString(lease.clientId, ':') : '-').padEnd(24)}${String(lease.subnetId).padEnd(8)}` +
    `${expires.padEnd(22)}${stateName(lease, expiry).padEnd(18)}${lease.hostname}\n`;
}
