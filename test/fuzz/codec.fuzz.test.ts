// Bounded fuzzing of the codec: random and mutated packets go through DhcpView.reset and every
// getter, and replies are encoded for every packet that decodes. Each property runs for about
// 1.5 s. The seed is printed on failure; set NESTOR_FUZZ_SEED to replay a run.

import { describe, expect, it } from 'vitest';

import {
  DecodeOutcome,
  DhcpView,
  buildRequest,
  encodeOptionInstances,
  encodeReply,
  type ReplyPlan,
} from '../../src/codec/index.js';
import { DHCLIENT_DISCOVER } from '../fixtures/packets/dhclient-discover.js';
import { RELAYED_REQUEST } from '../fixtures/packets/relayed-request.js';
import { UDHCPC_DISCOVER } from '../fixtures/packets/udhcpc-discover.js';
import { joinedOption, readReplyOptions } from '../unit/codec/reply-reader.js';

const PROPERTY_TIME_MS = 1500;
const SEED = Number(process.env.NESTOR_FUZZ_SEED ?? Date.now() % 0x7fffffff);
const KNOWN_OUTCOMES = new Set<number>([
  DecodeOutcome.OK,
  DecodeOutcome.TOO_SHORT,
  DecodeOutcome.BAD_COOKIE,
  DecodeOutcome.NOT_BOOTREQUEST,
  DecodeOutcome.BAD_HLEN,
  DecodeOutcome.NO_MESSAGE_TYPE,
  DecodeOutcome.BAD_MESSAGE_TYPE,
  DecodeOutcome.NO_CLIENT_KEY,
]);

/** Small deterministic generator (mulberry32) so a failing seed can be replayed. */
function makeRandom(seed: number): { next: () => number; int: (n: number) => number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

type Random = ReturnType<typeof makeRandom>;

function nestedSubOptions(count: number): Uint8Array {
  // Sub-option 1 holding sub-option 1 holding ... : each level's length covers everything inside.
  const bytes = new Uint8Array(count * 2);
  for (let i = 0; i < count; i++) {
    bytes[2 * i] = 1;
    bytes[2 * i + 1] = Math.min(255, (count - i - 1) * 2);
  }
  return bytes;
}

function buildCorpus(): Uint8Array[] {
  const prl255 = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
  return [
    DHCLIENT_DISCOVER,
    UDHCPC_DISCOVER,
    RELAYED_REQUEST,
    buildRequest({ options: [[55, prl255]] }),
    buildRequest({ options: [[82, nestedSubOptions(255)]] }),
    buildRequest({ options: [[82, Uint8Array.from({ length: 255 }, (_, i) => (i % 2 === 0 ? (i >> 1) & 0xff : 0))]] }),
    buildRequest({ options: [[55, [1, 3]], [82, [1, 1, 0x70]], [55, [6, 15, 42]], [82, [2, 1, 0x72]]] }),
    buildRequest({ messageType: null, options: [[52, [3]]], file: encodeOptionInstances([[53, [1]], [55, [1, 3]]]), sname: encodeOptionInstances([[55, [6]]]) }),
    buildRequest({ hlen: 0, chaddr: new Uint8Array(0), options: [[61, [0, 1, 2, 3]]] }),
    buildRequest({ messageType: 3, options: [[50, [198, 18, 0, 9]], [54, [198, 18, 0, 1]], [61, new Uint8Array(255).fill(9)], [43, new Uint8Array(600)]] }),
  ];
}

/** Offsets of option length bytes in the options field, found with a lenient walk. */
function lengthBytePositions(bytes: Uint8Array): number[] {
  const positions: number[] = [];
  let p = 240;
  while (p + 1 < bytes.length) {
    const code = bytes[p]!;
    if (code === 0 || code === 255) {
      p++;
      continue;
    }
    positions.push(p + 1);
    p += 2 + bytes[p + 1]!;
  }
  return positions;
}

function mutate(random: Random, source: Uint8Array): Uint8Array {
  let bytes: Uint8Array = source.slice();
  const rounds = 1 + random.int(4);
  for (let r = 0; r < rounds; r++) {
    switch (random.int(8)) {
      case 0: {
        // bit flip
        if (bytes.length > 0) bytes[random.int(bytes.length)]! ^= 1 << random.int(8);
        break;
      }
      case 1: {
        // random byte, biased to the header and the start of the options
        if (bytes.length > 0) bytes[random.int(Math.min(bytes.length, random.next() < 0.5 ? 300 : bytes.length))] = random.int(256);
        break;
      }
      case 2: {
        // truncation
        bytes = bytes.slice(0, random.int(bytes.length + 1));
        break;
      }
      case 3: {
        // length byte tricks: 0, 255, off by one, random
        const positions = lengthBytePositions(bytes);
        if (positions.length === 0) break;
        const at = positions[random.int(positions.length)]!;
        const choices = [0, 255, bytes[at]! + 1, bytes[at]! - 1, random.int(256)];
        bytes[at] = choices[random.int(choices.length)]! & 0xff;
        break;
      }
      case 4: {
        // header fields that steer decoding: op, hlen, overload
        const field = random.int(3);
        if (field === 0 && bytes.length > 0) bytes[0] = random.int(4);
        if (field === 1 && bytes.length > 2) bytes[2] = random.next() < 0.5 ? random.int(18) : random.int(256);
        if (field === 2) bytes = appendOptions(bytes, [52, 1, random.int(5)]);
        break;
      }
      case 5: {
        // garbage in sname and file
        for (let i = 44; i < Math.min(236, bytes.length); i++) if (random.next() < 0.3) bytes[i] = random.int(256);
        break;
      }
      case 6: {
        // extra options appended after the existing ones (possibly after END)
        const extra: number[] = [];
        const count = random.int(6);
        for (let i = 0; i < count; i++) {
          const length = random.int(20);
          extra.push(random.int(256), length, ...Array.from({ length }, () => random.int(256)));
        }
        bytes = appendOptions(bytes, extra);
        break;
      }
      default: {
        // duplicate a slice of the options field at its end (repeated codes)
        if (bytes.length > 250) {
          const start = 240 + random.int(bytes.length - 240);
          bytes = appendOptions(bytes, Array.from(bytes.subarray(start, start + random.int(40))));
        }
      }
    }
  }
  return bytes;
}

function appendOptions(bytes: Uint8Array, extra: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes);
  out.set(extra, bytes.length);
  return out;
}

function randomPacket(random: Random): Uint8Array {
  const bytes = Uint8Array.from({ length: random.int(700) }, () => random.int(256));
  if (bytes.length >= 240 && random.next() < 0.8) bytes.set([0x63, 0x82, 0x53, 0x63], 236);
  if (bytes.length > 0 && random.next() < 0.8) bytes[0] = 1;
  if (bytes.length > 2 && random.next() < 0.8) bytes[2] = random.int(17);
  return bytes;
}

function nextPacket(random: Random, corpus: Uint8Array[]): Uint8Array {
  return random.next() < 0.2 ? randomPacket(random) : mutate(random, corpus[random.int(corpus.length)]!);
}

/** Throws unless `value` lies within input[offset, offset + length) or is a separate joined copy. */
function checkBounds(name: string, value: Uint8Array | undefined, input: Uint8Array, offset: number, length: number): void {
  if (value === undefined || value.buffer !== input.buffer) return;
  const start = value.byteOffset - input.byteOffset;
  if (start < offset || start + value.length > offset + length) {
    throw new Error(`${name} returned bytes [${start}, ${start + value.length}) outside the input [${offset}, ${offset + length})`);
  }
}

function exerciseView(view: DhcpView, input: Uint8Array, offset: number, length: number): void {
  const outcome = view.reset(input, offset, length);
  if (!KNOWN_OUTCOMES.has(outcome)) throw new Error(`unknown outcome ${outcome}`);

  checkBounds('chaddr', view.chaddr(), input, offset, length);
  for (let code = -1; code <= 256; code++) {
    const value = view.option(code);
    if (view.has(code) !== (value !== undefined)) throw new Error(`has(${code}) disagrees with option(${code})`);
    checkBounds(`option(${code})`, value, input, offset, length);
  }
  for (let sub = 0; sub < 256; sub++) checkBounds(`relaySubOption(${sub})`, view.relaySubOption(sub), input, offset, length);

  checkBounds('clientId', view.clientId(), input, offset, length);
  checkBounds('parameterRequestList', view.parameterRequestList(), input, offset, length);
  checkBounds('relayAgentInfo', view.relayAgentInfo(), input, offset, length);
  checkBounds('clientFqdn', view.clientFqdn(), input, offset, length);
  const numbers = [view.requestedIp(), view.serverId(), view.maxMessageSize(), view.requestedLeaseTime(), view.subnetSelection()];
  for (const n of numbers) if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) throw new Error(`getter returned ${n}`);
  view.hostName();
  view.vendorClass();
  if (outcome === DecodeOutcome.OK && view.messageType === 0) throw new Error('OK outcome without a message type');
}

const MAX_SIZES = [0, 300, 548, 576, 1472, 65535, Number.NaN];

function randomPlan(random: Random): ReplyPlan {
  const options: Array<[number, Uint8Array]> = [];
  const count = random.int(30);
  const codes = [1, 3, 6, 15, 51, 54, 43, 82, 0, 52, 53, 255, 300, -1];
  for (let i = 0; i < count; i++) {
    const code = random.next() < 0.5 ? codes[random.int(codes.length)]! : random.int(256);
    const length = random.next() < 0.1 ? random.int(700) : random.int(60);
    options.push([code, Uint8Array.from({ length }, () => random.int(256))]);
  }
  return {
    messageType: random.int(256),
    ciaddr: random.int(0x100000000),
    yiaddr: random.int(0x100000000),
    siaddr: random.int(0x100000000),
    flags: random.int(0x10000),
    sname: random.next() < 0.7 ? '' : 'srv.example',
    file: random.next() < 0.7 ? '' : 'boot/pxelinux.0',
    options,
    echoRelayAgentInfo: random.next() < 0.8,
    maxMessageSize: random.next() < 0.7 ? MAX_SIZES[random.int(MAX_SIZES.length)]! : random.int(3000),
  };
}

const SENTINEL = 0xa5;

/** Encodes one random reply, checks it, and returns whether it used overload. */
function exerciseEncoder(random: Random, view: DhcpView): boolean {
  const plan = randomPlan(random);
  const offset = random.int(100);
  const capacity = random.next() < 0.1 ? random.int(400) : 300 + random.int(1700);
  const out = new Uint8Array(offset + capacity + 50).fill(SENTINEL);
  const length = encodeReply(view, plan, out, offset, capacity);

  if (!Number.isInteger(length) || length < 0 || length > capacity) throw new Error(`length ${length} outside 0..${capacity}`);
  const maxMessageSize = plan.maxMessageSize >= 548 ? plan.maxMessageSize : 548;
  if (length > maxMessageSize) throw new Error(`length ${length} above the maximum ${maxMessageSize}`);
  for (let i = 0; i < out.length; i++) {
    if ((i < offset || i >= offset + length) && out[i] !== SENTINEL) throw new Error(`byte ${i} written outside the reply`);
  }
  if (length === 0) return false;
  if (length < 300) throw new Error(`reply of ${length} bytes is below the BOOTP minimum`);

  const reply = out.slice(offset, offset + length);
  if (reply[0] !== 2) throw new Error('op is not BOOTREPLY');
  const options = readReplyOptions(reply);
  if (options[0]?.code !== 53) throw new Error('53 is not the first option');
  for (const [code] of plan.options) {
    const isMandatory = code === 1 || code === 51 || code === 54;
    if (isMandatory && joinedOption(options, code) === undefined) throw new Error(`mandatory option ${code} dropped`);
  }
  const relayInfo = plan.echoRelayAgentInfo ? view.relayAgentInfo() : undefined;
  if (relayInfo !== undefined) {
    if (options.at(-1)?.code !== 82) throw new Error('82 is not the last option');
    const echoed = options.filter((o) => o.code === 82 && !plan.options.some(([c]) => c === 82));
    if (echoed.length > 0 && !Buffer.from(joinedOption(echoed, 82)!).equals(Buffer.from(relayInfo))) {
      throw new Error('82 not echoed verbatim');
    }
  }

  const again = new Uint8Array(offset + capacity);
  const secondLength = encodeReply(view, plan, again, offset, capacity);
  if (secondLength !== length || !Buffer.from(again.subarray(offset, offset + length)).equals(Buffer.from(reply))) {
    throw new Error('second encode differs');
  }
  return options.some((o) => o.code === 52);
}

function runFor(ms: number, body: (random: Random, iteration: number) => void): number {
  const random = makeRandom(SEED);
  const deadline = Date.now() + ms;
  let iteration = 0;
  while (Date.now() < deadline) {
    try {
      body(random, iteration);
    } catch (err) {
      throw new Error(`seed ${SEED}, iteration ${iteration}: ${(err as Error).message}`, { cause: err });
    }
    iteration++;
  }
  return iteration;
}

describe('codec fuzz: random and mutated packets', () => {
  const corpus = buildCorpus();

  it('decodes without throwing and keeps views inside the input', () => {
    const view = new DhcpView();
    const outcomes = new Set<number>();
    const iterations = runFor(PROPERTY_TIME_MS, (random) => {
      const packet = nextPacket(random, corpus);
      // Surround the packet with other bytes, as in a receive batch.
      const offset = random.int(64);
      const input = new Uint8Array(offset + packet.length + random.int(64)).fill(0xee);
      input.set(packet, offset);
      const length = random.next() < 0.05 ? packet.length + random.int(100) - 50 : packet.length;
      exerciseView(view, input, offset, length);
      outcomes.add(view.reset(input, offset, length));
    });
    expect(iterations).toBeGreaterThan(100);
    expect(outcomes.has(DecodeOutcome.OK)).toBe(true);
    expect(outcomes.size).toBeGreaterThan(4);
  });

  it('encodes a reply to every decodable packet within capacity', () => {
    const view = new DhcpView();
    let encoded = 0;
    let overloaded = 0;
    const iterations = runFor(PROPERTY_TIME_MS, (random) => {
      const packet = nextPacket(random, corpus);
      if (view.reset(packet, 0, packet.length) !== DecodeOutcome.OK) return;
      if (exerciseEncoder(random, view)) overloaded++;
      encoded++;
    });
    expect(iterations).toBeGreaterThan(100);
    expect(encoded).toBeGreaterThan(50);
    expect(overloaded).toBeGreaterThan(0);
  });
});
