// Egress: carries out the delivery the engine decided for each reply of a result batch. Replies to a
// relay (giaddr) or to a client's ciaddr go through the UDP socket of the receiving interface, where
// the kernel routes and resolves the next hop. Broadcasts and unicasts to a client without an address
// (yiaddr + chaddr) go through the interface's raw packet socket when there is one; without it they
// fall back to an IP broadcast on the UDP socket, which RFC 2131 §4.1 allows when unicast to the
// client is not possible. One send call per socket per result batch; the reply bytes are not copied.

import { DeliveryKind } from '../engine/types.js';
import {
  R_DELIVERY, R_DST_ADDR, R_DST_MAC_HI, R_DST_MAC_LO, R_DST_PORT, R_IFINDEX, R_LENGTH, R_OFFSET, R_SRC_ADDR, RESULT_STRIDE,
} from '../pipeline/batch.js';
import type { ResultBatch } from '../pipeline/batch.js';
import { META_WORDS, TX_DST_ADDR, TX_DST_PORT, TX_IFINDEX, TX_LENGTH, TX_OFFSET, TX_SRC_ADDR } from './batch.js';
import type { TxBatch } from './batch.js';

const BROADCAST = 0xffffffff;

/** Anything that sends a batch of UDP payloads and returns how many left (or -errno). */
export interface DatagramSender {
  send(tx: TxBatch): number;
}

/** A raw packet socket: sends UDP payloads wrapped in Ethernet/IPv4/UDP frames built natively. */
export interface FrameSender extends DatagramSender {
  /** Write the send meta of one frame at word `base` of `meta`. */
  writeFrameMeta(meta: Uint32Array, base: number, frame: FrameMeta): void;
  /** uint32 words per frame in the send meta. */
  readonly metaWords: number;
}

export interface FrameMeta {
  offset: number;
  length: number;
  dstAddr: number;
  dstPort: number;
  srcAddr: number;
  dstMacHi: number;
  dstMacLo: number;
}

export interface EgressCounters {
  sent: number;
  sendErrors: number;
  /** Replies whose receiving interface has no socket any more (it was removed or is being reopened). */
  noSocket: number;
}

interface Lane {
  sender: DatagramSender;
  isRaw: boolean;
  rows: number[];
}

export class Egress {
  readonly counters: EgressCounters = { sent: 0, sendErrors: 0, noSocket: 0 };
  private readonly frame: FrameMeta = { offset: 0, length: 0, dstAddr: 0, dstPort: 0, srcAddr: 0, dstMacHi: 0, dstMacLo: 0 };

  constructor(
    private readonly udp: ReadonlyMap<number, DatagramSender>,
    private readonly raw: ReadonlyMap<number, FrameSender>,
  ) {}

  /** Send every reply of the batch through the socket its delivery calls for. */
  send(result: ResultBatch): void {
    const lanes = new Map<DatagramSender, Lane>();
    for (let i = 0; i < result.count; i++) {
      const row = i * RESULT_STRIDE;
      const lane = this.laneFor(result.meta, row, lanes);
      if (lane) lane.rows.push(row);
      else this.counters.noSocket++;
    }
    for (const lane of lanes.values()) this.flush(result, lane);
  }

  private laneFor(meta: Uint32Array, row: number, lanes: Map<DatagramSender, Lane>): Lane | undefined {
    const ifindex = meta[row + R_IFINDEX];
    const kind = meta[row + R_DELIVERY];
    const linkLayer = kind === DeliveryKind.BROADCAST || kind === DeliveryKind.YIADDR;
    const rawSender = linkLayer ? this.raw.get(ifindex) : undefined;
    const sender: DatagramSender | undefined = rawSender ?? this.udp.get(ifindex) ?? (this.udp.size === 1 ? this.udp.values().next().value : undefined);
    if (!sender) return undefined;

    let lane = lanes.get(sender);
    if (!lane) {
      lane = { sender, isRaw: rawSender !== undefined, rows: [] };
      lanes.set(sender, lane);
    }
    return lane;
  }

  private flush(result: ResultBatch, lane: Lane): void {
    const tx: TxBatch = lane.isRaw ? this.rawBatch(result, lane) : this.udpBatch(result, lane);
    const sent = lane.sender.send(tx);
    if (sent < 0) this.counters.sendErrors += lane.rows.length;
    else {
      this.counters.sent += sent;
      this.counters.sendErrors += lane.rows.length - sent;
    }
  }

  private udpBatch(result: ResultBatch, lane: Lane): TxBatch {
    const meta = new Uint32Array(lane.rows.length * META_WORDS);
    lane.rows.forEach((row, i) => {
      const base = i * META_WORDS;
      const kind = result.meta[row + R_DELIVERY];
      const linkLayer = kind === DeliveryKind.BROADCAST || kind === DeliveryKind.YIADDR;
      meta[base + TX_OFFSET] = result.meta[row + R_OFFSET];
      meta[base + TX_LENGTH] = result.meta[row + R_LENGTH];
      meta[base + TX_DST_ADDR] = linkLayer ? BROADCAST : result.meta[row + R_DST_ADDR];
      meta[base + TX_DST_PORT] = result.meta[row + R_DST_PORT];
      meta[base + TX_SRC_ADDR] = result.meta[row + R_SRC_ADDR];
      meta[base + TX_IFINDEX] = result.meta[row + R_IFINDEX];
    });
    return { count: lane.rows.length, data: result.data, meta };
  }

  private rawBatch(result: ResultBatch, lane: Lane): TxBatch {
    const sender = lane.sender as FrameSender;
    const meta = new Uint32Array(lane.rows.length * sender.metaWords);
    const f = this.frame;
    lane.rows.forEach((row, i) => {
      const kind = result.meta[row + R_DELIVERY];
      f.offset = result.meta[row + R_OFFSET];
      f.length = result.meta[row + R_LENGTH];
      f.dstAddr = kind === DeliveryKind.BROADCAST ? BROADCAST : result.meta[row + R_DST_ADDR];
      f.dstPort = result.meta[row + R_DST_PORT];
      f.srcAddr = result.meta[row + R_SRC_ADDR];
      f.dstMacHi = result.meta[row + R_DST_MAC_HI];
      f.dstMacLo = result.meta[row + R_DST_MAC_LO];
      sender.writeFrameMeta(meta, i * sender.metaWords, f);
    });
    return { count: lane.rows.length, data: result.data, meta };
  }
}
