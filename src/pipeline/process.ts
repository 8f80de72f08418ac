// Processes one work batch: decode each request, let the engine decide inside one lease-store
// transaction, encode the replies. The transaction commits (durably) before process() returns, so
// no reply in the result refers to a lease that is not yet on disk. Shared by the worker entry and
// by the main thread when nestor runs without workers. The main thread splits a batch into a read
// pass, which runs outside any transaction, and a write pass, which may join a group commit.

import type { Logger } from 'pino';

import { DhcpView } from '../codec/view.js';
import { encodeReply } from '../codec/encode.js';
import { MSG_DHCPDECLINE, MSG_DHCPRELEASE, MSG_DHCPREQUEST } from '../codec/constants.js';
import { DecodeOutcome } from '../codec/types.js';
import type { Engine } from '../engine/engine.js';
import type { EngineResult, Ingress } from '../engine/types.js';
import { DeliveryKind } from '../engine/types.js';
import { interfaceByIndex } from '../io/interfaces.js';
import type { LeaseStore, LeaseWriter } from '../leases/types.js';
import { logMessage } from '../log/logger.js';
import { NestorError } from '../errors.js';
import {
  MAX_REPLY_BYTES, RESULT_STRIDE, R_DELIVERY, R_DST_ADDR, R_DST_MAC_HI, R_DST_MAC_LO, R_VLAN, R_DST_PORT, R_IFINDEX, R_LENGTH, R_OFFSET,
  R_SRC_ADDR, W_DST_ADDR, W_IFINDEX, W_LENGTH, W_LOCAL_ADDR, W_OFFSET, W_SRC_ADDR, W_SRC_PORT, W_VLAN, WORK_STRIDE,
} from './batch.js';
import type { ResultBatch, WorkBatch } from './batch.js';

const DECODE_OUTCOME_NAMES: Record<number, string> = {
  [DecodeOutcome.TOO_SHORT]: 'drop-too-short',
  [DecodeOutcome.BAD_COOKIE]: 'drop-bad-cookie',
  [DecodeOutcome.NOT_BOOTREQUEST]: 'drop-not-bootrequest',
  [DecodeOutcome.BAD_HLEN]: 'drop-bad-hlen',
  [DecodeOutcome.NO_MESSAGE_TYPE]: 'drop-no-message-type',
  [DecodeOutcome.BAD_MESSAGE_TYPE]: 'drop-bad-message-type',
  [DecodeOutcome.NO_CLIENT_KEY]: 'drop-no-client-key',
};

export class BatchProcessor {
  private readonly view = new DhcpView();
  private readonly ingress: Ingress = {
    ifindex: 0, ifname: undefined, sourceAddress: 0, sourcePort: 0, destinationAddress: 0, localAddress: 0, isFailover: false,
  };
  private readonly result: EngineResult = {
    reply: undefined, delivery: { kind: DeliveryKind.BROADCAST, address: 0, port: 0 }, outcome: '', changes: [],
  };

  /** Number of requests the latest 'reads' pass left for a 'writes' pass. 0 means the batch needs no write pass. */
  writesSkipped = 0;

  /** The store as a LeaseWriter that rejects writes, for the read pass outside any transaction. */
  private readonly reader: LeaseWriter;
  /** Scratch space for the replies of one batch, grown to the largest batch seen. */
  private replyData = new Uint8Array(0);
  private replyMeta = new Uint32Array(0);

  constructor(
    private readonly engine: Engine,
    private readonly store: LeaseStore,
    private readonly log: Logger,
  ) {
    const rejectWrite = (): never => {
      throw new Error('a request of the read pass tried to write a lease; only REQUEST, DECLINE and RELEASE may write');
    };
    this.reader = {
      get: (address) => store.get(address),
      findByClientId: (subnetId, clientId) => store.findByClientId(subnetId, clientId),
      findByHwAddress: (subnetId, hwAddress) => store.findByHwAddress(subnetId, hwAddress),
      put: rejectWrite,
      remove: rejectWrite,
    };
  }

  /**
   * Decide and encode the requests of the batch inside one committed transaction. `only` restricts
   * the pass to requests that never write a lease (DISCOVER, INFORM and anything dropped at decode)
   * or to those that may (REQUEST, DECLINE, RELEASE); the inline path runs the read pass first and
   * sends its OFFERs at once, so they do not wait for the fsync of the other pass's commit.
   */
  process(batch: WorkBatch, only: 'reads' | 'writes' | undefined = undefined): ResultBatch {
    let result: ResultBatch | undefined;
    try {
      // DISCOVER and INFORM only read, so they need neither the writer lock nor a commit.
      if (only === 'reads') return this.decideBatch(batch, only, this.reader);
      this.store.transact((tx) => {
        result = this.decideBatch(batch, only, tx);
      });
    } catch (err) {
      return failedResult(batch.count, err);
    }
    return result!;
  }

  /**
   * Decides and encodes the requests of the batch inside a transaction the caller opened and
   * commits (see CommitGroup). The result must not be sent before that commit succeeds.
   */
  decideBatch(batch: WorkBatch, only: 'reads' | 'writes' | undefined, tx: LeaseWriter): ResultBatch {
    // Replies are encoded into buffers kept for the next batch. The result gets copies of the used
    // part, so a batch whose replies wait for the partner does not pin a buffer of the largest size.
    if (this.replyData.length < batch.count * MAX_REPLY_BYTES) {
      this.replyData = new Uint8Array(batch.count * MAX_REPLY_BYTES);
      this.replyMeta = new Uint32Array(batch.count * RESULT_STRIDE);
    }
    const data = this.replyData;
    const meta = this.replyMeta;
    const outcomes: Record<string, number> = {};
    const changes = this.result.changes;
    const owners: number[] = [];
    let replies = 0;
    let used = 0;
    changes.length = 0;
    this.writesSkipped = 0;

    for (let i = 0; i < batch.count; i++) {
      const row = i * WORK_STRIDE;
      if (only !== undefined && this.isWriting(batch, row) !== (only === 'writes')) {
        if (only === 'reads') this.writesSkipped++;
        continue;
      }
      const outcome = this.decide(batch, row, tx);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      const length = this.result.reply === undefined ? 0 : encodeReply(this.view, this.result.reply, data, used, MAX_REPLY_BYTES);
      // Each change of this request belongs to the reply about to be written, if there is one.
      while (owners.length < changes.length) owners.push(length === 0 ? -1 : replies);
      if (this.result.reply === undefined) continue;
      if (length === 0) {
        outcomes['drop-reply-too-large'] = (outcomes['drop-reply-too-large'] ?? 0) + 1;
        continue;
      }
      const out = replies * RESULT_STRIDE;
      meta[out + R_OFFSET] = used;
      meta[out + R_LENGTH] = length;
      meta[out + R_DST_ADDR] = this.result.delivery.address;
      meta[out + R_DST_PORT] = this.result.delivery.port;
      meta[out + R_SRC_ADDR] = batch.meta[row + W_LOCAL_ADDR];
      meta[out + R_IFINDEX] = batch.meta[row + W_IFINDEX];
      meta[out + R_DELIVERY] = this.result.delivery.kind;
      meta[out + R_VLAN] = batch.meta[row + W_VLAN];
      this.writeDestinationMac(meta, out);
      used += length;
      replies++;
    }
    return {
      count: replies,
      data: data.slice(0, used),
      meta: meta.slice(0, replies * RESULT_STRIDE),
      changes: changes.slice(),
      changeOwners: owners,
      outcomes,
      error: undefined,
    };
  }

  /** True when the request may write a lease: a decodable REQUEST, DECLINE or RELEASE. */
  private isWriting(batch: WorkBatch, row: number): boolean {
    if (this.view.reset(batch.data, batch.meta[row + W_OFFSET], batch.meta[row + W_LENGTH]) !== DecodeOutcome.OK) return false;
    const type = this.view.messageType;
    return type === MSG_DHCPREQUEST || type === MSG_DHCPDECLINE || type === MSG_DHCPRELEASE;
  }

  /** Destination MAC for link-layer delivery: the client's chaddr for YIADDR, all ones for BROADCAST. */
  private writeDestinationMac(meta: Uint32Array, out: number): void {
    const kind = this.result.delivery.kind;
    if (kind === DeliveryKind.BROADCAST) {
      meta[out + R_DST_MAC_HI] = 0xffff;
      meta[out + R_DST_MAC_LO] = 0xffffffff;
      return;
    }
    const chaddr = this.view.chaddr();
    if (kind !== DeliveryKind.YIADDR || chaddr.length !== 6) {
      meta[out + R_DST_MAC_HI] = 0;
      meta[out + R_DST_MAC_LO] = 0;
      return;
    }
    meta[out + R_DST_MAC_HI] = (chaddr[0] << 8) | chaddr[1];
    meta[out + R_DST_MAC_LO] = ((chaddr[2] << 24) | (chaddr[3] << 16) | (chaddr[4] << 8) | chaddr[5]) >>> 0;
  }

  private decide(batch: WorkBatch, row: number, tx: LeaseWriter): string {
    this.result.reply = undefined;
    const decoded = this.view.reset(batch.data, batch.meta[row + W_OFFSET], batch.meta[row + W_LENGTH]);
    if (decoded !== DecodeOutcome.OK) {
      if (this.log.isLevelEnabled('debug')) {
        logMessage(this.log, 'PIPELINE_PACKET_MALFORMED', { reason: DECODE_OUTCOME_NAMES[decoded] });
      }
      return DECODE_OUTCOME_NAMES[decoded] ?? 'drop-malformed';
    }

    const ingress = this.ingress;
    ingress.ifindex = batch.meta[row + W_IFINDEX];
    ingress.ifname = ingress.ifindex === 0 ? undefined : interfaceByIndex(ingress.ifindex)?.name;
    ingress.sourceAddress = batch.meta[row + W_SRC_ADDR];
    ingress.sourcePort = batch.meta[row + W_SRC_PORT];
    ingress.destinationAddress = batch.meta[row + W_DST_ADDR];
    ingress.localAddress = batch.meta[row + W_LOCAL_ADDR];
    ingress.isFailover = batch.isFailover;

    this.engine.handle(this.view, ingress, batch.nowSec, tx, this.result);
    return this.result.outcome;
  }
}

/** Builds the result of a batch whose transaction rolled back. Nothing of it is stored, so no reply may leave. */
export function failedResult(count: number, err: unknown): ResultBatch {
  const code = err instanceof NestorError ? err.code : 'NESTOR_ERR_LEASES_WRITE';
  const message = err instanceof Error ? err.message : String(err);
  return {
    count: 0, data: new Uint8Array(0), meta: new Uint32Array(0), changes: [], changeOwners: [],
    outcomes: { 'drop-commit-failed': count }, error: { code, message },
  };
}
