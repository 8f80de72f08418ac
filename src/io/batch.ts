// Batch types and meta layouts shared by the native addon (native/meta.h, byte table atop
// native/udp.cc) and the TypeScript side. A batch is one byte buffer plus 8 uint32 meta words per
// datagram; addresses are IPv4 in host byte order.

/** uint32 words per datagram in receive and send meta. */
export const META_WORDS = 8;

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
/** The datagram was longer than its slot and was cut. */
export const RX_FLAG_TRUNCATED = 1;

/** Send meta: start of the datagram in data. */
export const TX_OFFSET = 0;
export const TX_LENGTH = 1;
export const TX_DST_ADDR = 2;
export const TX_DST_PORT = 3;
/** Send meta: source address through IP_PKTINFO; 0 lets the kernel choose. */
export const TX_SRC_ADDR = 4;
/** Send meta: outgoing interface index through IP_PKTINFO; 0 for any. Words 6 and 7 are reserved. */
export const TX_IFINDEX = 5;

/** Bucket of a packet without a load-balancing key (no client identifier and hlen 0, or malformed). */
export const BUCKET_NO_KEY = 0xffff;

/** Largest number of datagrams one native receive or send call handles (kMaxBatch in native/meta.h). */
export const MAX_BATCH = 1024;

/** Received datagrams: datagram i is data[meta[i*8+RX_OFFSET], +meta[i*8+RX_LENGTH]). */
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
 * reset(), then per datagram reserve(maxLen), write, commit(len, ...). The builder is itself the
 * TxBatch to pass to UdpBatchSocket.send.
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

  /** Adds the datagram written at the last reservation, len bytes long. */
  commit(len: number, dstAddr: number, dstPort: number, srcAddr: number, ifindex: number): void {
    if (this.reservedBytes < 0) throw new RangeError('TxBatchBuilder.commit called without reserve');
    if (len < 0 || len > this.reservedBytes) {
      throw new RangeError(`TxBatchBuilder.commit length ${len} exceeds the reserved ${this.reservedBytes} bytes`);
    }

    const base = this.count * META_WORDS;
    this.meta[base + TX_OFFSET] = this.used;
    this.meta[base + TX_LENGTH] = len;
    this.meta[base + TX_DST_ADDR] = dstAddr >>> 0;
    this.meta[base + TX_DST_PORT] = dstPort;
    this.meta[base + TX_SRC_ADDR] = srcAddr >>> 0;
    this.meta[base + TX_IFINDEX] = ifindex;
    this.meta[base + 6] = 0;
    this.meta[base + 7] = 0;

    this.count += 1;
    this.used += len;
    this.reservedBytes = -1;
  }
}
