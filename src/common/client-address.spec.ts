import { rateLimitAddressKey } from './client-address.js';

describe('rateLimitAddressKey', () => {
  it('keeps an IPv4 address, also when written as IPv4-mapped IPv6', () => {
    expect(rateLimitAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitAddressKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /64 under one key, however it is written', () => {
    const key = '2001:db8:0:1::/64';
    expect(rateLimitAddressKey('2001:db8:0:1::1')).toBe(key);
    expect(rateLimitAddressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe(key);
    expect(rateLimitAddressKey('2001:DB8:0:1:a::b')).toBe(key);
    expect(rateLimitAddressKey('2001:db8:0:1::1%eth0')).toBe(key);
    expect(rateLimitAddressKey('2001:db8:0:2::1')).toBe('2001:db8:0:2::/64');
    expect(rateLimitAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitAddressKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
  });

  it('uses anything that is not an address as it is', () => {
    expect(rateLimitAddressKey('unknown')).toBe('unknown');
  });
});
