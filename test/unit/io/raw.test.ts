import { describe, expect, it } from 'vitest';

import { RawPacketSocket } from '../../../src/io/raw.js';
import type { RawOpenOptions } from '../../../src/io/raw.js';

// Invalid options are rejected before the addon is touched, so these run without root.
describe('RawPacketSocket.open: option checks', () => {
  it.each([
    { options: { ifname: '' }, message: 'interface name is invalid' },
    { options: { ifname: 'a-very-long-name0' }, message: 'interface name is invalid' },
    { options: { ifname: 'eth0', batchSize: 0 }, message: 'batch size 0 is invalid' },
    { options: { ifname: 'eth0', slotBytes: 512 }, message: 'slot size 512 is invalid' },
    { options: { ifname: 'eth0', blockBytes: 5000 }, message: 'ring block size 5000 is invalid' },
    { options: { ifname: 'eth0', blockCount: 0 }, message: 'ring block count 0 is invalid' },
    { options: { ifname: 'eth0', blockBytes: 1 << 20, blockCount: 2048 }, message: 'ring size 2147483648 is invalid' },
    { options: { ifname: 'eth0', frameBytes: 2050 }, message: 'ring frame size 2050 is invalid' },
    { options: { ifname: 'eth0', blockBytes: 4096, frameBytes: 8192 }, message: 'ring frame size 8192 is invalid' },
    { options: { ifname: 'eth0', blockTimeoutMs: 0 }, message: 'ring block timeout 0 ms is invalid' },
  ])('rejects $message', ({ options, message }) => {
    expect(() => RawPacketSocket.open(options as RawOpenOptions)).toThrow(message);
  });
});
