// The HA commands of libdhcp_ha.so, served over the peer listener and the UNIX control socket:
// ha-heartbeat, ha-sync-complete-notify, ha-reset, ha-scopes, ha-continue, ha-sync and the three
// maintenance commands. Answers carry Kea 2.2's result codes and texts; arguments that later Kea
// versions add (server-name, origin-id) are accepted. The lease4-* commands a partner sends are
// the lease commands of src/control, which every server has.

import { CommandArgumentError, RESULT_ERROR, RESULT_SUCCESS, answer } from '../control/answer.js';
import type { ControlAnswer } from '../control/answer.js';
import { checkKnownKeys, describe, readBoolean, readInteger } from '../control/args.js';
import type { Args } from '../control/args.js';
import type { CommandTable } from '../control/commands.js';
import type { HaService } from './service.js';

/** Adds the HA commands to the table. */
export function registerHaCommands(table: CommandTable, ha: HaService): void {
  table.register('ha-heartbeat', (args) => {
    checkKnownKeys('ha-heartbeat', args, ['server-name']);
    checkServerName('ha-heartbeat', ha, args);
    return answer(RESULT_SUCCESS, 'HA peer status returned.', ha.heartbeatArguments());
  });
  table.register('ha-sync-complete-notify', (args) => {
    checkKnownKeys('ha-sync-complete-notify', args, ['server-name', 'origin', 'origin-id']);
    ha.notifySyncComplete();
    return answer(RESULT_SUCCESS, 'Server successfully notified about the synchronization completion.');
  });
  table.register('ha-reset', (args) => {
    checkKnownKeys('ha-reset', args, ['server-name']);
    return answer(RESULT_SUCCESS, ha.reset() ? 'HA state machine reset.' : 'HA state machine already in WAITING state.');
  });
  table.register('ha-continue', (args) => {
    checkKnownKeys('ha-continue', args, ['server-name']);
    return answer(RESULT_SUCCESS, ha.resume() ? 'HA state machine continues.' : 'HA state machine is not paused.');
  });
  table.register('ha-scopes', (args) => setScopes(ha, args));
  table.register('ha-sync', (args) => syncFromPeer(ha, args));
  table.register('ha-maintenance-notify', (args) => {
    checkKnownKeys('ha-maintenance-notify', args, ['cancel', 'server-name', 'state']);
    const cancel = readBoolean('ha-maintenance-notify', args, 'cancel');
    if (cancel === undefined) throw new CommandArgumentError("'cancel' is mandatory for the 'ha-maintenance-notify' command");
    const { result, text } = ha.maintenanceNotify(cancel);
    return answer(result, text);
  });
  table.register('ha-maintenance-start', async (args) => {
    checkKnownKeys('ha-maintenance-start', args, ['server-name']);
    const { result, text } = await ha.startMaintenance();
    return answer(result, text);
  });
  table.register('ha-maintenance-cancel', async (args) => {
    checkKnownKeys('ha-maintenance-cancel', args, ['server-name']);
    const { result, text } = await ha.cancelMaintenance();
    return answer(result, text);
  });
}

/** Kea 2.6 names the relationship in `server-name`; with one relationship it must be this server or a peer. */
function checkServerName(command: string, ha: HaService, args: Args | undefined): void {
  const name = args?.['server-name'];
  if (name === undefined) return;
  if (typeof name !== 'string') throw new CommandArgumentError(`'server-name' in the '${command}' command must be a string, not ${describe(name)}`);
  if (!ha.config.peers.some((p) => p.name === name)) {
    throw new CommandArgumentError(`server-name '${name}' in the '${command}' command names no peer of this HA relationship`);
  }
}

function setScopes(ha: HaService, args: Args | undefined): ControlAnswer {
  checkKnownKeys('ha-scopes', args, ['scopes', 'server-name']);
  const scopes = args?.['scopes'];
  if (scopes === undefined) throw new CommandArgumentError("'scopes' is mandatory for the 'ha-scopes' command");
  if (!Array.isArray(scopes)) throw new CommandArgumentError(`'scopes' in the 'ha-scopes' command must be a list of server names, not ${describe(scopes)}`);
  const active = [ha.config.primary, ha.config.secondary].filter((p) => p !== undefined).map((p) => p.name);
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !active.includes(scope)) {
      throw new CommandArgumentError(`invalid server name specified in 'scopes': ${describe(scope)} (expected one of ${active.map((n) => `'${n}'`).join(', ')})`);
    }
  }
  ha.setScopes(scopes as string[]);
  return answer(RESULT_SUCCESS, 'New HA scopes configured.');
}

async function syncFromPeer(ha: HaService, args: Args | undefined): Promise<ControlAnswer> {
  if (args === undefined) throw new CommandArgumentError("arguments not found in the 'ha-sync' command");
  checkKnownKeys('ha-sync', args, ['server-name', 'max-period']);
  const name = args['server-name'];
  if (typeof name !== 'string') throw new CommandArgumentError(`'server-name' in the 'ha-sync' command must be a string, not ${describe(name)}`);
  const maxPeriod = readInteger('ha-sync', args, 'max-period', 1, 0xffffffff);
  const error = await ha.syncFrom(name, maxPeriod);
  if (error !== undefined) return answer(RESULT_ERROR, error);
  return answer(RESULT_SUCCESS, 'Lease database synchronization complete.');
}
