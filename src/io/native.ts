// The only module that loads the native addon (build/Release/nestor_native.node, built by
// `npm run build`), and the one table that turns its negative errno results into NestorErrors.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { nestorError } from '../errors.js';
import type { NestorError } from '../errors.js';

/** The functions the addon exports (native/addon.cc). Integers and typed arrays in, numbers out. */
export interface NativeAddon {
  /** Hashes count keys, key i being keys[ends[i - 1], ends[i]), into out[i]; count or -EINVAL. */
  hashKeys(keys: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array): number;
  /** Writes the BUCKET word of count receive meta records; count or -EINVAL. */
  hashPackets(data: Uint8Array, meta: Uint32Array, count: number): number;
  /** Opens a non-blocking UDP socket bound to bindAddress:port; fd or -errno. */
  udpOpen(bindAddress: number, port: number, ifname: string, rcvbufBytes: number): number;
  /** Receives up to max datagrams into slots of slotSize bytes; count, 0 when none waits, or -errno. */
  udpRecv(fd: number, data: Uint8Array, slotSize: number, meta: Uint32Array, max: number): number;
  /** Sends count datagrams described by send meta; datagrams sent or -errno. */
  udpSend(fd: number, data: Uint8Array, meta: Uint32Array, count: number): number;
  /**
   * Opens an AF_PACKET socket on ifname with a TPACKET_V3 receive ring of blockCount blocks of
   * blockBytes, frames of frameBytes and a block timeout in ms. Bit 0 of flags accepts
   * 802.1Q-tagged frames. Returns a handle (>= 0) or -errno.
   */
  rawOpen(
    ifname: string,
    blockBytes: number,
    blockCount: number,
    frameBytes: number,
    blockTimeoutMs: number,
    flags: number,
  ): number;
  /** File descriptor of a raw socket handle (for pollStart), or -EBADF. */
  rawFd(handle: number): number;
  /** Closes a raw socket handle; 0 or -EBADF. Stop its poll watch first. */
  rawClose(handle: number): number;
  /** Writes the RAW_COUNTER_* counters into out; the counter count or -errno. */
  rawStats(handle: number, out: Float64Array): number;
  /** Writes ifindex, MTU, MAC bytes 0-1 and MAC bytes 2-5 into out; 4 or -errno. */
  rawInfo(handle: number, out: Uint32Array): number;
  /** Reads up to max datagrams from the ring into slots; count, 0 when none waits, or -errno. */
  rawRecv(handle: number, data: Uint8Array, slotSize: number, meta: Uint32Array, max: number): number;
  /** Builds and sends count Ethernet/IPv4/UDP frames described by send meta; frames sent or -errno. */
  rawSend(handle: number, data: Uint8Array, meta: Uint32Array, count: number): number;
  /**
   * Calls onReadable on this thread whenever fd is readable, with the libuv status: 0, or a
   * negative errno after which the watch has stopped. Returns a watch id or -errno.
   */
  pollStart(fd: number, onReadable: (status: number) => void): number;
  pollStop(id: number): void;
  closeFd(fd: number): number;
}

const PACKAGE_NAME = 'nestor-dhcp';
const ADDON_PATH = join('build', 'Release', 'nestor_native.node');

let addon: NativeAddon | undefined;
let loadFailure: Error | undefined;
let attempted = false;

/** Returns the addon, or undefined when it is not built or fails to load (see nativeLoadFailure). */
export function loadNative(): NativeAddon | undefined {
  if (attempted) return addon;
  attempted = true;
  try {
    const root = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
    const require = createRequire(join(root, 'package.json'));
    addon = require(join(root, ADDON_PATH)) as NativeAddon;
  } catch (err) {
    loadFailure = err instanceof Error ? err : new Error(String(err));
  }
  return addon;
}

/** Returns the error that kept the addon from loading, if loading was tried and failed. */
export function nativeLoadFailure(): Error | undefined {
  return loadFailure;
}

/** Returns the addon or throws NESTOR_ERR_NATIVE_LOAD saying how to build it. */
export function requireNative(): NativeAddon {
  const loaded = loadNative();
  if (loaded) return loaded;
  throw nestorError(
    'NATIVE_LOAD',
    `native addon '${ADDON_PATH}': cannot be loaded (${loadFailure?.message ?? 'unknown reason'}); ` +
      "build it with 'npm run build' (needs g++, make, python3 and the Node.js headers)",
  );
}

// Walks up from start to the directory whose package.json is this package's. The source file sits
// at src/io/ under vitest and at dist/io/ after the build, so a fixed relative path would not do.
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`package.json of '${PACKAGE_NAME}' not found above ${start}`);
  }
}

function readPackageName(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

// errno number → name, from the table Node.js ships for this platform.
const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

// Operator hints per socket errno name. Other errno values get a generic hint.
const SOCKET_ERRNO_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied; run nestor as root or grant it CAP_NET_BIND_SERVICE (needed for ports below 1024)',
  EPERM: 'operation not permitted; binding to an interface needs CAP_NET_RAW on Linux before 5.7, so run as root or grant it',
  EADDRINUSE: 'address already in use; another DHCP server (Kea, dhcpd, dnsmasq) is probably running, stop it first',
  EADDRNOTAVAIL: 'the address is not assigned to any local interface; use an address of this host or 0.0.0.0',
  ENODEV: 'interface not found; check the interface name with `ip link`',
  EMFILE: 'too many open files; raise the file descriptor limit (ulimit -n)',
  ENFILE: 'too many open files in the system; raise fs.file-max or close other programs',
  ENOBUFS: 'the kernel is out of buffer memory; lower the receive buffer size or free memory',
  ENOMEM: 'the kernel is out of memory; lower the receive buffer size or free memory',
  EINVAL: 'the native addon rejected an argument; this is a bug in nestor, please report it',
};

// Operator hints for AF_PACKET sockets; other errno values use SOCKET_ERRNO_HINTS.
const RAW_PERMISSION_HINT =
  'raw sockets need root or CAP_NET_RAW; run as root, grant CAP_NET_RAW ' +
  "(setcap cap_net_raw,cap_net_bind_service+ep $(which node)), or use dhcp-socket-type 'udp' " +
  '(which still needs CAP_NET_BIND_SERVICE for port 67)';
const RAW_RING_HINT = 'the receive ring cannot be mapped; use a smaller ring (fewer or smaller blocks) or free memory';
const RAW_ERRNO_HINTS: Readonly<Record<string, string>> = {
  EPERM: RAW_PERMISSION_HINT,
  EACCES: RAW_PERMISSION_HINT,
  ENODEV: 'interface not found; check the interface name with `ip link` and fix interfaces-config',
  ENETDOWN: 'the interface is down; bring it up (ip link set IFACE up)',
  ENOMEM: RAW_RING_HINT,
  ENOBUFS: RAW_RING_HINT,
  EPROTONOSUPPORT:
    "not an Ethernet interface (loopback, tunnel or other link type); raw sockets need Ethernet, so use dhcp-socket-type 'udp' for it",
};

/** Returns the errno name of a negative native result (-98 → 'EADDRINUSE'), or 'E<number>'. */
export function errnoName(rc: number): string {
  return ERRNO_NAMES.get(-rc) ?? `E${-rc}`;
}

/**
 * Builds NESTOR_ERR_NATIVE_SOCKET for a negative errno rc returned while doing action on subject,
 * e.g. nativeSocketError(-13, "udp socket '0.0.0.0:67'", 'open').
 */
export function nativeSocketError(rc: number, subject: string, action: string): NestorError {
  const name = errnoName(rc);
  const hint = SOCKET_ERRNO_HINTS[name] ?? 'the system call failed; check the address, port and interface';
  return nestorError('NATIVE_SOCKET', `${subject}: ${action} failed with ${name}: ${hint}`, {
    errno: name,
    rc,
  });
}

/**
 * Builds NESTOR_ERR_NATIVE_SOCKET for a negative errno rc returned while doing action on the
 * AF_PACKET socket of interface ifname, e.g. rawSocketError(-1, 'eth0', 'open').
 */
export function rawSocketError(rc: number, ifname: string, action: string): NestorError {
  const name = errnoName(rc);
  const hint = RAW_ERRNO_HINTS[name]?.replace('IFACE', ifname) ?? SOCKET_ERRNO_HINTS[name] ??
    'the system call failed; check the interface';
  return nestorError('NATIVE_SOCKET', `raw socket on interface '${ifname}': ${action} failed with ${name}: ${hint}`, {
    errno: name,
    rc,
  });
}
