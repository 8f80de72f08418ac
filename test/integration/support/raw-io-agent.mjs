// Runs inside a lab namespace and serves the raw I/O integration test over stdin and stdout: one
// JSON request per input line ({ id, op, ... }), one JSON response per output line ({ id, ... }).
// It drives the built RawPacketSocket (dist/io/raw.js) and plain node:dgram sockets.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { META_WORDS, TxBatchBuilder } from '../../../dist/io/batch.js';
import { RawPacketSocket } from '../../../dist/io/raw.js';

const sockets = new Map();
let nextSocket = 1;

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const fromHex = (text) => new Uint8Array(Buffer.from(text, 'hex'));

function open(request) {
  try {
    const socket = RawPacketSocket.open({ ifname: request.ifname, acceptVlan: request.acceptVlan === true });
    const entry = { socket, received: [], error: undefined };
    socket.onError = (err) => { entry.error = { code: err.code, message: err.message }; };
    socket.start((batch) => {
      for (let i = 0; i < batch.count; i++) {
        const meta = Array.from(batch.meta.subarray(i * META_WORDS, (i + 1) * META_WORDS));
        entry.received.push({ payload: hex(batch.data.subarray(meta[0], meta[0] + meta[1])), meta });
      }
    });
    const id = nextSocket++;
    sockets.set(id, entry);
    return { socket: id, ifindex: socket.ifindex, mac: hex(socket.mac), mtu: socket.mtu };
  } catch (err) {
    return { error: { code: err.code, message: err.message } };
  }
}

function send(entry, frames) {
  const builder = new TxBatchBuilder(frames.length, 65536);
  for (const f of frames) {
    const payload = fromHex(f.payload);
    const slot = builder.reserve(payload.length);
    slot.buf.set(payload, slot.offset);
    builder.commitFrame(payload.length, f.dstAddr, f.dstPort, f.srcAddr, f.srcPort, f.dstMacHi, f.dstMacLo, f.vlan ?? 0);
  }
  return entry.socket.send(builder);
}

async function sendUdp(request) {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(request.srcPort, request.srcAddr ?? '0.0.0.0', resolve);
  });
  if (request.broadcast) socket.setBroadcast(true);
  for (const payload of request.payloads) {
    await new Promise((resolve, reject) => socket.send(fromHex(payload), request.port, request.to, (err) => (err ? reject(err) : resolve())));
  }
  socket.close();
  return { sent: request.payloads.length };
}

async function handle(request) {
  const entry = sockets.get(request.socket);
  switch (request.op) {
    case 'open': return open(request);
    case 'take': return { received: entry.received.splice(0) };
    case 'stats': return { stats: entry.socket.stats() };
    case 'state': return { isBroken: entry.socket.isBroken, error: entry.error };
    case 'send': return { sent: send(entry, request.frames) };
    case 'close': entry.socket.close(); sockets.delete(request.socket); return {};
    case 'udp': return sendUdp(request);
    case 'proc': return { packet: readFileSync('/proc/net/packet', 'utf8'), maps: readFileSync('/proc/self/maps', 'utf8') };
    default: return { error: { message: `unknown op '${request.op}'` } };
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const request = JSON.parse(line);
  handle(request).then(
    (response) => process.stdout.write(`${JSON.stringify({ id: request.id, ...response })}\n`),
    (err) => process.stdout.write(`${JSON.stringify({ id: request.id, error: { message: String(err?.message ?? err) } })}\n`),
  );
});
lines.on('close', () => {
  for (const entry of sockets.values()) entry.socket.close();
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
