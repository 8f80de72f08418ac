// Helpers for the failure drills of a nestor HA pair. Background DHCP clients keep arriving while a
// peer is killed or cut off. DHCPACKs are read from a capture with their capture time and compared
// lease by lease with each database. A lease database can be filled up to its map size limit
// before the server starts.

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

import { openLeaseStore } from '../../../src/leases/lmdb-store.js';
import type { Lease4 } from '../../../src/leases/types.js';
import { DHCPACK, parseDhcpFrame } from './frames.js';
import { RAW_DHCP_CLIENT_PY } from './ha-lab.js';
import type { HaLab, ServerProcess } from './ha-lab.js';
import type { LeaseListing } from './ha-nestor.js';
import { NESTOR_BIN } from './nestor.js';
import type { LeaseJson } from './nestor.js';

/** One DHCPACK seen in a capture, with the capture time in Unix milliseconds. */
export interface TimedAck {
  chaddr: string;
  address: string;
  serverId: string;
  timeMs: number;
}

/** Outcome of one background client; address is '' when no ACK came before the run ended. */
export interface DrillClientResult {
  mac: string;
  address: string;
  serverId: string;
  /** DISCOVERs sent again after a REQUEST went unanswered three times or was NAKed. */
  restarts: number;
}

export interface DrillClientOptions {
  /** Index of the first client; client n has MAC 02:44 followed by n in 4 bytes. */
  firstClient: number;
  count: number;
  ratePerSecond: number;
  /** The run ends after this time, served or not. */
  timeoutMs: number;
}

/** A client run in the background; done resolves with one result per client when the run ends. */
export interface DrillClients {
  process: ServerProcess;
  done: Promise<DrillClientResult[]>;
}

/**
 * Starts count direct clients in the client namespace, in the background. ratePerSecond of them
 * begin a DISCOVER-OFFER-REQUEST-ACK per second, and each retransmits every second. A client whose
 * REQUEST stays unanswered three times (its server died) or is NAKed starts over with a DISCOVER.
 * The output goes to NAME.stdout in the lab folder.
 */
export function startDrillClients(ha: HaLab, name: string, opts: DrillClientOptions): DrillClients {
  const script = ha.path('drill-clients.py');
  writeScript(script);
  const args = [script, 'eth0', String(opts.count), String(opts.firstClient), String(opts.timeoutMs / 1000), String(opts.ratePerSecond)];
  const process = ha.start(ha.clientNs, '/usr/bin/python3', args, { name });
  const done = process.exited.then(({ code }) => {
    const text = readFileSync(process.stdoutPath, 'utf8');
    if (code !== 0) throw new Error(`drill clients ${name} exited with ${code}: ${process.output().slice(-2000)}`);
    return JSON.parse(text) as DrillClientResult[];
  });
  return { process, done };
}

/** Reads every DHCPACK of a classic little-endian pcap file written by tcpdump, with its capture time. */
export function readTimedAcks(pcapFile: string): TimedAck[] {
  let file: Buffer;
  try { file = readFileSync(pcapFile); } catch { return []; }
  const acks: TimedAck[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const seconds = file.readUInt32LE(at);
    const micros = file.readUInt32LE(at + 4);
    const captured = file.readUInt32LE(at + 8);
    const bytes = new Uint8Array(file.subarray(at + 16, at + 16 + captured));
    at += 16 + captured;
    const frame = parseDhcpFrame(bytes);
    if (frame === undefined || frame.op !== 2 || frame.messageType !== DHCPACK) continue;
    acks.push({ chaddr: frame.chaddr, address: frame.yiaddr, serverId: serverIdOf(bytes), timeMs: seconds * 1000 + Math.floor(micros / 1000) });
  }
  return acks;
}

/**
 * Lists the leases of the database that configPath names, like leaseListing, but for databases
 * whose JSON listing exceeds the 1 MiB output buffer of Lab.exec (a full database holds about
 * 11,000 leases per MiB).
 */
export function largeLeaseListing(ns: string, configPath: string): LeaseListing {
  const text = execFileSync('ip', ['netns', 'exec', ns, process.execPath, NESTOR_BIN, 'leases', 'list', '-c', configPath, '--json'],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const macByAddress = new Map<string, string>();
  const repeatedAddresses: string[] = [];
  for (const lease of JSON.parse(text) as LeaseJson[]) {
    if (macByAddress.has(lease['ip-address'])) repeatedAddresses.push(lease['ip-address']);
    macByAddress.set(lease['ip-address'], lease['hw-address'].toLowerCase());
  }
  return { macByAddress, repeatedAddresses };
}

/** Returns 'address mac' for every ACK whose lease (same address, same MAC) the listing lacks. */
export function acksMissingFrom(listing: LeaseListing, acks: readonly TimedAck[]): string[] {
  const missing = new Set<string>();
  for (const ack of acks) {
    if (listing.macByAddress.get(ack.address) !== ack.chaddr.toLowerCase()) missing.add(`${ack.address} ${ack.chaddr}`);
  }
  return [...missing];
}

/** Returns 'address mac1 mac2' for every address that the two listings give to different MACs. */
export function conflictingAddresses(a: LeaseListing, b: LeaseListing): string[] {
  const conflicts: string[] = [];
  for (const [address, mac] of a.macByAddress) {
    const other = b.macByAddress.get(address);
    if (other !== undefined && other !== mac) conflicts.push(`${address} ${mac} ${other}`);
  }
  return conflicts;
}

/** Counts the addresses of listing a that listing b lacks. */
export function countOnlyIn(a: LeaseListing, b: LeaseListing): number {
  let count = 0;
  for (const address of a.macByAddress.keys()) if (!b.macByAddress.has(address)) count++;
  return count;
}

/** One HA_STATE_TRANSITION line of a server's output, with its log time in Unix milliseconds. */
export interface TimedTransition {
  timeMs: number;
  from: string;
  to: string;
}

/** Returns the HA_STATE_TRANSITION lines of text (server output) in order. */
export function timedTransitions(text: string): TimedTransition[] {
  const transitions: TimedTransition[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msgId":"HA_STATE_TRANSITION"')) continue;
    try {
      const entry = JSON.parse(line) as { time?: string | number; from?: string; to?: string };
      transitions.push({ timeMs: typeof entry.time === 'number' ? entry.time : Date.parse(entry.time ?? ''), from: entry.from ?? '', to: entry.to ?? '' });
    } catch {
      // A line cut off by SIGKILL is not JSON.
    }
  }
  return transitions;
}

/**
 * Cuts only the link between the two servers: each server namespace gets a blackhole route to the
 * other's address, so the HA requests fail. Both servers still receive every client broadcast, and
 * their replies leave through raw sockets, which bypass the routing table.
 */
export function cutPeerLink(ha: HaLab): void {
  ha.lab.exec(ha.servers.srv1.ns, 'ip', ['route', 'add', 'blackhole', `${ha.servers.srv2.address}/32`]);
  ha.lab.exec(ha.servers.srv2.ns, 'ip', ['route', 'add', 'blackhole', `${ha.servers.srv1.address}/32`]);
}

/** Removes the routes that cutPeerLink added. */
export function restorePeerLink(ha: HaLab): void {
  ha.lab.exec(ha.servers.srv1.ns, 'ip', ['route', 'del', 'blackhole', `${ha.servers.srv2.address}/32`]);
  ha.lab.exec(ha.servers.srv2.ns, 'ip', ['route', 'del', 'blackhole', `${ha.servers.srv1.address}/32`]);
}

/** Deletes an LMDB lease database file and its lock file. */
export function removeLeaseDatabase(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}-lock`, { force: true });
}

/**
 * Fills the LMDB lease database at path with leases of subnet 1 from firstAddress on until a write
 * fails because the map size limit is reached. Then it removes the last `room` leases again, so the
 * server that opens it can store some new leases before it is full (about 50 for a room of 200 in
 * a 1 MiB map, measured). Returns the number of leases left in the database.
 */
export async function fillLeaseDatabase(path: string, mapSizeBytes: number, firstAddress: number, room: number): Promise<number> {
  const store = openLeaseStore({ path, mapSizeBytes });
  try {
    let count = 0;
    for (const batch of [50, 1]) {
      for (;;) {
        try {
          store.transact((tx) => {
            for (let i = 0; i < batch; i++) tx.put(fillerLease(firstAddress, count + i));
          });
        } catch (error) {
          if ((error as { code?: string }).code !== 'NESTOR_ERR_LEASES_WRITE') throw error;
          break;
        }
        count += batch;
      }
    }
    store.transact((tx) => {
      for (let i = 1; i <= room; i++) tx.remove((firstAddress + count - i) >>> 0);
    });
    return store.count();
  } finally {
    await store.close();
  }
}

function fillerLease(firstAddress: number, n: number): Lease4 {
  return {
    address: (firstAddress + n) >>> 0,
    hwAddress: Uint8Array.from([2, 0x46, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]),
    htype: 1,
    clientId: undefined,
    subnetId: 1,
    validLifetime: 3600,
    cltt: Math.floor(Date.now() / 1000),
    state: 0,
    hostname: '',
    fqdnFwd: false,
    fqdnRev: false,
  };
}

/** Returns the lines of text (server output) that carry one of the message ids, for failure messages. */
export function linesWith(text: string, ids: readonly string[], max = 20): string {
  return text.split('\n').filter((line) => ids.some((id) => line.includes(`"msgId":"${id}"`))).slice(-max).join('\n');
}

function serverIdOf(frame: Uint8Array): string {
  const dhcp = 14 + (frame[14]! & 0x0f) * 4 + 8;
  for (let at = dhcp + 240; at < frame.length; ) {
    const code = frame[at]!;
    if (code === 255) return '';
    if (code === 0) { at++; continue; }
    const length = frame[at + 1] ?? 0;
    if (code === 54 && length === 4) return Array.from(frame.subarray(at + 2, at + 6)).join('.');
    at += 2 + length;
  }
  return '';
}

const DRILL_CLIENTS_PY = `${RAW_DHCP_CLIENT_PY}
def send(c, kind, now):
    if kind != c['kind']:
        c['tries'] = 0
    c['kind'] = kind
    c['sent'] = now
    c['tries'] += 1
    s.send(frame(c['mac'], message(c, kind)))

def restart(c, now):
    # A REQUEST nobody answers (its server died) or a NAK: start over with a new transaction.
    del by_xid[c['xid']]
    c['xid'] = random.getrandbits(32)
    by_xid[c['xid']] = c
    c['restarts'] += 1
    c['kind'] = 0
    send(c, 1, now)

clients = []
for i in range(count):
    n = first + i
    mac = bytes([2, 0x44, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
    clients.append({'mac': mac, 'xid': random.getrandbits(32), 'kind': 0, 'sent': 0.0, 'tries': 0, 'restarts': 0,
                    'done': False, 'address': '', 'serverId': ''})
by_xid = {c['xid']: c for c in clients}
began = time.time()
deadline = began + timeout
started = 0
while time.time() < deadline and not (started == count and all(c['done'] for c in clients)):
    now = time.time()
    while started < count and started <= (now - began) * rate:
        send(clients[started], 1, now)
        started += 1
    for c in clients[:started]:
        if not c['done'] and now - c['sent'] >= 1.0:
            if c['kind'] == 3 and c['tries'] >= 3:
                restart(c, now)
            else:
                send(c, c['kind'], now)
    ready, _, _ = select.select([s], [], [], 0.02)
    while ready:
        data = s.recv(4096)
        ready, _, _ = select.select([s], [], [], 0)
        if len(data) < 14 + 20 + 8 + 240 or data[12:14] != b'\\x08\\x00' or data[23] != 17:
            continue
        udp = 14 + (data[14] & 0x0f) * 4
        if struct.unpack_from('!H', data, udp + 2)[0] != 68:
            continue
        dhcp = data[udp + 8:]
        if dhcp[0] != 2:
            continue
        c = by_xid.get(struct.unpack_from('!I', dhcp, 4)[0])
        if c is None or c['done'] or dhcp[28:34] != c['mac']:
            continue
        opts = options_of(dhcp)
        kind = opts.get(53, b'\\0')[0]
        server = opts.get(54, b'')
        if kind == 2 and c['kind'] == 1 and len(server) == 4:
            c['offered'] = dhcp[16:20]
            c['server'] = server
            send(c, 3, time.time())
        elif kind == 5 and c['kind'] == 3:
            c['done'] = True
            c['address'] = ip_text(dhcp[16:20])
            c['serverId'] = ip_text(server)
        elif kind == 6 and c['kind'] == 3:
            restart(c, time.time())
print(json.dumps([{'mac': ':'.join('%02x' % b for b in c['mac']), 'address': c['address'], 'serverId': c['serverId'],
                   'restarts': c['restarts']} for c in clients]))
`;

function writeScript(path: string): void {
  writeFileSync(path, DRILL_CLIENTS_PY);
}
