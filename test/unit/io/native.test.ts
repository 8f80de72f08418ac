import { describe, expect, it } from 'vitest';

import { errnoName, nativeSocketError, rawSocketError } from '../../../src/io/native.js';

describe('nativeSocketError: errno table', () => {
  it.each([
    { rc: -13, errno: 'EACCES', hint: 'CAP_NET_BIND_SERVICE' },
    { rc: -98, errno: 'EADDRINUSE', hint: 'another DHCP server' },
    { rc: -99, errno: 'EADDRNOTAVAIL', hint: 'not assigned to any local interface' },
    { rc: -19, errno: 'ENODEV', hint: 'interface not found' },
    { rc: -1, errno: 'EPERM', hint: 'CAP_NET_RAW' },
    { rc: -24, errno: 'EMFILE', hint: 'ulimit -n' },
  ])('explains $errno', ({ rc, errno, hint }) => {
    const err = nativeSocketError(rc, "udp socket '0.0.0.0:67'", 'open');
    expect(err.code).toBe('NESTOR_ERR_NATIVE_SOCKET');
    expect(err.data).toEqual({ errno, rc });
    expect(err.message).toContain(`udp socket '0.0.0.0:67': open failed with ${errno}: `);
    expect(err.message).toContain(hint);
  });

  it('gives a generic hint for other errno values', () => {
    expect(nativeSocketError(-110, 's', 'open').message).toBe(
      's: open failed with ETIMEDOUT: the system call failed; check the address, port and interface',
    );
  });

  it('names an errno that the platform table lacks by number', () => {
    expect(errnoName(-9999)).toBe('E9999');
  });
});

describe('rawSocketError: errno table', () => {
  it.each([
    { rc: -1, errno: 'EPERM', hint: 'setcap cap_net_raw,cap_net_bind_service+ep $(which node)' },
    { rc: -13, errno: 'EACCES', hint: "dhcp-socket-type 'udp'" },
    { rc: -19, errno: 'ENODEV', hint: 'interface not found' },
    { rc: -100, errno: 'ENETDOWN', hint: 'ip link set eth1 up' },
    { rc: -12, errno: 'ENOMEM', hint: 'smaller ring' },
    { rc: -93, errno: 'EPROTONOSUPPORT', hint: 'not an Ethernet interface' },
    { rc: -24, errno: 'EMFILE', hint: 'ulimit -n' },
  ])('explains $errno', ({ rc, errno, hint }) => {
    const err = rawSocketError(rc, 'eth1', 'open');
    expect(err.code).toBe('NESTOR_ERR_NATIVE_SOCKET');
    expect(err.data).toEqual({ errno, rc });
    expect(err.message).toContain(`raw socket on interface 'eth1': open failed with ${errno}: `);
    expect(err.message).toContain(hint);
  });
});
