// A bridged lab for directly attached clients. A bridge namespace contains br0. The server
// namespace's eth0 (198.18.0.1/24) and each client namespace's eth0 (no address) are ports of it.
// An optional relay namespace runs ISC dhcrelay between the bridge and a relayed client.
//
//   client ns (eth0) ─┐
//   client ns (eth0) ─┼─ bridge ns (br0) ─ server ns (eth0 198.18.0.1)
//   relay ns (eth0 198.18.0.2, dhcrelay | eth1 198.18.1.1) ─ relayed client ns (eth0)
//
// Everything lives in namespaces with the lab's prefix; destroy() removes them and ends every
// process the lab started, by pid.

import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

import { Lab, requireProgram } from './lab.js';
import type { LabProcess } from './lab.js';
import { SEND_FRAMES_PY, parseDhcpFrame, readPcap, writeFrameFile } from './frames.js';
import type { DhcpFrame } from './frames.js';

/**
 * The dhcp-socket-type the direct tests configure, 'raw' unless NESTOR_DIRECT_SOCKET_TYPE is
 * 'udp'. The frame checks depend on it: only raw sockets can unicast to a client without an address.
 */
export const SOCKET_TYPE: 'raw' | 'udp' = process.env.NESTOR_DIRECT_SOCKET_TYPE === 'udp' ? 'udp' : 'raw';

export const SERVER_IP = '198.18.0.1';
export const SERVER_MAC = '02:00:00:00:01:01';
export const RELAY_IP = '198.18.0.2';
export const RELAY_CLIENT_SIDE_IP = '198.18.1.1';
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const BROADCAST_IP = '255.255.255.255';

/** The relay namespace and the namespace of the client behind it. */
export interface RelayedSegment {
  relayNs: string;
  clientNs: string;
  relay: LabProcess;
}

export class DirectLab {
  readonly lab: Lab;
  readonly bridgeNs: string;
  readonly serverNs: string;
  private portCount = 0;
  private readonly trees: LabProcess[] = [];
  private sendCount = 0;
  private readonly ports = new Map<string, string>();

  constructor(tag: string) {
    this.lab = new Lab(tag);
    this.bridgeNs = this.lab.addNamespace('br');
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'set', 'br0', 'up']);
    // With br_netfilter loaded, the bridge checks IPv4 headers of the frames it forwards and drops
    // broken ones, so the fuzz frames would never reach the server. The setting is per namespace.
    if (existsSync('/proc/sys/net/bridge')) {
      this.lab.exec(this.bridgeNs, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-arptables=0']);
    }

    this.serverNs = this.lab.addNamespace('srv');
    this.attach(this.serverNs, SERVER_MAC);
    this.lab.address(this.serverNs, 'eth0', `${SERVER_IP}/24`);
  }

  /** Creates a client namespace whose eth0 (with the given MAC, no address) is a bridge port. */
  addClient(name: string, mac: string): string {
    const ns = this.lab.addNamespace(name);
    this.attach(ns, mac);
    return ns;
  }

  /**
   * Adds a relay namespace on the bridge (eth0 198.18.0.2/24) running dhcrelay toward the server,
   * with a second link (eth1 198.18.1.1/24) to a client namespace of its own.
   */
  async addRelay(clientMac: string): Promise<RelayedSegment> {
    const relayNs = this.lab.addNamespace('rly');
    this.attach(relayNs, '02:00:00:00:02:01');
    this.lab.address(relayNs, 'eth0', `${RELAY_IP}/24`);
    const clientNs = this.lab.addNamespace('rcl');
    this.lab.link(relayNs, 'eth1', clientNs, 'eth0');
    this.lab.exec(clientNs, 'ip', ['link', 'set', 'eth0', 'address', clientMac]);
    this.lab.address(relayNs, 'eth1', `${RELAY_CLIENT_SIDE_IP}/24`);
    this.lab.exec(relayNs, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    this.lab.route(this.serverNs, '198.18.1.0/24', RELAY_IP);

    const relay = this.lab.spawn(relayNs, '/usr/sbin/dhcrelay', ['-4', '-d', '--no-pid', '-id', 'eth1', '-iu', 'eth0', SERVER_IP]);
    await new Promise((r) => setTimeout(r, 500));
    return { relayNs, clientNs, relay };
  }

  /** Starts tcpdump on eth0 of ns, writing DHCP traffic into a pcap file in the lab folder. */
  async startCapture(ns: string, name: string, filter = 'udp port 67 or udp port 68'): Promise<Capture> {
    const file = this.lab.path(`${name}.pcap`);
    const tcpdump = this.lab.spawn(ns, '/usr/bin/tcpdump', ['-i', 'eth0', '--immediate-mode', '-U', '-n', '-Z', 'root', '-s', '2048', '-w', file, filter]);
    await tcpdump.waitFor(/listening on/, 10_000);
    return new Capture(tcpdump, file);
  }

  /**
   * Sends frames from eth0 of ns through an AF_PACKET socket (Debian's python3), gapSeconds apart, and
   * returns how many the kernel took and how many sends failed.
   */
  sendFrames(ns: string, frames: readonly Uint8Array[], gapSeconds = 0, timeoutMs = 30_000): { sent: number; failed: number } {
    requireProgram('/usr/bin/python3', 'python3-minimal');
    this.sendCount++;
    const script = this.lab.path('send-frames.py');
    const file = this.lab.path(`frames-${this.sendCount}.bin`);
    writeFileSync(script, SEND_FRAMES_PY);
    writeFrameFile(file, frames);
    const output = this.lab.exec(ns, '/usr/bin/python3', [script, 'eth0', file, String(gapSeconds)], timeoutMs);
    const m = output.match(/sent (\d+) failed (\d+)/);
    if (m === null) throw new Error(`send-frames.py printed no summary: ${output}`);
    return { sent: Number(m[1]), failed: Number(m[2]) };
  }

  /**
   * Sends one frame from eth0 of ns and returns the server's reply with the same xid, captured in
   * ns, or undefined when none came within timeoutMs.
   */
  async exchange(ns: string, frame: Uint8Array, xid: number, timeoutMs = 1500): Promise<DhcpFrame | undefined> {
    const capture = await this.startCapture(ns, `xid-${xid.toString(16)}`);
    try {
      const { sent } = this.sendFrames(ns, [frame]);
      if (sent !== 1) throw new Error(`the frame for xid ${xid} could not be sent`);
      return await capture.waitFor((f) => f.op === 2 && f.xid === xid, timeoutMs).catch(() => undefined);
    } finally {
      await capture.stop();
    }
  }

  /** Returns the name of the bridge port (in the bridge namespace) that leads to ns. */
  portOf(ns: string): string {
    const port = this.ports.get(ns);
    if (port === undefined) throw new Error(`namespace '${ns}' has no port on the bridge`);
    return port;
  }

  path(name: string): string {
    return this.lab.path(name);
  }

  /**
   * Registers a daemon that forks helpers (dhcpcd's privilege-separation processes), so destroy()
   * ends the whole tree: SIGTERM to the daemon, then SIGKILL to any of its descendants left.
   */
  trackTree(daemon: LabProcess): void {
    this.trees.push(daemon);
  }

  /** Ends the tracked process trees, then every process the lab started, and removes the namespaces. */
  async destroy(): Promise<void> {
    for (const daemon of this.trees) await endTree(daemon);
    await this.lab.destroy();
  }

  private attach(ns: string, mac: string): void {
    this.portCount++;
    const port = `p${this.portCount}`;
    this.lab.link(ns, 'eth0', this.bridgeNs, port);
    this.ports.set(ns, port);
    this.lab.exec(ns, 'ip', ['link', 'set', 'eth0', 'address', mac]);
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'set', port, 'master', 'br0']);
  }
}

/** Returns the pids of all descendants of pid, read from /proc/PID/stat. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch { /* the process ended meanwhile */ }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

async function endTree(daemon: LabProcess): Promise<void> {
  const pid = daemon.child.pid;
  if (pid === undefined || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  const tree = descendants(pid);
  daemon.kill('SIGTERM');
  await Promise.race([daemon.exited, new Promise((r) => setTimeout(r, 3000))]);
  for (const child of [pid, ...tree]) {
    try { process.kill(child, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** A running tcpdump; stop() ends it (SIGINT, by pid) and returns the DHCP frames it wrote. */
export class Capture {
  constructor(private readonly tcpdump: LabProcess, readonly file: string) {}

  /** Counts the frames (of any kind) written so far. */
  frameCount(): number {
    return readPcap(this.file).length;
  }

  /** Parses the DHCP frames written so far (tcpdump -U writes each packet as it arrives). */
  frames(): DhcpFrame[] {
    const frames: DhcpFrame[] = [];
    for (const bytes of readPcap(this.file)) {
      const frame = parseDhcpFrame(bytes);
      if (frame !== undefined) frames.push(frame);
    }
    return frames;
  }

  /** Waits until a captured frame matches; fails after timeoutMs with the frames seen. */
  async waitFor(match: (frame: DhcpFrame) => boolean, timeoutMs: number): Promise<DhcpFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames().find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for a frame in ${this.file}; frames:\n${JSON.stringify(this.frames())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<DhcpFrame[]> {
    // Give frames sent just now the time to reach the capture before it ends.
    await new Promise((r) => setTimeout(r, 300));
    this.tcpdump.kill('SIGINT');
    await this.tcpdump.exited;
    return this.frames();
  }

  /** The end of tcpdump's output, with its packet counts once it stopped. */
  get output(): string {
    return this.tcpdump.output.slice(-2000);
  }
}

/**
 * Writes a client script for dhclient, dhcpcd (both pass $reason and new_*) and udhcpc (event in
 * $1, ip/subnet/router). It appends "EVENT ADDRESS" to the log. With applyAddress it also sets the
 * address inside the client namespace; dhcpcd sets it itself, so its script only logs.
 */
export function writeClientScript(lab: DirectLab, name: string, log: string, applyAddress: boolean): string {
  const path = lab.path(name);
  const apply = applyAddress ? `
case "$event" in
  BOUND|RENEW|REBIND|REBOOT|bound|renew)
    ip addr flush dev "$interface" 2>/dev/null
    ip addr add "$addr/$mask" dev "$interface" ;;
  RELEASE|EXPIRE|STOP|deconfig)
    ip addr flush dev "$interface" 2>/dev/null ;;
esac` : '';
  writeFileSync(path, `#!/bin/sh
event="\${reason:-$1}"
addr="\${new_ip_address:-$ip}"
mask="\${new_subnet_mask:-$subnet}"
echo "$event $addr" >> ${log}${apply}
exit 0
`);
  chmodSync(path, 0o755);
  return path;
}

/** Waits until a line of file matches re; fails after timeoutMs with the file's text. */
export async function waitForLine(file: string, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { /* not written yet */ }
    const m = text.match(re);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} in ${file}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until at least count lines of file match re (a regular expression with the m flag). */
export async function waitForLines(file: string, re: RegExp, count: number, timeoutMs: number): Promise<void> {
  const global = new RegExp(re.source, 'gm');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { /* not written yet */ }
    if ((text.match(global)?.length ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} lines matching ${re} in ${file}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Counts the lines of file that match re. */
export function countLines(file: string, re: RegExp): number {
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { /* not written yet */ }
  return text.match(new RegExp(re.source, 'gm'))?.length ?? 0;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
