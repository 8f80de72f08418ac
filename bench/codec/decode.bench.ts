// DhcpView.reset plus the getters the engine reads for every request, on three real-client packets.

import { bench, describe } from 'vitest';

import { DhcpView } from '../../src/codec/index.js';
import { DHCLIENT_DISCOVER } from '../../test/fixtures/packets/dhclient-discover.js';
import { RELAYED_REQUEST } from '../../test/fixtures/packets/relayed-request.js';
import { UDHCPC_DISCOVER } from '../../test/fixtures/packets/udhcpc-discover.js';

const view = new DhcpView();
let sink = 0;

function decodeAndRead(packet: Uint8Array): void {
  sink ^= view.reset(packet, 0, packet.length);
  sink ^= view.xid ^ view.chaddr().length;
  sink ^= view.clientId()?.length ?? 0;
  sink ^= view.requestedIp() ?? 0;
  sink ^= view.serverId() ?? 0;
  sink ^= view.parameterRequestList()?.length ?? 0;
  sink ^= view.relaySubOption(1)?.length ?? 0;
}

describe('DhcpView.reset and getters', () => {
  bench('dhclient DISCOVER', () => decodeAndRead(DHCLIENT_DISCOVER));
  bench('udhcpc DISCOVER', () => decodeAndRead(UDHCPC_DISCOVER));
  bench('relayed REQUEST with option 82', () => decodeAndRead(RELAYED_REQUEST));
});

export { sink };
