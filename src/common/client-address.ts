import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address, as numbers (a zone index is ignored). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const embeddedIPv4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (embeddedIPv4) {
    const [a, b, c, d] = embeddedIPv4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, embeddedIPv4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const [left, right] = [parse(head), parse(tail ?? '')];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The key under which a client address is rate-limited. An IPv4 address (also written as
 * IPv4-mapped IPv6) is its own key; an IPv6 address counts by its /64 prefix, because one end site
 * is usually given a whole /64 and could otherwise rotate through 2^64 addresses, each with a fresh
 * limit. Anything else (no address) is used as it is.
 */
export function rateLimitAddressKey(address: string): string {
  if (isIPv4(address) || !isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
