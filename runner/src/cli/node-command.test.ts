import { describe, expect, it } from '@jest/globals';
import { resolveAddress } from './node-command.js';

describe('node --address', () => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '10.88.0.7', family: 'IPv4', internal: false },
    ],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;

  it('takes an IP as given and detects one for auto', () => {
    expect(resolveAddress('192.0.2.1', ifaces)).toBe('192.0.2.1');
    expect(resolveAddress('auto', ifaces)).toBe('10.88.0.7');
  });

  it('refuses anything else', () => {
    expect(() => resolveAddress('', ifaces)).toThrow(/IP address or "auto"/);
    expect(() => resolveAddress('$(POD_IP)', ifaces)).toThrow(/\$\(POD_IP\)/);
    expect(() => resolveAddress('auto', { lo: ifaces.lo })).toThrow(/no non-loopback/);
  });
});
