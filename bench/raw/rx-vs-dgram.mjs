#!/usr/bin/env node
// Compares how many frames per second reach JavaScript through RawPacketSocket (AF_PACKET,
// TPACKET_V3 ring, batches) and through a plain node:dgram socket bound to port 67, on the same
// traffic: 300-byte UDP datagrams to port 67 from a C sendmmsg sender across a veth pair.
//
// Run as root after `npm run build`:  node bench/raw/rx-vs-dgram.mjs [seconds] [runs]
//
// It creates two network namespaces joined by a veth pair (198.18.0.1/24 sends, 198.18.0.2/24
// receives), compiles the sender into a temporary folder, runs each receiver `runs` times (default
// 3) for `seconds` (default 3) from its first packet, prints the medians, the min-max spread and
// the ratio, and deletes the namespaces and the folder, also after a failure. The sender stops
// after seconds + 1 s or 20 million datagrams, whichever comes first. No UDP socket listens on 67
// during the raw runs, so the receiving kernel replies with rate-limited ICMP port unreachable.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seconds = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 3);
const MAX_DATAGRAMS = 20_000_000;

if (process.getuid?.() !== 0) {
  console.error('rx-vs-dgram: run as root (it creates network namespaces and raw sockets)');
  process.exit(1);
}

const tag = `nrb${process.pid % 100000}`;
const nsTx = `${tag}-tx`;
const nsRx = `${tag}-rx`;
const dir = mkdtempSync(join(tmpdir(), 'nestor-rawbench-'));
const children = new Set();

const SENDER_SOURCE = `
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// sender SECONDS MAX_DATAGRAMS: sends 300-byte datagrams to 198.18.0.2:67 in batches of 64.
int main(int argc, char** argv) {
  double seconds = atof(argv[1]);
  long max = atol(argv[2]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(67) };
  inet_pton(AF_INET, "198.18.0.2", &to.sin_addr);
  if (connect(fd, (struct sockaddr*)&to, sizeof(to)) != 0) { perror("connect"); return 1; }
  static unsigned char payload[300];
  for (int i = 0; i < 300; i++) payload[i] = (unsigned char)i;
  payload[0] = 1; payload[1] = 1; payload[2] = 6;
  struct mmsghdr messages[64];
  struct iovec vectors[64];
  memset(messages, 0, sizeof(messages));
  for (int i = 0; i < 64; i++) {
    vectors[i].iov_base = payload; vectors[i].iov_len = sizeof(payload);
    messages[i].msg_hdr.msg_iov = &vectors[i]; messages[i].msg_hdr.msg_iovlen = 1;
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long sent = 0;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    if (elapsed >= seconds || sent >= max) break;
    int n = sendmmsg(fd, messages, 64, 0);
    if (n > 0) sent += n;
  }
  printf("{\\"sent\\":%ld}\\n", sent);
  return 0;
}
`;

const RECEIVER_SOURCE = `
import dgram from 'node:dgram';
const [mode, seconds, rawUrl] = process.argv.slice(2);
let count = 0;
let first = 0;
let counted = -1;
const finish = () => {
  counted = count;
  process.stdout.write(JSON.stringify({ mode, frames: counted, rate: counted / Number(seconds) }) + '\\n');
  process.exit(0);
};
const onFrames = (n) => {
  if (counted >= 0) return;
  if (first === 0) { first = Date.now(); setTimeout(finish, Number(seconds) * 1000); }
  count += n;
};
if (mode === 'raw') {
  const { RawPacketSocket } = await import(rawUrl);
  const socket = RawPacketSocket.open({ ifname: 'veth-rx' });
  socket.start((batch) => onFrames(batch.count));
} else {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  socket.on('message', () => onFrames(1));
  await new Promise((resolve) => socket.bind(67, '0.0.0.0', resolve));
}
process.stdout.write('ready\\n');
`;

function ip(...args) {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function inNs(ns, cmd, args) {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: 'pipe' });
}

function setUp() {
  ip('netns', 'add', nsTx);
  ip('netns', 'add', nsRx);
  ip('link', 'add', `${tag}a`, 'netns', nsTx, 'type', 'veth', 'peer', 'name', `${tag}b`, 'netns', nsRx);
  inNs(nsTx, 'ip', ['link', 'set', `${tag}a`, 'name', 'veth-tx']);
  inNs(nsRx, 'ip', ['link', 'set', `${tag}b`, 'name', 'veth-rx']);
  for (const [ns, ifname, cidr] of [[nsTx, 'veth-tx', '198.18.0.1/24'], [nsRx, 'veth-rx', '198.18.0.2/24']]) {
    inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(ns, 'ip', ['addr', 'add', cidr, 'dev', ifname]);
    inNs(ns, 'ip', ['link', 'set', ifname, 'up']);
  }
  execFileSync('cc', ['-O2', '-o', join(dir, 'sender'), '-x', 'c', '-'], { input: SENDER_SOURCE, stdio: ['pipe', 'pipe', 'pipe'] });
  writeFileSync(join(dir, 'receiver.mjs'), RECEIVER_SOURCE);
}

function tearDown() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  for (const ns of [nsTx, nsRx]) {
    try { ip('netns', 'del', ns); } catch { /* not created */ }
  }
  rmSync(dir, { recursive: true, force: true });
}

// Starts a process in a namespace, pinned to one CPU with taskset.
function start(ns, cpu, cmd, args) {
  const child = spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', () => resolve(output)));
  const waitFor = async (text, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (!output.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`waiting for '${text}' failed; output: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { exited, waitFor };
}

async function runOnce(mode) {
  const rawUrl = pathToFileURL(join(root, 'dist', 'io', 'raw.js')).href;
  const receiver = start(nsRx, 1, process.execPath, [join(dir, 'receiver.mjs'), mode, String(seconds), rawUrl]);
  await receiver.waitFor('ready', 10_000);
  const sender = start(nsTx, 0, join(dir, 'sender'), [String(seconds + 1), String(MAX_DATAGRAMS)]);
  const [received, sent] = await Promise.all([receiver.exited, sender.exited]);
  const result = JSON.parse(received.trim().split('\n').pop());
  const sentCount = JSON.parse(sent.trim()).sent;
  return { rate: result.rate, offered: sentCount / (seconds + 1) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const format = (n) => Math.round(n).toLocaleString('en-US');

process.on('SIGINT', () => { tearDown(); process.exit(130); });

try {
  setUp();
  const results = {};
  for (const mode of ['raw', 'dgram']) {
    results[mode] = [];
    for (let i = 0; i < runs; i++) {
      const run = await runOnce(mode);
      results[mode].push(run);
      console.log(`${mode} run ${i + 1}: ${format(run.rate)} frames/s into JS (sender offered about ${format(run.offered)}/s)`);
    }
  }
  const summary = (mode) => {
    const rates = results[mode].map((r) => r.rate);
    return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
  };
  const raw = summary('raw');
  const plain = summary('dgram');
  console.log(`RawPacketSocket: median ${format(raw.median)} frames/s (${format(raw.min)}-${format(raw.max)})`);
  console.log(`node:dgram:      median ${format(plain.median)} frames/s (${format(plain.min)}-${format(plain.max)})`);
  console.log(`ratio raw/dgram: ${(raw.median / plain.median).toFixed(2)}`);
} finally {
  tearDown();
}
