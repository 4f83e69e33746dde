import { describe, expect, it } from '@jest/globals';
import { cidrWithin, ipAllowed } from './cidr.js';

describe('CIDR blocks', () => {
  it('tells whether a block lies wholly inside one of some blocks', () => {
    const within = ['127.0.0.0/8', '10.1.0.0/16', '2001:db8::/32'];
    for (const inside of ['127.0.0.0/8', '127.0.0.1', '127.0.0.1/32', '10.1.2.0/24', '10.1.255.255/32', '2001:db8:1::/48', '2001:db8::1']) {
      expect([inside, cidrWithin(inside, within)]).toEqual([inside, true]);
    }
    for (const outside of ['127.0.0.0/7', '0.0.0.0/0', '10.0.0.0/8', '10.2.0.0/16', '192.168.1.1', '::/0', '::1', '2001:db9::/32', 'not-a-block', '10.1.0.0/33']) {
      expect([outside, cidrWithin(outside, within)]).toEqual([outside, false]);
    }
    expect(cidrWithin('127.0.0.1', [])).toBe(false);
  });

  it('checks addresses as the socket reports them, IPv4-mapped IPv6 included', () => {
    expect(ipAllowed('::ffff:127.0.0.1', ['127.0.0.0/8'])).toBe(true);
    expect(ipAllowed('10.0.0.1', ['127.0.0.0/8'])).toBe(false);
  });
});
