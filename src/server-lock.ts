// One server per lease database: `nestor serve` writes its pid next to the database and refuses to
// start while another live nestor process holds that file. Two servers on one database would both
// answer on the same port and split the traffic without any sign, as Kea's own pid-file check exists
// to prevent. A file left behind by a killed server is taken over once its pid is gone.

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { nestorError } from './errors.js';

export class ServerLock {
  private constructor(readonly path: string) {}

  /** Take the lock for the lease database at dbPath; throws NESTOR_ERR_SERVER_RUNNING when a live server holds it. */
  static acquire(dbPath: string): ServerLock {
    const path = `${dbPath}.pid`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
        return new ServerLock(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EROFS') {
          // The database's folder is missing or not writable: say so before LMDB would.
          throw nestorError('LEASES_OPEN', `lease-database.name '${dbPath}': cannot create '${path}' (${code}); ` +
            `the folder '${dirname(dbPath)}' must exist and be writable by this server`);
        }
        if (code !== 'EEXIST') throw err;
      }
      const holder = readPid(path);
      if (holder !== undefined && holder !== process.pid && isLiveNestor(holder)) {
        throw nestorError('SERVER_RUNNING', `another nestor server (pid ${holder}) is using the lease database ` +
          `'${dbPath}'; stop it first, or give this server its own lease-database.name`);
      }
      unlinkSync(path);
    }
    throw nestorError('SERVER_RUNNING', `cannot take the pid file '${path}' of the lease database; remove it if no nestor server runs`);
  }

  release(): void {
    try {
      if (readPid(this.path) === process.pid) unlinkSync(this.path);
    } catch {
      // Already removed: nothing to release.
    }
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when pid is a running process whose command line mentions nestor (so a reused pid does not count). */
function isLiveNestor(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nestor');
  } catch {
    return false;
  }
}
