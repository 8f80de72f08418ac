// Text for `nestor config check FILE`: the loader's issues, one per line, and a short summary of
// a loaded configuration. Also logs issues through the catalogue for a server that starts with
// warnings.

import { formatIpv4 } from '../codec/options/index.js';
import { applyHaPoolSplit } from '../ha/setup.js';
import { logMessage } from '../log/logger.js';
import type { Logger } from '../log/logger.js';
import type { ConfigIssue, ServerConfig } from './types.js';

/** Formats the issues one per line, "error: PATH: MESSAGE" or "warning: PATH: MESSAGE", errors first and otherwise in file order. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  const ordered = [...issues.filter((i) => i.severity === 'error'), ...issues.filter((i) => i.severity === 'warning')];
  return ordered.map((i) => `${i.severity}: ${i.path}: ${i.message}`).join('\n');
}

/** Summarizes the loaded configuration in a few lines: subnets with their pools and sizes, reservations, the lease database. */
export function summarizeConfig(config: ServerConfig): string {
  const lines: string[] = [];
  const addresses = config.subnets.reduce((sum, s) => sum + s.pools.reduce((n, p) => n + p.last - p.first + 1, 0), 0);
  if (config.subnets.length === 0) lines.push('no subnet is configured, so the server answers no client');
  else lines.push(`${config.subnets.length} subnet(s), ${addresses} pool address(es) in total`);

  for (const subnet of config.subnets) {
    const reservations = subnet.reservations.length;
    lines.push(`  subnet ${subnet.id} ${formatIpv4(subnet.network)}/${subnet.prefixLength}: ${subnet.pools.length} pool(s), ${reservations} reservation(s), valid-lifetime ${subnet.validLifetime} s`);
    for (const pool of subnet.pools) {
      const guard = pool.clientClass === undefined ? '' : ` (client-class ${pool.clientClass})`;
      lines.push(`    pool ${formatIpv4(pool.first)} - ${formatIpv4(pool.last)}: ${pool.last - pool.first + 1} address(es)${guard}`);
    }
  }
  if (config.globalReservations.length > 0) lines.push(`${config.globalReservations.length} global reservation(s)`);

  const db = config.leaseDatabase;
  lines.push(`lease database: LMDB at ${db.path} (configured type ${db.type})`);
  lines.push(`interfaces: ${config.interfaces.map((i) => (i.address === undefined ? i.name : `${i.name}/${formatIpv4(i.address)}`)).join(', ') || '(none)'}, socket type ${config.socketType}`);
  if (config.controlSocket !== undefined) lines.push(`control socket: ${config.controlSocket.path}`);
  if (config.ha !== undefined) lines.push(...describeHa(config));
  return lines.join('\n');
}

/** The HA relationship: mode, this server, the other peers and, in load-balancing, the pool split. */
function describeHa(config: ServerConfig): string[] {
  const ha = config.ha!;
  const self = ha.thisServer;
  const lines = [`high availability: ${ha.mode}, this server '${self.name}' (${self.role}) listens for its peers at ${self.url}`];
  for (const peer of ha.peers) {
    if (peer !== self) lines.push(`  peer '${peer.name}' (${peer.role}) at ${peer.url}`);
  }
  const { description } = applyHaPoolSplit(config);
  if (description !== '') lines.push(...description.split('\n').map((line) => `  ${line}`));
  return lines;
}

/** Logs each issue once, as "PATH: MESSAGE" in the err field: errors with CONFIG_ISSUE_ERROR, warnings with CONFIG_ISSUE_WARNING. */
export function logConfigIssues(log: Logger, issues: readonly ConfigIssue[]): void {
  for (const issue of issues) {
    const err = `${issue.path}: ${issue.message}`;
    if (issue.severity === 'error') logMessage(log, 'CONFIG_ISSUE_ERROR', { err });
    else logMessage(log, 'CONFIG_ISSUE_WARNING', { err });
  }
}
