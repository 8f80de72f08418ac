// Operator-facing messages for LMDB failures. lmdb-js reports an LMDB or system failure as an Error
// with a numeric `code`: a positive errno or a negative MDB_* code. node:fs uses string codes.

const MDB_MAP_FULL = -30792;
const MDB_INVALID = -30793;
const MDB_VERSION_MISMATCH = -30794;
const MDB_READERS_FULL = -30790;

const ENOENT = 2;
const EACCES = 13;
const EFBIG = 27;
const ENOSPC = 28;
const EROFS = 30;
const EDQUOT = 122;

/** Errnos and MDB codes that mean the write needed space the disk, quota or map could not give. */
const FULL_CODES: ReadonlySet<number> = new Set([MDB_MAP_FULL, ENOSPC, EDQUOT, EFBIG]);

/** Returns whether err reports a full disk, quota, file size limit or map. */
export function isFullCondition(err: unknown): boolean {
  const code = errorCode(err);
  return (typeof code === 'number' && FULL_CODES.has(code)) || code === 'ENOSPC' || code === 'EDQUOT';
}

/** Builds the message of a write rejected for lack of space, by nestor's size limit or by the disk. */
export function describeFull(path: string, cause: 'limit' | 'disk', mapSizeBytes: number, err?: unknown): string {
  if (cause === 'limit') {
    return `'${path}': the lease database is full (its lease data would exceed the map size limit of ${mapSizeBytes} bytes); ` +
      'lease writes fail until leases are removed, or until \'nestor.lmdb-map-size\' is raised and the server restarted';
  }
  return `'${path}': the lease database is full (${errorText(err)}); lease writes fail until space is freed ` +
    'on the filesystem that holds it (or the quota or file size limit of the server user is raised)';
}

/** Builds the message of another failed write, or returns undefined when err came from neither LMDB nor the filesystem. */
export function describeWriteFailure(path: string, err: unknown): string | undefined {
  const code = errorCode(err);
  if (typeof code !== 'number') return undefined;
  if (code === EROFS || code === EACCES) {
    return `'${path}': lease write failed (${errorText(err)}); give the server's user write access to the file and its filesystem`;
  }
  return `'${path}': lease write failed (${errorText(err)}); check the disk and the system log for I/O errors`;
}

/** Builds the message of a failed open: the cause and what the operator can do about it. */
export function describeOpenFailure(path: string, err: unknown, isReadOnly: boolean): string {
  const code = errorCode(err);
  const cause = errorText(err);
  const lead = `'${path}': cannot open the lease database (${cause})`;

  if (code === 'ENOENT' || code === ENOENT) {
    return isReadOnly
      ? `${lead}; no lease database exists there yet: check 'lease-database.name' or start the server once to create it`
      : `${lead}; check that the directory can be created`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code === EACCES) {
    return `${lead}; give the user running nestor read and write access to the file, its directory and '${path}-lock'`;
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') return `${lead}; a part of the path is a file, not a directory: choose another path`;
  if (code === 'EISDIR') return `${lead}; the path is a directory: give the path of a file inside it`;
  if (code === 'EROFS' || code === EROFS) return `${lead}; the filesystem is read-only: choose a writable location`;
  if (code === MDB_INVALID || code === MDB_VERSION_MISMATCH) {
    return `${lead}; the file is not an LMDB lease database of this version: move it away or choose another path`;
  }
  if (code === MDB_READERS_FULL) return `${lead}; too many processes are reading it: stop some 'nestor leases' commands`;
  if (isFullCondition(err)) return `${lead}; the disk is full: free space on the filesystem that holds it`;
  return `${lead}; check the path and the permissions of the file and its directory`;
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  const firstLine = message.split('\n')[0] ?? message;
  return code === undefined ? firstLine : `${firstLine}, code ${String(code)}`;
}
