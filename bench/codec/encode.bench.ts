// encodeReply into a reused buffer: a typical OFFER, and one that must overload at 548 bytes.

import { bench, describe } from 'vitest';

import { DhcpView, encodeReply, type ReplyPlan } from '../../src/codec/index.js';
import { RELAYED_REQUEST } from '../../test/fixtures/packets/relayed-request.js';

const view = new DhcpView();
view.reset(RELAYED_REQUEST, 0, RELAYED_REQUEST.length);
const out = new Uint8Array(1500);

const typical: ReplyPlan = {
  messageType: 2,
  ciaddr: 0,
  yiaddr: 0xc6120564,
  siaddr: 0,
  flags: 0,
  sname: '',
  file: '',
  options: [
    [54, Uint8Array.of(198, 18, 1, 1)],
    [51, Uint8Array.of(0, 0, 0x0e, 0x10)],
    [1, Uint8Array.of(255, 255, 255, 0)],
    [3, Uint8Array.of(198, 18, 5, 1)],
    [6, Uint8Array.of(198, 18, 0, 53)],
    [15, new TextEncoder().encode('kc.example')],
  ],
  echoRelayAgentInfo: true,
  maxMessageSize: 1472,
};

const overloaded: ReplyPlan = {
  ...typical,
  options: [...typical.options, ...Array.from({ length: 8 }, (_, i): [number, Uint8Array] => [200 + i, new Uint8Array(40)])],
  maxMessageSize: 548,
};

describe('encodeReply', () => {
  bench('OFFER with six options and 82', () => {
    encodeReply(view, typical, out, 0, out.length);
  });
  bench('OFFER overloaded into file at 548 bytes', () => {
    encodeReply(view, overloaded, out, 0, out.length);
  });
});
