// The benchmark lab: a client namespace (load generators, 198.18.0.10/24 on cli1) and a server
// namespace (198.18.0.1/24 on srv1), each joined by a veth pair to a bridge inside a third namespace.
// For HA pairs, addPairServer() adds a second server namespace (198.18.0.2/24 on srv2) and an address
// that both servers share, which the client reaches through the broadcast MAC.
// Every name carries a per-run prefix with the orchestrator's pid, nothing is added to the root
// namespace, and destroy() removes everything, also after a partial setup.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

import { run, startProcess, succeeds } from './proc.mjs';

export const SERVER_ADDRESS = '198.18.0.1';
export const CLIENT_ADDRESS = '198.18.0.10';
export const SERVER_IFACE = 'srv1';
export const CLIENT_IFACE = 'cli1';
/** The second server of an HA pair; the first one is SERVER_ADDRESS on SERVER_IFACE. */
export const SERVER2_ADDRESS = '198.18.0.2';
export const SERVER2_IFACE = 'srv2';
/** The address both servers of a pair listen on for DHCP; the client sends to it with the broadcast MAC. */
export const SHARED_ADDRESS = '198.18.0.100';
const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
const PREFIX_BASE = 'nbench';

export class Lab {
  constructor() {
    this.prefix = `${PREFIX_BASE}${process.pid}`;
    this.clientNs = `${this.prefix}-cli`;
    this.serverNs = `${this.prefix}-srv`;
    this.bridgeNs = `${this.prefix}-br`;
    this.server2Ns = `${this.prefix}-srv2`;
    this.hasPair = false;
    this.created = [];
  }

  /** Create the three namespaces, the bridge and both links. */
  build() {
    for (const ns of [this.bridgeNs, this.clientNs, this.serverNs]) this.addNamespace(ns);

    this.exec(this.bridgeNs, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    this.exec(this.bridgeNs, 'ip', ['link', 'set', 'br0', 'up']);
    this.link(this.clientNs, CLIENT_IFACE, 'pc');
    this.link(this.serverNs, SERVER_IFACE, 'ps');

    this.exec(this.clientNs, 'ip', ['addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', CLIENT_IFACE]);
    this.exec(this.serverNs, 'ip', ['addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', SERVER_IFACE]);
  }

  /**
   * Add the second server namespace for HA pairs and make one relay-mode generator reach both
   * servers. Both servers get SHARED_ADDRESS/32 next to their own address, which stays the
   * primary one and carries the peer link. In the client namespace SHARED_ADDRESS maps to the
   * broadcast MAC through a permanent neighbour entry, so the bridge floods each packet to both
   * servers, as a relay configured with both peers would send it twice. arp_ignore=1 keeps a
   * server from replying to ARP for addresses that are not on the receiving interface, and
   * arp_announce=2 makes its own ARP requests carry its own address, not the shared one.
   */
  addPairServer() {
    if (this.hasPair) return;
    this.addNamespace(this.server2Ns);
    this.link(this.server2Ns, SERVER2_IFACE, 'ps2');
    this.exec(this.server2Ns, 'ip', ['addr', 'add', `${SERVER2_ADDRESS}/24`, 'dev', SERVER2_IFACE]);
    for (const [ns, iface] of [[this.serverNs, SERVER_IFACE], [this.server2Ns, SERVER2_IFACE]]) {
      for (const scope of ['all', iface]) {
        this.exec(ns, 'sysctl', ['-qw', `net.ipv4.conf.${scope}.arp_ignore=1`, `net.ipv4.conf.${scope}.arp_announce=2`]);
      }
      this.exec(ns, 'ip', ['addr', 'add', `${SHARED_ADDRESS}/32`, 'dev', iface]);
    }
    this.exec(this.clientNs, 'ip', ['neigh', 'replace', SHARED_ADDRESS, 'lladdr', BROADCAST_MAC, 'dev', CLIENT_IFACE, 'nud', 'permanent']);
    this.hasPair = true;
  }

  /**
   * Reads the UDP counters of the client namespace and of each server namespace: datagrams the
   * kernel dropped because a socket's receive buffer was full (RcvbufErrors of /proc/net/snmp).
   */
  readUdpDrops() {
    const namespaces = { client: this.clientNs, server: this.serverNs, ...(this.hasPair ? { server2: this.server2Ns } : {}) };
    const drops = {};
    for (const [name, ns] of Object.entries(namespaces)) {
      const snmp = run('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']);
      const lines = snmp.split('\n').filter((line) => line.startsWith('Udp: '));
      const fields = lines[0]?.split(/\s+/) ?? [];
      const values = lines[1]?.split(/\s+/) ?? [];
      const value = Number(values[fields.indexOf('RcvbufErrors')]);
      drops[name] = Number.isFinite(value) ? value : 0;
    }
    return drops;
  }

  addNamespace(ns) {
    run('ip', ['netns', 'add', ns]);
    this.created.push(ns);
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    // An empty resolv.conf keeps `ip netns exec` from exposing the host's resolver settings.
    writeFileSync(`/etc/netns/${ns}/resolv.conf`, '');
    this.exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
  }

  /** Create a veth pair from `ns` (interface `ifname`) to a port of br0 named `<port>` in the bridge namespace. */
  link(ns, ifname, port) {
    const tmpA = `nbt${process.pid % 100000}a`;
    const tmpB = `nbt${process.pid % 100000}b`;
    run('ip', ['link', 'add', tmpA, 'netns', ns, 'type', 'veth', 'peer', 'name', tmpB, 'netns', this.bridgeNs]);
    this.exec(ns, 'ip', ['link', 'set', tmpA, 'name', ifname]);
    this.exec(this.bridgeNs, 'ip', ['link', 'set', tmpB, 'name', port]);
    this.exec(this.bridgeNs, 'ip', ['link', 'set', port, 'master', 'br0']);
    this.exec(this.bridgeNs, 'ip', ['link', 'set', port, 'up']);
    this.exec(ns, 'ip', ['link', 'set', ifname, 'up']);
  }

  /** Run a command inside a namespace and return its stdout. */
  exec(ns, cmd, args, timeoutMs = 60_000) {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], { timeoutMs });
  }

  /**
   * Start a tracked process inside a namespace. `ip netns exec` replaces itself with the command,
   * so the returned pid is the command's own pid (its /proc/PID/stat is the server's).
   */
  spawn(ns, cmd, args, opts) {
    return startProcess('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Delete every namespace this lab created (which removes its links and bridge) and their /etc/netns folders. */
  destroy() {
    for (const ns of this.created.reverse()) {
      succeeds('ip', ['netns', 'del', ns]);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    this.created = [];
    this.hasPair = false;
  }
}

/**
 * Remove namespaces left by an earlier benchmark run that was killed before its teardown (its pid
 * no longer exists). Returns the names removed.
 */
export function removeStaleLabs() {
  const removed = [];
  const list = run('ip', ['netns', 'list']);
  for (const line of list.split('\n')) {
    const match = /^(nbench(\d+)-(cli|srv2|srv|br))\b/.exec(line.trim());
    if (match === null) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    succeeds('ip', ['netns', 'del', match[1]]);
    rmSync(`/etc/netns/${match[1]}`, { recursive: true, force: true });
    removed.push(match[1]);
  }
  return removed;
}
