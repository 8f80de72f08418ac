// Helpers for the raw I/O integration test: a request/response client for raw-io-agent.mjs
// running in a lab namespace, a small C frame injector compiled into the lab folder, and a pcap
// reader for tcpdump captures.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Lab, LabProcess } from './lab.js';

const AGENT = join('test', 'integration', 'support', 'raw-io-agent.mjs');

/** A raw-io-agent.mjs process in a namespace; request() sends one operation and waits for its response. */
export class RawAgent {
  private nextId = 1;

  private constructor(private readonly process: LabProcess) {}

  static async start(lab: Lab, ns: string): Promise<RawAgent> {
    const process = lab.spawn(ns, 'node', [AGENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    await process.waitFor(/"ready":true/, 20_000);
    return new RawAgent(process);
  }

  async request<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<T> {
    const id = this.nextId++;
    this.process.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.process.output.split('\n')) {
        if (line.startsWith(`{"id":${id},`) || line === `{"id":${id}}`) return JSON.parse(line) as T;
      }
      if (Date.now() > deadline) throw new Error(`agent: no answer to '${op}' after ${timeoutMs} ms; output:\n${this.process.output.slice(-4000)}`);
      if (this.process.child.exitCode !== null) throw new Error(`agent exited before answering '${op}':\n${this.process.output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Collects datagrams received on socket until at least count arrived or timeoutMs passed. */
  async collect(socket: number, count: number, timeoutMs = 3000): Promise<Array<{ payload: string; meta: number[] }>> {
    const received: Array<{ payload: string; meta: number[] }> = [];
    const deadline = Date.now() + timeoutMs;
    while (received.length < count && Date.now() < deadline) {
      const answer = await this.request<{ received: Array<{ payload: string; meta: number[] }> }>('take', { socket });
      received.push(...answer.received);
      if (received.length < count) await new Promise((r) => setTimeout(r, 30));
    }
    return received;
  }
}

// Sends each frame given in hex on the command line through an AF_PACKET socket on one interface.
const INJECTOR_SOURCE = `
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) { fprintf(stderr, "usage: inject IFNAME HEX...\\n"); return 2; }
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) { perror("socket"); return 1; }
  struct sockaddr_ll to;
  memset(&to, 0, sizeof(to));
  to.sll_family = AF_PACKET;
  to.sll_ifindex = (int)if_nametoindex(argv[1]);
  if (to.sll_ifindex == 0) { perror("if_nametoindex"); return 1; }
  unsigned char frame[9216];
  for (int i = 2; i < argc; i++) {
    size_t n = strlen(argv[i]) / 2;
    if (n > sizeof(frame)) { fprintf(stderr, "frame %d too long\\n", i - 2); return 1; }
    for (size_t j = 0; j < n; j++) sscanf(argv[i] + 2 * j, "%2hhx", &frame[j]);
    if (sendto(fd, frame, n, 0, (struct sockaddr*)&to, sizeof(to)) != (ssize_t)n) { perror("sendto"); return 1; }
  }
  close(fd);
  return 0;
}
`;

/** Compiles the frame injector into the lab folder with cc and returns its path. */
export function buildInjector(lab: Lab): string {
  const source = lab.path('inject.c');
  const binary = lab.path('inject');
  writeFileSync(source, INJECTOR_SOURCE);
  execFileSync('cc', ['-O1', '-o', binary, source], { stdio: 'pipe' });
  return binary;
}

/** Returns the frames of a pcap file (classic format, any byte order). */
export function readPcapFrames(path: string): Uint8Array[] {
  const file = readFileSync(path);
  const magic = file.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const read32 = (at: number): number => (littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const frames: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const captured = read32(at + 8);
    frames.push(new Uint8Array(file.subarray(at + 16, at + 16 + captured)));
    at += 16 + captured;
  }
  return frames;
}
