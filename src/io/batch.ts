// Batch types and meta layouts shared by the native addon (native/meta.h, byte tables atop
// native/udp.cc, native/raw_rx.cc and native/raw_tx.cc) and the TypeScript side. A batch is one
// byte buffer plus 12 uint32 meta words per datagram; addresses are IPv4 in host byte order. UDP
// sockets and AF_PACKET sockets fill the same layout; words a path has no value for are 0.

/** uint32 words per datagram in receive and send meta. */
export const META_WORDS = 12;

/** Receive meta: start of the datagram in data. */
export const RX_OFFSET = 0;
/** Receive meta: bytes stored (at most the slot size). */
export const RX_LENGTH = 1;
export const RX_SRC_ADDR = 2;
export const RX_SRC_PORT = 3;
/** Receive meta: IP destination of the datagram (IP_PKTINFO ipi_addr); 0 when unknown. */
export const RX_DST_ADDR = 4;
/** Receive meta: receiving interface index (IP_PKTINFO); 0 when unknown. */
export const RX_IFINDEX = 5;
/** Receive meta: RFC 3074 hash 0-255 of the load-balancing key, or BUCKET_NO_KEY. */
export const RX_BUCKET = 6;
/** Receive meta: RX_FLAG_* bits. */
export const RX_FLAGS = 7;
/** Receive meta: Ethernet source MAC bytes 0-1 (byte 0 in bits 8-15); 0 on the UDP path. */
export const RX_SRC_MAC_HI = 8;
/** Receive meta: Ethernet source MAC bytes 2-5 (byte 2 in bits 24-31); 0 on the UDP path. */
export const RX_SRC_MAC_LO = 9;
/** Receive meta: VLAN_PRESENT | tag control information for an 802.1Q-tagged frame, else 0. */
export const RX_VLAN = 10;
/** The datagram was longer than its slot (or than the ring frame) and was cut. */
export const RX_FLAG_TRUNCATED = 1;
/** The datagram came from an AF_PACKET socket, so RX_SRC_MAC_* and RX_VLAN are filled in. */
export const RX_FLAG_RAW = 2;
/**
 * The UDP checksum was not checked: the sender set none (0), the frame came from this host with
 * the checksum left to the hardware, or the ring frame cut the datagram.
 */
export const RX_FLAG_CHECKSUM_UNVERIFIED = 4;

/** Bit 16 of RX_VLAN and TX_VLAN: the frame carries (or gets) an 802.1Q tag; bits 0-15 are the tag. */
export const VLAN_PRESENT = 0x10000;

/** Send meta: start of the datagram in data. */
export const TX_OFFSET = 0;
export const TX_LENGTH = 1;
export const TX_DST_ADDR = 2;
export const TX_DST_PORT = 3;
/** Send meta: source address through IP_PKTINFO; 0 lets the kernel choose. */
export const TX_SRC_ADDR = 4;
/** Send meta: outgoing interface index through IP_PKTINFO; 0 for any. AF_PACKET sockets ignore it. */
export const TX_IFINDEX = 5;
/** Send meta: UDP source port of an AF_PACKET frame (67); UDP sockets send from their bound port. */
export const TX_SRC_PORT = 6;
/** Send meta: destination MAC bytes 0-1 of an AF_PACKET frame (byte 0 in bits 8-15). */
export const TX_DST_MAC_HI = 8;
/** Send meta: destination MAC bytes 2-5 of an AF_PACKET frame (byte 2 in bits 24-31). */
export const TX_DST_MAC_LO = 9;
/** Send meta: VLAN_PRESENT | tag control information to add an 802.1Q tag, else 0 (AF_PACKET only). */
export const TX_VLAN = 10;

/** MAC_HI and MAC_LO words of ff:ff:ff:ff:ff:ff. */
export const MAC_BROADCAST_HI = 0xffff;
export const MAC_BROADCAST_LO = 0xffffffff;

/** Returns the MAC_HI word (bytes 0-1) of the MAC address at bytes[offset, offset + 6). */
export function macHi(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** Returns the MAC_LO word (bytes 2-5) of the MAC address at bytes[offset, offset + 6). */
export function macLo(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset + 2]! << 24) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 8) | bytes[offset + 5]!) >>> 0;
}

/** Formats MAC_HI and MAC_LO words as aa:bb:cc:dd:ee:ff. */
export function formatMac(hi: number, lo: number): string {
  const bytes = [hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Bucket of a packet without a load-balancing key (no client identifier and hlen 0, or malformed). */
export const BUCKET_NO_KEY = 0xffff;

/** Largest number of datagrams one native receive or send call handles (kMaxBatch in native/meta.h). */
export const MAX_BATCH = 1024;

/** Received datagrams: datagram i is data[meta[i*META_WORDS+RX_OFFSET], +meta[i*META_WORDS+RX_LENGTH]). */
export interface RxBatch {
  count: number;
  data: Uint8Array;
  meta: Uint32Array;
}

/** Datagrams to send, with send meta (TX_* words). */
export interface TxBatch {
  count: number;
  data: Uint8Array;
  meta: Uint32Array;
}

/** Space handed out by TxBatchBuilder.reserve: write the datagram at buf[offset...]. */
export interface TxReservation {
  buf: Uint8Array;
  offset: number;
}

/**
 * Builds a TxBatch in reused buffers so callers encode replies straight into the send buffer:
 * reset(), then per datagram reserve(maxLen), write, commit(len, ...) or commitFrame(len, ...).
 * The builder is itself the TxBatch to pass to UdpBatchSocket.send or RawPacketSocket.send.
 */
export class TxBatchBuilder implements TxBatch {
  count = 0;
  readonly data: Uint8Array;
  readonly meta: Uint32Array;
  readonly capacity: number;

  private used = 0;
  private reservedBytes = -1;
  // One reservation object reused for every datagram, so reserve() allocates nothing.
  private readonly reservation: TxReservation;

  constructor(capacity: number, bufferBytes: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_BATCH) {
      throw new RangeError(`TxBatchBuilder capacity ${capacity} is invalid (expected 1 to ${MAX_BATCH})`);
    }
    if (!Number.isInteger(bufferBytes) || bufferBytes < 1) {
      throw new RangeError(`TxBatchBuilder bufferBytes ${bufferBytes} is invalid (expected a positive integer)`);
    }
    this.capacity = capacity;
    this.data = new Uint8Array(bufferBytes);
    this.meta = new Uint32Array(capacity * META_WORDS);
    this.reservation = { buf: this.data, offset: 0 };
  }

  reset(): void {
    this.count = 0;
    this.used = 0;
    this.reservedBytes = -1;
  }

  /**
   * Reserves maxLen bytes for the next datagram. Returns undefined when the batch is full (send it
   * and reset). The returned object is reused by the next call.
   */
  reserve(maxLen: number): TxReservation | undefined {
    if (this.count >= this.capacity || this.used + maxLen > this.data.length) return undefined;
    this.reservedBytes = maxLen;
    this.reservation.offset = this.used;
    return this.reservation;
  }

  /** Adds the datagram written at the last reservation, len bytes long, for a UDP socket. */
  commit(len: number, dstAddr: number, dstPort: number, srcAddr: number, ifindex: number): void {
    const base = this.commitCommon(len, dstAddr, dstPort, srcAddr);
    this.meta[base + TX_IFINDEX] = ifindex;
  }

  /**
   * Adds the datagram written at the last reservation, len bytes long, for an AF_PACKET socket:
   * the frame goes to the MAC address given by dstMacHi and dstMacLo (see macHi and macLo), tagged
   * when vlan has VLAN_PRESENT set.
   */
  commitFrame(
    len: number,
    dstAddr: number,
    dstPort: number,
    srcAddr: number,
    srcPort: number,
    dstMacHi: number,
    dstMacLo: number,
    vlan: number,
  ): void {
    const base = this.commitCommon(len, dstAddr, dstPort, srcAddr);
    this.meta[base + TX_SRC_PORT] = srcPort;
    this.meta[base + TX_DST_MAC_HI] = dstMacHi;
    this.meta[base + TX_DST_MAC_LO] = dstMacLo >>> 0;
    this.meta[base + TX_VLAN] = vlan;
  }

  // Checks the reservation, writes the words both socket kinds read and zeroes the others.
  // Returns the record's first word index.
  private commitCommon(len: number, dstAddr: number, dstPort: number, srcAddr: number): number {
    if (this.reservedBytes < 0) throw new RangeError('TxBatchBuilder.commit called without reserve');
    if (len < 0 || len > this.reservedBytes) {
      throw new RangeError(`TxBatchBuilder.commit length ${len} exceeds the reserved ${this.reservedBytes} bytes`);
    }

    const base = this.count * META_WORDS;
    this.meta.fill(0, base, base + META_WORDS);
    this.meta[base + TX_OFFSET] = this.used;
    this.meta[base + TX_LENGTH] = len;
    this.meta[base + TX_DST_ADDR] = dstAddr >>> 0;
    this.meta[base + TX_DST_PORT] = dstPort;
    this.meta[base + TX_SRC_ADDR] = srcAddr >>> 0;

    this.count += 1;
    this.used += len;
    this.reservedBytes = -1;
    return base;
  }
}
