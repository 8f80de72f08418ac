// Egress: carries out the delivery the engine decided for each reply of a result batch. Replies to a
// relay (giaddr) or to a client's ciaddr go through the UDP socket of the receiving interface, where
// the kernel routes and resolves the next hop. Broadcasts and unicasts to a client without an address
// (yiaddr + chaddr) go out as frames on the interface's raw packet socket when there is one; without
// it they fall back to an IP broadcast on the UDP socket, which RFC 2131 §4.1 allows when unicast to
// the client is not possible. One send call per socket per result batch; reply bytes are not copied.

import { DeliveryKind } from '../engine/types.js';
import {
  R_DELIVERY, R_DST_ADDR, R_DST_MAC_HI, R_DST_MAC_LO, R_DST_PORT, R_IFINDEX, R_LENGTH, R_OFFSET, R_SRC_ADDR, R_VLAN,
  RESULT_STRIDE,
} from '../pipeline/batch.js';
import type { ResultBatch } from '../pipeline/batch.js';
import {
  META_WORDS, TX_DST_ADDR, TX_DST_MAC_HI, TX_DST_MAC_LO, TX_DST_PORT, TX_IFINDEX, TX_LENGTH, TX_OFFSET, TX_SRC_ADDR,
  TX_SRC_PORT, TX_VLAN,
} from './batch.js';
import type { TxBatch } from './batch.js';

const BROADCAST = 0xffffffff;

/** A UDP or raw packet socket: sends a batch in the send layout of batch.ts and returns how many left (or -errno). */
export interface BatchSender {
  send(tx: TxBatch): number;
}

export interface EgressCounters {
  sent: number;
  sendErrors: number;
  /** Replies whose receiving interface has no socket any more (it was removed or is being reopened). */
  noSocket: number;
}

interface Lane {
  sender: BatchSender;
  isRaw: boolean;
  rows: number[];
}

export class Egress {
  readonly counters: EgressCounters = { sent: 0, sendErrors: 0, noSocket: 0 };

  /**
   * udp and raw map interface indexes to sockets; both maps are read at each send, so the owner may
   * remove a broken raw socket and add its replacement later. serverPort is the source port of frames.
   */
  constructor(
    private readonly udp: ReadonlyMap<number, BatchSender>,
    private readonly raw: ReadonlyMap<number, BatchSender>,
    private readonly serverPort: number,
  ) {}

  /** Send every reply of the batch through the socket its delivery calls for. */
  send(result: ResultBatch): void {
    const lanes = new Map<BatchSender, Lane>();
    for (let i = 0; i < result.count; i++) {
      const row = i * RESULT_STRIDE;
      const lane = this.laneFor(result.meta, row, lanes);
      if (lane) lane.rows.push(row);
      else this.counters.noSocket++;
    }
    for (const lane of lanes.values()) this.flush(result, lane);
  }

  private laneFor(meta: Uint32Array, row: number, lanes: Map<BatchSender, Lane>): Lane | undefined {
    const ifindex = meta[row + R_IFINDEX];
    const rawSender = isLinkLayer(meta[row + R_DELIVERY]) ? this.raw.get(ifindex) : undefined;
    const udpSender = this.udp.get(ifindex) ?? (this.udp.size === 1 ? this.udp.values().next().value : undefined);
    const sender = rawSender ?? udpSender;
    if (!sender) return undefined;

    let lane = lanes.get(sender);
    if (!lane) {
      lane = { sender, isRaw: rawSender !== undefined, rows: [] };
      lanes.set(sender, lane);
    }
    return lane;
  }

  private flush(result: ResultBatch, lane: Lane): void {
    const meta = new Uint32Array(lane.rows.length * META_WORDS);
    lane.rows.forEach((row, i) => this.writeSendMeta(result.meta, row, meta, i * META_WORDS, lane.isRaw));

    const sent = lane.sender.send({ count: lane.rows.length, data: result.data, meta });
    if (sent < 0) {
      this.counters.sendErrors += lane.rows.length;
      return;
    }
    this.counters.sent += sent;
    this.counters.sendErrors += lane.rows.length - sent;
  }

  private writeSendMeta(from: Uint32Array, row: number, to: Uint32Array, base: number, isRaw: boolean): void {
    const kind = from[row + R_DELIVERY];
    to[base + TX_OFFSET] = from[row + R_OFFSET];
    to[base + TX_LENGTH] = from[row + R_LENGTH];
    to[base + TX_DST_ADDR] = kind === DeliveryKind.BROADCAST || (!isRaw && isLinkLayer(kind)) ? BROADCAST : from[row + R_DST_ADDR];
    to[base + TX_DST_PORT] = from[row + R_DST_PORT];
    to[base + TX_SRC_ADDR] = from[row + R_SRC_ADDR];
    to[base + TX_IFINDEX] = from[row + R_IFINDEX];
    if (!isRaw) return;
    to[base + TX_SRC_PORT] = this.serverPort;
    to[base + TX_DST_MAC_HI] = from[row + R_DST_MAC_HI];
    to[base + TX_DST_MAC_LO] = from[row + R_DST_MAC_LO];
    to[base + TX_VLAN] = from[row + R_VLAN];
  }
}

function isLinkLayer(kind: number): boolean {
  return kind === DeliveryKind.BROADCAST || kind === DeliveryKind.YIADDR;
}
