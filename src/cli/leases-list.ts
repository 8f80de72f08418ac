// `nestor leases list -c FILE [--json]`: print the leases of the configured database, read-only.

import { parseArgs } from 'node:util';

import { hexToString, ipToString, macToString } from '../codec/addr.js';
import { loadConfig } from '../config/load.js';
import { CliError, nestorError } from '../errors.js';
import { leaseExpiry, leaseToKeaJson } from '../leases/lease-json.js';
import { openLeaseStore } from '../leases/lmdb-store.js';
import type { Lease4 } from '../leases/types.js';

const PAGE = 10_000;
const STATE_NAMES = ['default', 'declined', 'expired-reclaimed'];

export async function runLeasesList(argv: string[]): Promise<number> {
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
  try {
    const json = values.json === true;
    if (json) process.stdout.write('[');
    else process.stdout.write(`${'ip-address'.padEnd(16)}${'hw-address'.padEnd(19)}${'client-id'.padEnd(24)}${'subnet'.padEnd(8)}${'expires (UTC)'.padEnd(22)}${'state'.padEnd(18)}hostname\n`);
    let after = -1;
    let first = true;
    for (;;) {
      const page = store.page(after, PAGE);
      for (const lease of page) {
        if (json) {
          process.stdout.write(`${first ? '\n' : ',\n'}  ${JSON.stringify(leaseToKeaJson(lease))}`);
        } else {
          process.stdout.write(formatRow(lease));
        }
        first = false;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1].address;
    }
    if (json) process.stdout.write(first ? ']\n' : '\n]\n');
  } finally {
    await store.close();
  }
  return 0;
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
