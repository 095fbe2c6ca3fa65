import { isIPv4, isIPv6 } from 'node:net';

/**
 * The part of a client address that rate limits count by. One IPv6 customer usually holds a
 * whole /64, so counting single IPv6 addresses would hand an attacker billions of fresh
 * counters; IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 address it carries.
 */
export function rateLimitKeyOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const withoutZone = ip.split('%')[0] as string;
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) only matters past the /64, so it is never read.
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) =>
    group.toLowerCase().replace(/^0+(?=.)/, ''),
  );
}
