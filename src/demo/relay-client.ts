// A small relay-agent client for the demo and the integration tests: it plays N clients behind one
// relay agent, each doing DISCOVER → OFFER → REQUEST → ACK, with retransmission on timeout. Requests
// carry option 82 with a circuit-id, optionally link selection (RFC 3527), and the RFC 8357 relay
// source port sub-option, so the server answers to this socket's own port instead of port 67 and
// the client needs no privileges. Every ACK is reported as it arrives.

import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

import { ipToString, macToString, parseIp } from '../codec/addr.js';
import { DecodeOutcome } from '../codec/types.js';
import { buildRequest } from '../codec/request-builder.js';
import { MSG_DHCPACK, MSG_DHCPDISCOVER, MSG_DHCPNAK, MSG_DHCPOFFER, MSG_DHCPREQUEST } from '../codec/constants.js';
import { ReplyReader } from './reply-reader.js';

export interface RelayClientOptions {
  server: string;
  serverPort: number;
  /** Address of this relay agent: the giaddr, and the address the socket binds to. */
  giaddr: string;
  /** Link-selection sub-option (82.5) naming the clients' subnet; omitted when undefined. */
  linkSelection?: string;
  clients: number;
  /** Exchanges in flight at once. */
  concurrency: number;
  /** First MAC address as a number; client i uses base + i. */
  macBase: number;
  timeoutMs: number;
  retries: number;
  /** Called for every ACK, in arrival order. */
  onAck?: (ack: AckRecord) => void;
}

export interface AckRecord {
  mac: string;
  ip: string;
  /** Milliseconds from the first DISCOVER to the ACK. */
  exchangeMs: number;
}

export interface RelayRunResult {
  acks: AckRecord[];
  naks: number;
  failed: number;
  durationMs: number;
}

interface Exchange {
  index: number;
  mac: Uint8Array;
  xid: number;
  stage: 'discover' | 'request';
  offered: number;
  serverId: number;
  tries: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

const RELAY_PORT_SUBOPTION = 19;

/** Run all exchanges and resolve when every client got an ACK, a NAK or ran out of retries. */
export function runRelayClients(opts: RelayClientOptions): Promise<RelayRunResult> {
  const giaddr = parseIp(opts.giaddr);
  const link = opts.linkSelection === undefined ? undefined : parseIp(opts.linkSelection);
  if (giaddr === undefined) throw new Error(`relay client: giaddr '${opts.giaddr}' is not an IPv4 address`);

  const socket = createSocket({ type: 'udp4', reuseAddr: false });
  const reader = new ReplyReader();
  const pending = new Map<number, Exchange>();
  const result: RelayRunResult = { acks: [], naks: 0, failed: 0, durationMs: 0 };
  const started = Date.now();
  let next = 0;
  let finished = 0;

  return new Promise((resolve, reject) => {
    const finishOne = (ex: Exchange): void => {
      clearTimeout(ex.timer);
      pending.delete(ex.xid);
      finished++;
      if (finished === opts.clients) {
        result.durationMs = Date.now() - started;
        socket.close();
        resolve(result);
        return;
      }
      startNext();
    };

    const send = (ex: Exchange): void => {
      const relayInfo = agentOptions(ex.index, link);
      const options: Array<[number, Uint8Array | number[]]> = [[55, [1, 3, 6, 15, 51, 54]]];
      if (ex.stage === 'request') {
        options.push([50, ipBytes(ex.offered)], [54, ipBytes(ex.serverId)]);
      }
      options.push([82, relayInfo]);
      const packet = buildRequest({
        messageType: ex.stage === 'discover' ? MSG_DHCPDISCOVER : MSG_DHCPREQUEST,
        xid: ex.xid, chaddr: ex.mac, giaddr, hops: 1, options,
      });
      socket.send(packet, opts.serverPort, opts.server);
      ex.timer = setTimeout(() => retry(ex), opts.timeoutMs);
    };

    const retry = (ex: Exchange): void => {
      ex.tries++;
      if (ex.tries > opts.retries) {
        result.failed++;
        finishOne(ex);
        return;
      }
      send(ex);
    };

    const startNext = (): void => {
      while (pending.size < opts.concurrency && next < opts.clients) {
        const index = next++;
        const ex: Exchange = {
          index, mac: macFor(opts.macBase + index), xid: (0x4e000000 + index) >>> 0, stage: 'discover',
          offered: 0, serverId: 0, tries: 0, startedAt: Date.now(), timer: undefined,
        };
        pending.set(ex.xid, ex);
        send(ex);
      }
    };

    socket.on('message', (msg) => {
      if (reader.read(msg) !== DecodeOutcome.OK) return;
      const ex = pending.get(reader.xid);
      if (!ex) return;
      if (reader.messageType === MSG_DHCPOFFER && ex.stage === 'discover') {
        clearTimeout(ex.timer);
        ex.stage = 'request';
        ex.offered = reader.yiaddr;
        ex.serverId = reader.serverId ?? 0;
        ex.tries = 0;
        send(ex);
      } else if (reader.messageType === MSG_DHCPACK && ex.stage === 'request') {
        const ack = { mac: macToString(ex.mac), ip: ipToString(reader.yiaddr), exchangeMs: Date.now() - ex.startedAt };
        result.acks.push(ack);
        opts.onAck?.(ack);
        finishOne(ex);
      } else if (reader.messageType === MSG_DHCPNAK) {
        result.naks++;
        finishOne(ex);
      }
    });
    socket.on('error', reject);
    socket.bind({ address: opts.giaddr, port: 0 }, () => {
      if (opts.clients === 0) {
        socket.close();
        resolve(result);
        return;
      }
      startNext();
    });
  });
}

/** Option 82: circuit-id "relay-client/<i>", link selection when given, relay source port (RFC 8357, no data). */
function agentOptions(index: number, link: number | undefined): number[] {
  const circuit = Array.from(Buffer.from(`relay-client/${index}`));
  const bytes = [1, circuit.length, ...circuit];
  if (link !== undefined) bytes.push(5, 4, ...ipBytes(link));
  bytes.push(RELAY_PORT_SUBOPTION, 0);
  return bytes;
}

function macFor(n: number): Uint8Array {
  const mac = new Uint8Array(6);
  mac[0] = 0x02;
  for (let i = 5; i >= 1; i--) {
    mac[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return mac;
}

function ipBytes(ip: number): number[] {
  return [(ip >>> 24) & 0xff, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff];
}

export type { Socket };
