// Network-namespace lab for integration tests. Every namespace and link gets a per-run prefix, all
// addresses come from 198.18.0.0/15, nothing is added to the root namespace, and destroy() removes
// everything (call it in afterAll, it is safe after a partial setup). Processes started through
// spawn() are tracked and ended by their pid on destroy.

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why integration tests cannot run here, or undefined when they can (root with `ip netns`). */
export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return "needs iproute2 ('ip netns')";
  }
  return undefined;
}

/** Skip reason for describe.skipIf; with NESTOR_REQUIRE_NETNS=1 (CI) a missing capability fails instead. */
export function skipUnlessLab(): boolean {
  const reason = labUnavailableReason();
  if (reason === undefined) return false;
  if (process.env.NESTOR_REQUIRE_NETNS === '1') {
    throw new Error(`integration tests ${reason}, and NESTOR_REQUIRE_NETNS=1 forbids skipping them`);
  }
  console.warn(`skipping integration tests: ${reason}`);
  return true;
}

/** Check that a program from a Debian package is installed; the message names the package. */
export function requireProgram(path: string, debianPackage: string): void {
  try {
    execFileSync('test', ['-x', path]);
  } catch {
    throw new Error(`${path} is missing: install the Debian package '${debianPackage}' (.ci/run does)`);
  }
}

let labCounter = 0;

export class Lab {
  readonly prefix: string;
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    labCounter++;
    this.prefix = `n${tag}${process.pid % 10000}${labCounter}`;
    this.dir = mkdtempSync(join(tmpdir(), `nestor-${tag}-`));
  }

  /** Create a namespace named prefix-name with loopback up and an empty resolv.conf. */
  addNamespace(name: string): string {
    const ns = `${this.prefix}-${name}`;
    execFileSync('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns}/resolv.conf`, '');
    this.exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair between two namespaces with the given interface names (created under temporary names, then renamed). */
  link(nsA: string, ifA: string, nsB: string, ifB: string): void {
    const tmpA = `v${labCounter}${Math.random().toString(36).slice(2, 8)}`;
    const tmpB = `v${labCounter}${Math.random().toString(36).slice(2, 8)}`;
    execFileSync('ip', ['link', 'add', tmpA, 'netns', nsA, 'type', 'veth', 'peer', 'name', tmpB, 'netns', nsB]);
    this.exec(nsA, 'ip', ['link', 'set', tmpA, 'name', ifA]);
    this.exec(nsB, 'ip', ['link', 'set', tmpB, 'name', ifB]);
    this.exec(nsA, 'ip', ['link', 'set', ifA, 'up']);
    this.exec(nsB, 'ip', ['link', 'set', ifB, 'up']);
  }

  /**
   * Build the relay-path pair most tests use: a server namespace with eth0 198.18.0.1/24 linked to a
   * client namespace with eth0 198.18.0.10/24, where a relay agent (perfdhcp, loadgen, the relay client) runs.
   */
  addRelayPair(): { nsServer: string; nsClient: string } {
    const nsServer = this.addNamespace('srv');
    const nsClient = this.addNamespace('cli');
    this.link(nsServer, 'eth0', nsClient, 'eth0');
    this.address(nsServer, 'eth0', '198.18.0.1/24');
    this.address(nsClient, 'eth0', '198.18.0.10/24');
    return { nsServer, nsClient };
  }

  /** Assign an address (CIDR, inside 198.18.0.0/15) to an interface. */
  address(ns: string, ifname: string, cidr: string): void {
    if (!/^198\.1[89]\./.test(cidr)) throw new Error(`lab addresses must come from 198.18.0.0/15, got '${cidr}'`);
    this.exec(ns, 'ip', ['addr', 'add', cidr, 'dev', ifname]);
  }

  route(ns: string, destination: string, via: string): void {
    this.exec(ns, 'ip', ['route', 'add', destination, 'via', via]);
  }

  /** Run a command inside a namespace and return its stdout; throws with stderr on failure. */
  exec(ns: string, cmd: string, args: string[], timeoutMs = 60_000): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Start a long-running process inside a namespace; its output is kept in .output. */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): LabProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.push(child);
    return new LabProcess(child);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** End every process this lab started (by pid), delete its namespaces and files. */
  async destroy(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const ns of this.namespaces.reverse()) {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class LabProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => { this.output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { this.output += d.toString(); });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Wait until the output matches re, or fail after timeoutMs with the output so far. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re}; output so far:\n${this.output.slice(-4000)}`);
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) before ${re}; output:\n${this.output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Send a signal to the process itself (ip netns exec replaces itself with the command, so the pid is the command's). */
  kill(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, signal);
  }
}
