// A lab for High Availability tests: two server namespaces and a client namespace on one bridge.
// Servers can start in private mount namespaces, so configurations with fixed host paths run
// unchanged, twice at once. The file also has Kea 2.2 peers, HA configuration builders, a Kea
// command client over HTTP, and a raw-socket client that makes many direct clients do a DORA.
//
//   srv1 (eth0 198.18.0.3/16) ─┐
//   srv2 (eth0 198.18.0.2/16) ─┼─ br (br0)
//   cli  (eth0, no address)   ─┘
//
// Every namespace carries the lab's prefix; destroy() ends the processes the lab started, by pid,
// and removes the namespaces and the lab folder. Nothing is mounted or written on the host outside
// the lab folder: mounts happen inside `ip netns exec` + `unshare --mount` and vanish with the process.

import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';

import { Lab, requireProgram } from './lab.js';
import type { LabProcess } from './lab.js';
import { Capture } from './direct-lab.js';
import { DHCPACK, parseDhcpFrame, readPcap } from './frames.js';
import { NESTOR_BIN } from './nestor.js';

const execFileAsync = promisify(execFile);
/** The repository the tests run from: nestor's code must stay visible inside private mounts. */
const REPO_DIR = dirname(dirname(NESTOR_BIN));

export const KEA_DHCP4 = '/usr/sbin/kea-dhcp4';
export const KEA_HOOKS_DIR = '/usr/lib/x86_64-linux-gnu/kea/hooks';
export const HA_PORT = 8001;

/** Default addresses: 198.18.0.3 and 198.18.0.2 are the peers kea_1 and kea_2 of the fixture configurations. */
export const DEFAULT_SERVER_ADDRESSES = { srv1: '198.18.0.3/16', srv2: '198.18.0.2/16' } as const;

export type ServerName = 'srv1' | 'srv2';

export interface HaLabOptions {
  /** Short tag in namespace and folder names. */
  tag?: string;
  /** CIDR of eth0 in each server namespace, inside 198.18.0.0/15. */
  addresses?: Partial<Record<ServerName, string>>;
}

/** A server namespace: its name, its eth0 address and the bridge port that leads to it. */
export interface ServerSide {
  ns: string;
  /** eth0 address without the prefix length. */
  address: string;
  cidr: string;
  /** Port name in the bridge namespace. */
  port: string;
  mac: string;
}

/**
 * One mount inside a private mount namespace, applied in list order. 'bind' puts a host file or
 * folder (normally inside the lab folder) on target; 'tmpfs' puts an empty tmpfs on target and
 * creates the listed subfolders in it.
 */
export type PrivateMount =
  | { type: 'bind'; target: string; source: string }
  | { type: 'tmpfs'; target: string; dirs?: readonly string[] };

export interface RunOptions {
  /** Base name of the output files (NAME.stdout, NAME.stderr) in the lab folder. */
  name: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export class HaLab {
  readonly lab: Lab;
  readonly bridgeNs: string;
  readonly clientNs: string;
  readonly servers: Record<ServerName, ServerSide>;
  private readonly processes: ServerProcess[] = [];

  constructor(options: HaLabOptions = {}) {
    requireProgram('/usr/bin/unshare', 'util-linux');
    this.lab = new Lab(options.tag ?? 'ha');
    this.bridgeNs = this.lab.addNamespace('br');
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'set', 'br0', 'up']);
    if (existsSync('/proc/sys/net/bridge')) {
      this.lab.exec(this.bridgeNs, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-arptables=0']);
    }

    const srv1 = this.attach('srv1', 'p1', '02:00:00:00:01:03', options.addresses?.srv1 ?? DEFAULT_SERVER_ADDRESSES.srv1);
    const srv2 = this.attach('srv2', 'p2', '02:00:00:00:01:02', options.addresses?.srv2 ?? DEFAULT_SERVER_ADDRESSES.srv2);
    this.servers = { srv1, srv2 };
    this.clientNs = this.attach('cli', 'p3', '02:00:00:00:0c:01', undefined).ns;
  }

  /** Returns the HTTP URL a peer uses to reach server name (port HA_PORT unless given). */
  url(name: ServerName, port = HA_PORT): string {
    return `http://${this.servers[name].address}:${port}/`;
  }

  path(name: string): string {
    return this.lab.path(name);
  }

  /** Gives eth0 of the client namespace an address, for tests that need one (unicast, control commands). */
  addClientAddress(cidr: string): void {
    this.lab.address(this.clientNs, 'eth0', cidr);
  }

  /** Cuts server name off the segment: its bridge port goes down, its eth0 and address stay. */
  cutServer(name: ServerName): void {
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'set', this.servers[name].port, 'down']);
  }

  /** Puts the bridge port of server name back up. */
  restoreServer(name: ServerName): void {
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'set', this.servers[name].port, 'up']);
  }

  /**
   * Starts argv inside namespace ns in a mount namespace of its own (`unshare --mount --propagation
   * private`) with mounts applied first, then exec. The handle's pid is argv's process. Targets that
   * do not exist on the host must lie under an earlier mount target, so nothing is created on the
   * host outside the lab folder. Binding over a folder that contains the lab folder (such as /tmp)
   * keeps the lab folder visible at its usual path.
   */
  runWithPrivateMounts(ns: string, mounts: readonly PrivateMount[], argv: readonly string[], opts: RunOptions): ServerProcess {
    checkProgramOutsideMounts(argv[0]!, mounts);
    const script = [
      'set -e',
      ...mounts.flatMap((mount, i) => mountCommands(mount, mounts.slice(0, i), this.lab.dir)),
      'exec "$@"',
    ].join('\n');
    writeFileSync(this.path(`${opts.name}.mounts.sh`), `${script}\n`);
    return this.start(ns, '/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script, 'sh', ...argv], opts);
  }

  /** Starts argv inside ns without private mounts, output to NAME.stdout and NAME.stderr. */
  start(ns: string, cmd: string, args: readonly string[], opts: RunOptions): ServerProcess {
    const stdoutPath = this.path(`${opts.name}.stdout`);
    const stderrPath = this.path(`${opts.name}.stderr`);
    const out = openSync(stdoutPath, 'a');
    const err = openSync(stderrPath, 'a');
    try {
      const child = this.lab.spawn(ns, cmd, [...args], { stdio: ['ignore', out, err], env: { ...process.env, ...opts.env } });
      const handle = new ServerProcess(opts.name, child, stdoutPath, stderrPath);
      this.processes.push(handle);
      return handle;
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  /**
   * Writes config to NAME.json in the lab folder and starts Debian's kea-dhcp4 with it in ns, with
   * KEA_PIDFILE_DIR and KEA_LOCKFILE_DIR in the lab folder (Kea 2.2 exits at start without them
   * unless /run/kea exists). With mounts, Kea runs under runWithPrivateMounts.
   */
  startKea(ns: string, config: object, opts: RunOptions & { mounts?: readonly PrivateMount[] }): ServerProcess {
    requireProgram(KEA_DHCP4, 'kea-dhcp4-server');
    const configPath = this.path(`${opts.name}.json`);
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    return this.startKeaFile(ns, configPath, opts);
  }

  /** Starts kea-dhcp4 with a configuration file as it is (a fixture), otherwise like startKea. */
  startKeaFile(ns: string, configPath: string, opts: RunOptions & { mounts?: readonly PrivateMount[] }): ServerProcess {
    const runDir = this.path(`${opts.name}-run`);
    mkdirSync(runDir, { recursive: true });
    const env = { KEA_PIDFILE_DIR: runDir, KEA_LOCKFILE_DIR: runDir, ...opts.env };
    const argv = [KEA_DHCP4, '-c', configPath];
    if (opts.mounts !== undefined) return this.runWithPrivateMounts(ns, opts.mounts, argv, { ...opts, env });
    return this.start(ns, argv[0]!, argv.slice(1), { ...opts, env });
  }

  /**
   * Writes config to NAME.json and starts `nestor serve -c FILE` in ns (through
   * runWithPrivateMounts when mounts are given); waits until it logs SERVER_STARTED.
   */
  async startNestor(ns: string, config: object, opts: RunOptions & { mounts?: readonly PrivateMount[] }): Promise<ServerProcess> {
    const configPath = this.path(`${opts.name}.json`);
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const argv = [process.execPath, NESTOR_BIN, 'serve', '-c', configPath];
    const server = opts.mounts !== undefined
      ? this.runWithPrivateMounts(ns, opts.mounts, argv, opts)
      : this.start(ns, argv[0]!, argv.slice(1), opts);
    await server.waitForOutput(/"msgId":"SERVER_STARTED"/, 20_000);
    return server;
  }

  /**
   * Returns the mounts under which the fixture configurations run unchanged. A tmpfs goes on
   * /usr/local, which hides nothing node (/usr/bin/node) or Kea (/usr/sbin, /usr/lib) needs.
   * In it, /usr/local/etc/kea (lease file) and /usr/local/var/log (log) are bound to folders in
   * the lab folder, and Debian's hook libraries are bound on /usr/local/lib/hooks. /tmp (control
   * socket) is replaced by a lab folder. Everything the server writes ends up under NAME/.
   */
  fixtureMounts(name: string): { mounts: PrivateMount[]; leaseFile: string; logFile: string; controlSocket: string } {
    const base = this.path(name);
    for (const dir of ['etc-kea', 'var-log', 'tmp']) mkdirSync(join(base, dir), { recursive: true });
    const mounts: PrivateMount[] = [
      { type: 'tmpfs', target: '/usr/local', dirs: ['etc/kea', 'var/log', 'lib/hooks'] },
      { type: 'bind', target: '/usr/local/etc/kea', source: join(base, 'etc-kea') },
      { type: 'bind', target: '/usr/local/var/log', source: join(base, 'var-log') },
      { type: 'bind', target: '/usr/local/lib/hooks/libdhcp_lease_cmds.so', source: join(KEA_HOOKS_DIR, 'libdhcp_lease_cmds.so') },
      { type: 'bind', target: '/usr/local/lib/hooks/libdhcp_ha.so', source: join(KEA_HOOKS_DIR, 'libdhcp_ha.so') },
      { type: 'bind', target: '/tmp', source: join(base, 'tmp') },
    ];
    return {
      mounts,
      leaseFile: join(base, 'etc-kea', 'kea-leases4.csv'),
      logFile: join(base, 'var-log', 'kea-dhcp4.log'),
      controlSocket: join(base, 'tmp', 'kea-dhcp4-ctrl.sock'),
    };
  }

  /**
   * Starts a stand-in for kea-ctrl-agent (not installed here) in ns: an HTTP listener on
   * host:port that passes each command, without its "service" list, to a Kea UNIX control
   * socket and returns the response wrapped in a list, as kea-ctrl-agent does.
   * NOTE: it handles what HA peers send (no service routing, authentication or TLS).
   */
  startControlAgent(ns: string, host: string, port: number, socketPath: string, name: string): ServerProcess {
    const script = this.path('control-agent.mjs');
    writeFileSync(script, CONTROL_AGENT_MJS);
    return this.start(ns, process.execPath, [script, host, String(port), socketPath], { name });
  }

  /**
   * Sends one Kea command as an HTTP POST to url from inside ns (node's fetch) and returns the
   * response as a list. kea-ctrl-agent and the HA listener return lists, and a single object is
   * wrapped in one. Fails when no response comes within timeoutMs.
   */
  async controlCommand(ns: string, url: string, command: string, args?: object, timeoutMs = 5000): Promise<KeaResponse[]> {
    const body = JSON.stringify(args === undefined ? { command, service: ['dhcp4'] } : { command, service: ['dhcp4'], arguments: args });
    const { stdout } = await execFileAsync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', POST_JSON_MJS, url, body, String(timeoutMs)], { timeout: timeoutMs + 5000 });
    const parsed = JSON.parse(stdout) as KeaResponse | KeaResponse[];
    return Array.isArray(parsed) ? parsed : [parsed];
  }

  /**
   * Polls `ha-heartbeat` on server name (from its own namespace) until its state is one of states;
   * returns the state and the time it took. Fails after timeoutMs with the last response or error.
   */
  async waitForHaState(name: ServerName, states: readonly string[], timeoutMs: number, url = this.url(name)): Promise<{ state: string; ms: number }> {
    const started = Date.now();
    let last = '';
    for (;;) {
      try {
        const [response] = await this.controlCommand(this.servers[name].ns, url, 'ha-heartbeat');
        const state = (response?.arguments as { state?: string } | undefined)?.state;
        last = JSON.stringify(response);
        if (state !== undefined && states.includes(state)) return { state, ms: Date.now() - started };
      } catch (error) {
        last = String(error);
      }
      if (Date.now() - started > timeoutMs) throw new Error(`${name} did not reach ${states.join(' or ')} within ${timeoutMs} ms; last ha-heartbeat: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Starts tcpdump on eth0 of ns (the client namespace by default) writing DHCP frames to NAME.pcap. */
  async startCapture(name: string, ns = this.clientNs): Promise<Capture> {
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    const file = this.path(`${name}.pcap`);
    const tcpdump = this.lab.spawn(ns, '/usr/bin/tcpdump', ['-i', 'eth0', '--immediate-mode', '-U', '-n', '-Z', 'root', '-s', '2048', '-w', file, 'udp port 67 or udp port 68']);
    await tcpdump.waitFor(/listening on/, 10_000);
    return new Capture(tcpdump, file);
  }

  /**
   * Makes count directly attached clients each do a DISCOVER-OFFER-REQUEST-ACK from eth0 of ns,
   * through an AF_PACKET socket (Debian's python3). Client n has MAC 02:48 followed by n in 4 bytes,
   * sets the broadcast flag and sends no client identifier. ratePerSecond clients start per
   * second, and each retransmits every second until timeoutMs. Returns one result per client.
   */
  runDirectClients(ns: string, count: number, opts: DirectClientOptions = {}): DirectClientResult[] {
    requireProgram('/usr/bin/python3', 'python3-minimal');
    if (count < 1 || count > 0xffff) throw new Error(`runDirectClients: count ${count} is out of range (1 to 65535)`);
    const script = this.path('dora-clients.py');
    writeFileSync(script, DORA_CLIENTS_PY);
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const output = this.lab.exec(ns, '/usr/bin/python3', [script, 'eth0', String(count), String(opts.firstClient ?? 1),
      String(timeoutMs / 1000), String(opts.ratePerSecond ?? 50)], timeoutMs + 10_000);
    return JSON.parse(output) as DirectClientResult[];
  }

  /** Stops the processes started through this lab (SIGTERM, then SIGKILL), then removes the lab. */
  async destroy(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(2000).catch(() => undefined)));
    await this.lab.destroy();
  }

  private attach(name: string, port: string, mac: string, cidr: string | undefined): ServerSide {
    const ns = this.lab.addNamespace(name);
    this.lab.link(ns, 'eth0', this.bridgeNs, port);
    this.lab.exec(ns, 'ip', ['link', 'set', 'eth0', 'address', mac]);
    this.lab.exec(this.bridgeNs, 'ip', ['link', 'set', port, 'master', 'br0']);
    if (cidr !== undefined) this.lab.address(ns, 'eth0', cidr);
    return { ns, address: cidr?.split('/')[0] ?? '', cidr: cidr ?? '', port, mac };
  }
}

/** One Kea command response. */
export interface KeaResponse {
  result: number;
  text?: string;
  arguments?: Record<string, unknown>;
}

export interface DirectClientOptions {
  /** Index of the first client, so that runs can use distinct MACs (default 1). */
  firstClient?: number;
  /** Clients started per second (default 50). */
  ratePerSecond?: number;
  /** Time after which unserved clients give up (default 20,000 ms). */
  timeoutMs?: number;
}

/** Outcome of one client of runDirectClients; address and serverId are empty when no ACK came. */
export interface DirectClientResult {
  mac: string;
  address: string;
  /** Server identifier (option 54) of the ACK. */
  serverId: string;
  /** Source IP address of the ACK. */
  serverIp: string;
  offers: number;
  naks: number;
  /** DISCOVERs and REQUESTs sent again after a second without a reply. */
  retransmissions: number;
  /** Time from the first DISCOVER to the ACK, in milliseconds; -1 when no ACK came. */
  ms: number;
}

/** A DHCPACK seen on the wire. */
export interface AckRecord {
  xid: number;
  chaddr: string;
  address: string;
  serverId: string;
  srcIp: string;
}

/** Reads every DHCPACK of a capture file, with its server identifier (option 54). */
export function readAcks(pcapFile: string): AckRecord[] {
  const acks: AckRecord[] = [];
  for (const bytes of readPcap(pcapFile)) {
    const frame = parseDhcpFrame(bytes);
    if (frame === undefined || frame.op !== 2 || frame.messageType !== DHCPACK) continue;
    acks.push({ xid: frame.xid, chaddr: frame.chaddr, address: frame.yiaddr, serverId: serverIdOf(bytes) ?? '', srcIp: frame.srcIp });
  }
  return acks;
}

/** Returns the addresses acknowledged to more than one client (chaddr), with those clients. */
export function addressesAckedToSeveralClients(acks: readonly AckRecord[]): Map<string, string[]> {
  const clients = new Map<string, Set<string>>();
  for (const ack of acks) {
    if (!clients.has(ack.address)) clients.set(ack.address, new Set());
    clients.get(ack.address)!.add(ack.chaddr);
  }
  const shared = new Map<string, string[]>();
  for (const [address, set] of clients) if (set.size > 1) shared.set(address, [...set]);
  return shared;
}

/** Returns the leases of a Kea memfile CSV whose last line has state 0 (assigned) and a nonzero lifetime. */
export function readKeaLeaseFile(path: string): Map<string, { hwaddr: string; expire: number }> {
  const leases = new Map<string, { hwaddr: string; expire: number }>();
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { return leases; }
  for (const line of text.split('\n').slice(1)) {
    const fields = line.split(',');
    if (fields.length < 10) continue;
    const [address, hwaddr, , , expire] = fields;
    // Each change appends a line, so the last line of an address wins.
    if (fields[9] === '0' && fields[3] !== '0') leases.set(address!, { hwaddr: hwaddr!, expire: Number(expire) });
    else leases.delete(address!);
  }
  return leases;
}

/** A process started by HaLab: output in files, stop() and kill() by pid. */
export class ServerProcess {
  constructor(
    readonly name: string,
    readonly process: LabProcess,
    readonly stdoutPath: string,
    readonly stderrPath: string,
  ) {}

  get pid(): number {
    return this.process.child.pid!;
  }

  get running(): boolean {
    return this.process.child.exitCode === null && this.process.child.signalCode === null;
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.process.exited;
  }

  /** Standard output followed by standard error, as written so far. */
  output(): string {
    const read = (path: string): string => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };
    return read(this.stdoutPath) + read(this.stderrPath);
  }

  /** Waits until the output (or the file at path, such as a log) matches re; fails on timeout or exit. */
  async waitForOutput(re: RegExp, timeoutMs: number, path?: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let text = this.output();
      if (path !== undefined) { try { text = readFileSync(path, 'utf8'); } catch { text = ''; } }
      const m = text.match(re);
      if (m) return m;
      if (!this.running) throw new Error(`${this.name} exited (${this.process.child.exitCode ?? this.process.child.signalCode}) before ${re}; output:\n${this.output().slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} from ${this.name}; output:\n${this.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends SIGTERM and waits; sends SIGKILL if the process is still there after timeoutMs. */
  async stop(timeoutMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.process.kill('SIGTERM');
    const ended = await Promise.race([this.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), timeoutMs))]);
    if (!ended && this.running) this.process.kill('SIGKILL');
    return this.exited;
  }

  /** Sends SIGKILL (a crash, for failover drills) and waits for the exit. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.process.kill('SIGKILL');
    return this.exited;
  }
}

function serverIdOf(frame: Uint8Array): string | undefined {
  const ip = 14;
  const dhcp = ip + (frame[ip]! & 0x0f) * 4 + 8;
  for (let at = dhcp + 240; at < frame.length; ) {
    const code = frame[at]!;
    if (code === 255) return undefined;
    if (code === 0) { at++; continue; }
    const length = frame[at + 1] ?? 0;
    if (code === 54 && length === 4) return Array.from(frame.subarray(at + 2, at + 6)).join('.');
    at += 2 + length;
  }
  return undefined;
}

function isUnder(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Fails when the program would be hidden by a mount (such as a node under /usr/local). */
function checkProgramOutsideMounts(program: string, mounts: readonly PrivateMount[]): void {
  const real = realpathSync(program);
  for (const mount of mounts) {
    if (isUnder(real, mount.target)) throw new Error(`runWithPrivateMounts: '${real}' lies under the mount target '${mount.target}' and would be hidden`);
  }
}

/** Shell commands for one mount; earlier mounts decide whether a missing target may be created. */
function mountCommands(mount: PrivateMount, earlier: readonly PrivateMount[], labDir: string): string[] {
  const target = mount.target;
  const commands: string[] = [];
  if (!existsSync(target)) {
    if (!earlier.some((m) => isUnder(target, m.target))) {
      throw new Error(`runWithPrivateMounts: '${target}' does not exist on the host; mount a tmpfs on a folder above it first`);
    }
    const makeFile = mount.type === 'bind' && statSync(mount.source).isFile();
    commands.push(makeFile ? `mkdir -p ${quote(dirname(target))} && touch ${quote(target)}` : `mkdir -p ${quote(target)}`);
  }

  // The lab folder and the repository (a CI clone may live in /tmp) must stay visible under any mount.
  const mustStayVisible = [labDir, REPO_DIR].filter((dir) => isUnder(dir, target));
  if (mount.type === 'tmpfs') {
    if (mustStayVisible.length > 0) throw new Error(`runWithPrivateMounts: a tmpfs on '${target}' would hide '${mustStayVisible[0]}'`);
    commands.push(`mount -t tmpfs -o mode=0755 tmpfs ${quote(target)}`);
    for (const dir of mount.dirs ?? []) commands.push(`mkdir -p ${quote(join(target, dir))}`);
    return commands;
  }

  if (mustStayVisible.length > 0) {
    // The source (inside the lab folder) replaces a folder that contains the lab folder or the
    // repository, so each is bound into the source at its relative path first and carried along by --rbind.
    if (!isUnder(mount.source, labDir)) throw new Error(`runWithPrivateMounts: the source for '${target}' must lie in the lab folder`);
    for (const dir of mustStayVisible) {
      const inner = join(mount.source, relative(target, dir));
      mkdirSync(inner, { recursive: true });
      commands.push(`mount --bind ${quote(dir)} ${quote(inner)}`);
    }
    commands.push(`mount --rbind ${quote(mount.source)} ${quote(target)}`);
    return commands;
  }
  commands.push(`mount --bind ${quote(mount.source)} ${quote(target)}`);
  return commands;
}

/** Base settings of one HA peer shared by keaHaConfig and nestorHaConfig. */
export interface HaPeerOptions {
  thisServer: ServerName;
  /** In passive-backup, srv2 gets the role backup. */
  mode?: 'load-balancing' | 'hot-standby' | 'passive-backup';
  /** Server addresses without prefix length (default DEFAULT_SERVER_ADDRESSES). */
  addresses?: Partial<Record<ServerName, string>>;
  /** First and last address of the subnet pool (default 198.18.1.1 - 198.18.1.254). */
  pool?: [string, string];
  /** Split the pool between the peers by HA_srv1/HA_srv2 class (default true in load-balancing). */
  splitPool?: boolean;
  /** Default 1000 ms. */
  heartbeatDelayMs?: number;
  /** Default 3000 ms. */
  maxResponseDelayMs?: number;
  /** Default 1000 ms. */
  maxAckDelayMs?: number;
  /** Default 0, so a server moves to partner-down without waiting for unacknowledged clients. */
  maxUnackedClients?: number;
  /** Lease, log and control socket files go into this folder (the lab folder). */
  dir: string;
  validLifetime?: number;
}

/** Builds a Dhcp4 configuration for one Kea 2.2 HA peer with the dedicated HTTP listener on port HA_PORT. */
export function keaHaConfig(o: HaPeerOptions): { Dhcp4: Record<string, unknown> } {
  const config = haConfigCore(o);
  config['lease-database'] = { type: 'memfile', persist: true, name: join(o.dir, `${o.thisServer}-leases4.csv`), 'lfc-interval': 0 };
  config['control-socket'] = { 'socket-type': 'unix', 'socket-name': join(o.dir, `${o.thisServer}-ctrl4.sock`) };
  config['multi-threading'] = { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 64 };
  config.loggers = [{ name: 'kea-dhcp4', severity: 'INFO', output_options: [{ output: join(o.dir, `${o.thisServer}-kea-dhcp4.log`) }] }];
  const ha = haRelationship(config);
  // Kea 2.2 serves the peer URL itself only with HA multi-threading and the dedicated listener.
  ha['multi-threading'] = { 'enable-multi-threading': true, 'http-dedicated-listener': true, 'http-listener-threads': 2, 'http-client-threads': 2 };
  return { Dhcp4: config };
}

/** Builds the same peer for nestor: the same hook entries, leases in an LMDB file in dir. */
export function nestorHaConfig(o: HaPeerOptions): { Dhcp4: Record<string, unknown> } {
  const config = haConfigCore(o);
  config['lease-database'] = { type: 'lmdb', name: join(o.dir, `${o.thisServer}-leases4.lmdb`) };
  config['control-socket'] = { 'socket-type': 'unix', 'socket-name': join(o.dir, `${o.thisServer}-ctrl4.sock`) };
  return { Dhcp4: config };
}

function haRelationship(config: Record<string, unknown>): Record<string, unknown> {
  const hooks = config['hooks-libraries'] as Array<{ parameters?: { 'high-availability': Array<Record<string, unknown>> } }>;
  return hooks[1]!.parameters!['high-availability'][0]!;
}

function haConfigCore(o: HaPeerOptions): Record<string, unknown> {
  const mode = o.mode ?? 'load-balancing';
  const address = (name: ServerName): string => o.addresses?.[name] ?? DEFAULT_SERVER_ADDRESSES[name].split('/')[0]!;
  const [first, last] = o.pool ?? ['198.18.1.1', '198.18.1.254'];
  const split = o.splitPool ?? mode === 'load-balancing';
  const pools = split ? splitPools(first, last) : [{ pool: `${first} - ${last}` }];
  const peer = (name: ServerName, role: string): Record<string, unknown> =>
    ({ name, url: `http://${address(name)}:${HA_PORT}/`, role, 'auto-failover': true });
  const secondRole = { 'load-balancing': 'secondary', 'hot-standby': 'standby', 'passive-backup': 'backup' }[mode];
  return {
    'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'raw' },
    'valid-lifetime': o.validLifetime ?? 600,
    subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools }],
    'hooks-libraries': [
      { library: join(KEA_HOOKS_DIR, 'libdhcp_lease_cmds.so') },
      {
        library: join(KEA_HOOKS_DIR, 'libdhcp_ha.so'),
        parameters: {
          'high-availability': [{
            'this-server-name': o.thisServer,
            mode,
            'heartbeat-delay': o.heartbeatDelayMs ?? 1000,
            'max-response-delay': o.maxResponseDelayMs ?? 3000,
            'max-ack-delay': o.maxAckDelayMs ?? 1000,
            'max-unacked-clients': o.maxUnackedClients ?? 0,
            peers: [peer('srv1', 'primary'), peer('srv2', secondRole)],
          }],
        },
      },
    ],
  };
}

function splitPools(first: string, last: string): Array<Record<string, string>> {
  const toNumber = (text: string): number => text.split('.').reduce((n, b) => (n * 256 + Number(b)) >>> 0, 0);
  const toText = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
  const start = toNumber(first);
  const end = toNumber(last);
  if (end <= start) throw new Error(`pool '${first} - ${last}' needs at least two addresses to be split`);
  const middle = (start + Math.floor((end - start) / 2)) >>> 0;
  return [
    { pool: `${first} - ${toText(middle)}`, 'client-class': 'HA_srv1' },
    { pool: `${toText(middle + 1)} - ${last}`, 'client-class': 'HA_srv2' },
  ];
}

const POST_JSON_MJS = `const [url, body, timeoutMs] = process.argv.slice(1);
const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(Number(timeoutMs)) });
process.stdout.write(await response.text());
`;

const CONTROL_AGENT_MJS = `import http from 'node:http';
import net from 'node:net';
const [host, port, socketPath] = process.argv.slice(2);
function forward(command, reply) {
  const conn = net.createConnection(socketPath);
  let text = '';
  let done = false;
  const finish = (response) => { if (!done) { done = true; conn.destroy(); reply(response); } };
  conn.on('connect', () => conn.write(JSON.stringify(command)));
  conn.on('data', (chunk) => {
    text += chunk;
    try { finish(JSON.parse(text)); } catch { /* incomplete */ }
  });
  conn.on('error', (err) => finish({ result: 1, text: 'control socket ' + socketPath + ': ' + err.message }));
  conn.on('end', () => finish({ result: 1, text: 'control socket closed without a complete response' }));
}
http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const reply = (response) => {
      // Kea's HTTP client reads a body only with Content-Length, so no chunked encoding.
      const text = JSON.stringify([response]);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    let request;
    try { request = JSON.parse(body); } catch { reply({ result: 1, text: 'invalid JSON in request body' }); return; }
    const command = { command: request.command };
    if (request.arguments !== undefined) command.arguments = request.arguments;
    forward(command, reply);
  });
}).listen(Number(port), host, () => console.log('listening on ' + host + ':' + port));
`;

/** Python helpers of the raw-socket DHCP clients: argument parsing, the socket, DISCOVER and REQUEST frames, and reading replies. */
export const RAW_DHCP_CLIENT_PY = `import json, random, select, socket, struct, sys, time
ifname, count, first, timeout, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((ifname, 0))

def checksum(data):
    if len(data) % 2:
        data += b'\\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total > 0xffff:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

def frame(mac, payload):
    udp = struct.pack('!HHHH', 68, 67, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), b'\\xff' * 4)
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    return b'\\xff' * 6 + mac + b'\\x08\\x00' + ip + udp

def message(c, kind):
    head = struct.pack('!BBBBIHH4s4s4s4s16s', 1, 1, 6, 0, c['xid'], 0, 0x8000, bytes(4), bytes(4), bytes(4), bytes(4), c['mac'] + bytes(10))
    options = bytes([53, 1, kind, 55, 4, 1, 3, 51, 54])
    if kind == 3:
        options += bytes([50, 4]) + c['offered'] + bytes([54, 4]) + c['server']
    return head + bytes(192) + struct.pack('!I', 0x63825363) + options + b'\\xff'

def options_of(data):
    found = {}
    at = 240
    while at < len(data) and data[at] != 255:
        if data[at] == 0:
            at += 1
            continue
        if at + 1 >= len(data):
            break
        found[data[at]] = data[at + 2:at + 2 + data[at + 1]]
        at += 2 + data[at + 1]
    return found

def ip_text(b):
    return '.'.join(str(x) for x in b)

`;

const DORA_CLIENTS_PY = `${RAW_DHCP_CLIENT_PY}
def send(c, kind, now):
    c['kind'] = kind
    c['sent'] = now
    s.send(frame(c['mac'], message(c, kind)))

clients = []
for i in range(count):
    n = first + i
    mac = bytes([2, 0x48, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
    clients.append({'mac': mac, 'xid': random.getrandbits(32), 'kind': 0, 'sent': 0.0, 'began': 0.0, 'offers': 0, 'naks': 0,
                    'retransmissions': 0, 'done': False, 'address': '', 'serverId': '', 'serverIp': '', 'ms': -1})
by_xid = {c['xid']: c for c in clients}
began = time.time()
deadline = began + timeout
started = 0
while time.time() < deadline and not all(c['done'] for c in clients):
    now = time.time()
    while started < count and started <= (now - began) * rate:
        c = clients[started]
        c['began'] = now
        send(c, 1, now)
        started += 1
    for c in clients[:started]:
        if not c['done'] and now - c['sent'] >= 1.0:
            c['retransmissions'] += 1
            send(c, c['kind'], now)
    ready, _, _ = select.select([s], [], [], 0.02)
    while ready:
        data = s.recv(4096)
        ready, _, _ = select.select([s], [], [], 0)
        if len(data) < 14 + 20 + 8 + 240 or data[12:14] != b'\\x08\\x00' or data[23] != 17:
            continue
        ihl = (data[14] & 0x0f) * 4
        udp = 14 + ihl
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
            c['offers'] += 1
            c['offered'] = dhcp[16:20]
            c['server'] = server
            send(c, 3, time.time())
        elif kind == 5 and c['kind'] == 3:
            c['done'] = True
            c['address'] = ip_text(dhcp[16:20])
            c['serverId'] = ip_text(server)
            c['serverIp'] = ip_text(data[26:30])
            c['ms'] = round((time.time() - c['began']) * 1000)
        elif kind == 6 and c['kind'] == 3:
            c['naks'] += 1
            send(c, 1, time.time())
print(json.dumps([{'mac': ':'.join('%02x' % b for b in c['mac']), 'address': c['address'], 'serverId': c['serverId'],
                   'serverIp': c['serverIp'], 'offers': c['offers'], 'naks': c['naks'],
                   'retransmissions': c['retransmissions'], 'ms': c['ms']} for c in clients]))
`;
