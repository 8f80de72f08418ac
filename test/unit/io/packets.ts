// DHCPv4 packet builders and a seeded generator of random and malformed packets for the io tests.

export const COOKIE = [99, 130, 83, 99];

export interface PacketSpec {
  hlen?: number;
  chaddr?: number[];
  /** Bytes after the cookie (options), written as given; END is not added. */
  options?: number[];
  /** Replaces the magic cookie. */
  cookie?: number[];
  /** Total length; the packet is cut or zero-padded to it. */
  length?: number;
}

/** Builds a BOOTREQUEST with the given hlen, chaddr and raw option bytes. */
export function buildPacket(spec: PacketSpec): Uint8Array {
  const options = spec.options ?? [255];
  const packet = new Uint8Array(spec.length ?? 240 + options.length);
  const head = new Uint8Array(240 + options.length);
  head[0] = 1; // op BOOTREQUEST
  head[1] = 1; // htype Ethernet
  head[2] = spec.hlen ?? 6;
  head.set((spec.chaddr ?? [0x02, 0xaa, 0, 0, 1, 0xf4]).slice(0, 16), 28);
  head.set(spec.cookie ?? COOKIE, 236);
  head.set(options, 240);
  packet.set(head.subarray(0, Math.min(head.length, packet.length)));
  return packet;
}

/** Option bytes for a client identifier with the given payload (type byte included). */
export function clientIdOption(payload: number[]): number[] {
  return [61, payload.length, ...payload];
}

export function parseHex(text: string): number[] {
  return text.split(':').map((byte) => Number.parseInt(byte, 16));
}

/** Returns a small deterministic PRNG (mulberry32), so a failing case reproduces from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds a random packet: mostly well-formed DHCP with random options (often several option 61
 * instances), sometimes with a bad cookie, hlen above 16, options running past the end, or cut
 * below 240 bytes.
 */
export function randomPacket(random: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(random() * n);
  const bytes = (n: number): number[] => Array.from({ length: n }, () => int(256));

  const options: number[] = [];
  const optionCount = int(8);
  for (let i = 0; i < optionCount; i++) {
    const kind = int(6);
    if (kind === 0) options.push(0);
    else if (kind <= 2) options.push(...clientIdOption(bytes(int(12))));
    else options.push(1 + int(254), ...((n) => [n, ...bytes(n)])(int(10)));
  }
  if (random() < 0.3) options.push(255, ...bytes(int(6)));
  if (random() < 0.2) options.push(61, 40, ...bytes(int(20))); // runs past the end

  const spec: PacketSpec = {
    hlen: random() < 0.1 ? int(256) : int(17),
    chaddr: bytes(16),
    options,
  };
  if (random() < 0.1) spec.cookie = bytes(4);
  if (random() < 0.1) spec.length = int(260);
  return buildPacket(spec);
}
