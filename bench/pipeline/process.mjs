// Measures the batch processor alone (decode, engine, lease commit, encode) on the main thread:
// DISCOVER then REQUEST for distinct clients, in batches, against a fresh LMDB store in a temp folder.
// Usage: node bench/pipeline/process.mjs [leases=20000] [batch=64]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { buildRequest } from '../../dist/codec/request-builder.js';
import { parseConfigText } from '../../dist/config/load.js';
import { Engine } from '../../dist/engine/engine.js';
import { openLeaseStore } from '../../dist/leases/lmdb-store.js';
import { WORK_STRIDE, W_DST_ADDR, W_IFINDEX, W_LENGTH, W_LOCAL_ADDR, W_OFFSET, W_SRC_ADDR, W_SRC_PORT } from '../../dist/pipeline/batch.js';
import { BatchProcessor } from '../../dist/pipeline/process.js';

const total = Number(process.argv[2] ?? 20000);
const batchSize = Number(process.argv[3] ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'nestor-bench-'));
const SERVER = 0xc6120001;
const RELAY = 0xc612000a;

const { config } = parseConfigText(JSON.stringify({ Dhcp4: {
  'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
  'lease-database': { type: 'lmdb', name: join(dir, 'l.lmdb') },
  subnet4: [{ id: 1, subnet: '198.19.0.0/16', pools: [{ pool: '198.19.0.10 - 198.19.255.250' }], relay: { 'ip-addresses': ['198.18.0.10'] } }],
} }), 'bench.json');
const log = pino({ level: 'silent' });
const store = openLeaseStore({ path: join(dir, 'l.lmdb') });
const processor = new BatchProcessor(new Engine(config, { log, serverAddresses: [SERVER] }), store, log);

function mac(i) {
  return Uint8Array.of(2, 0x10, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255);
}

function batchOf(packets) {
  const data = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
  const meta = new Uint32Array(packets.length * WORK_STRIDE);
  let used = 0;
  packets.forEach((p, i) => {
    const row = i * WORK_STRIDE;
    data.set(p, used);
    meta[row + W_OFFSET] = used; meta[row + W_LENGTH] = p.length; meta[row + W_SRC_ADDR] = RELAY;
    meta[row + W_SRC_PORT] = 67; meta[row + W_DST_ADDR] = SERVER; meta[row + W_IFINDEX] = 2; meta[row + W_LOCAL_ADDR] = SERVER;
    used += p.length;
  });
  return { count: packets.length, data, meta, nowSec: Math.floor(Date.now() / 1000) };
}

let discoverNs = 0n;
let requestNs = 0n;
let acks = 0;
for (let start = 0; start < total; start += batchSize) {
  const n = Math.min(batchSize, total - start);
  const discovers = [];
  for (let i = 0; i < n; i++) discovers.push(buildRequest({ messageType: 1, xid: start + i, chaddr: mac(start + i), giaddr: RELAY, hops: 1, options: [[55, [1, 3, 6, 15, 51, 54]]] }));
  const d = batchOf(discovers);
  let t = process.hrtime.bigint();
  const offers = processor.process(d);
  discoverNs += process.hrtime.bigint() - t;

  const requests = [];
  for (let i = 0; i < offers.count; i++) {
    const off = offers.meta[i * 10];
    const yiaddr = new DataView(offers.data.buffer, offers.data.byteOffset).getUint32(off + 16);
    requests.push(buildRequest({ messageType: 3, xid: start + i, chaddr: mac(start + i), giaddr: RELAY, hops: 1,
      options: [[50, [yiaddr >>> 24, (yiaddr >>> 16) & 255, (yiaddr >>> 8) & 255, yiaddr & 255]], [54, [198, 18, 0, 1]], [55, [1, 3, 6, 15, 51, 54]]] }));
  }
  const r = batchOf(requests);
  t = process.hrtime.bigint();
  const result = processor.process(r);
  requestNs += process.hrtime.bigint() - t;
  acks += result.outcomes.ack ?? 0;
}
await store.close();
rmSync(dir, { recursive: true, force: true });
const us = (ns) => Number(ns) / 1000 / total;
console.log(JSON.stringify({ leases: total, acks, batch: batchSize, discover_us_per_packet: us(discoverNs).toFixed(2), request_us_per_packet: us(requestNs).toFixed(2), leases_per_s_processing_only: Math.round(total / (Number(discoverNs + requestNs) / 1e9)) }));
