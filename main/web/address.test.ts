import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { shownAddress } from './address';

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal }) as NetworkInterfaceInfo;
const interfaces = { lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)], eth0: [nic('fe80::1', 'IPv6'), nic('192.168.1.20', 'IPv4')] };

describe('the address the web host prints', () => {
  it('is the bound loopback address, without a warning', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(shownAddress(host, interfaces)).toEqual({ host, warning: null });
  });

  it('is one of the machine’s own addresses for a wildcard bind, with a warning', () => {
    expect(shownAddress('0.0.0.0', interfaces)).toEqual({ host: '192.168.1.20', warning: expect.stringMatching(/^Listening on every network interface/) });
    expect(shownAddress('::', { eth0: [nic('fe80::1', 'IPv6'), nic('2001:db8::5', 'IPv6')] }).host).toBe('2001:db8::5');
    expect(shownAddress('0.0.0.0', { lo: interfaces.lo }).host).toBe('127.0.0.1');
  });

  it('is the bound address with a warning for any other address', () => {
    expect(shownAddress('192.168.1.20', interfaces)).toEqual({ host: '192.168.1.20', warning: expect.stringMatching(/^Listening on 192\.168\.1\.20: other machines/) });
  });
});
