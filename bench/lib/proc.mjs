// Process helpers for the benchmark: synchronous commands for lab setup, tracked child processes
// that are ended by pid on teardown, and CPU time read from /proc.

import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc stat fields; 100 on every Linux build Debian ships. */
const CLOCK_TICKS = 100;

/** Children started through startProcess() that have not exited yet, keyed by pid. */
const running = new Map();

/** Run a command and return its stdout; throws an Error that includes stderr on failure. */
export function run(cmd, args, { timeoutMs = 60_000, input } = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = typeof err.stderr === 'string' ? err.stderr.trim() : '';
    throw new Error(`'${cmd} ${args.join(' ')}' failed: ${stderr || err.message}`);
  }
}

/** Run a command and report whether it exited 0, ignoring its output. */
export function succeeds(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Start a tracked child process. Returns { child, pid, exited, output() }, where exited resolves
 * with { code, signal } and output() returns the collected stdout and stderr (last 64 KiB each).
 */
export function startProcess(cmd, args, { collect = true, env } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start '${cmd}'`);

  let stdout = '';
  let stderr = '';
  const keep = (text, chunk) => (collect ? (text + chunk).slice(-65_536) : '');
  child.stdout.on('data', (d) => { stdout = keep(stdout, d.toString()); });
  child.stderr.on('data', (d) => { stderr = keep(stderr, d.toString()); });

  running.set(pid, child);
  const exited = new Promise((resolve) => {
    child.once('error', (err) => { stderr += `\n${err.message}`; });
    child.once('close', (code, signal) => {
      running.delete(pid);
      resolve({ code, signal });
    });
  });
  return { child, pid, exited, output: () => ({ stdout, stderr }) };
}

/** Report whether a child started through startProcess() is still running. */
export function isRunning(pid) {
  return running.has(pid);
}

/** Send SIGTERM, wait up to graceMs, then SIGKILL; resolves once the process has exited. */
export async function stopProcess(proc, graceMs = 5_000) {
  if (!running.has(proc.pid)) return proc.exited;
  signal(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => signal(proc.pid, 'SIGKILL'), graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** SIGKILL every child still running; used on teardown after a failure or SIGINT. */
export function killAllStarted() {
  for (const pid of running.keys()) signal(pid, 'SIGKILL');
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // The process exited between the check and the signal.
  }
}

/**
 * Read the CPU seconds (user + system) used so far by a process and all its threads. The
 * whole-process line in /proc/PID/stat already sums every thread, including threads that have
 * exited, so worker threads are counted. The sum over /proc/PID/task is returned as a cross-check.
 */
export function readCpuSeconds(pid) {
  const processTicks = ticksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  let threadTicks = 0;
  let threads = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threadTicks += ticksFromStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      threads++;
    } catch {
      // The thread exited while the folder was listed.
    }
  }
  return { cpuS: processTicks / CLOCK_TICKS, threadSumS: threadTicks / CLOCK_TICKS, threads };
}

/** utime + stime in clock ticks from a stat line; the command name may contain spaces and ')'. */
function ticksFromStat(line) {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
  return Number(fields[11]) + Number(fields[12]);
}
