import { BlockList, isIP } from 'node:net';

/** An address family as `net.BlockList` names it. */
export type Family = 'ipv4' | 'ipv6';

/**
 * Ranges no outbound call may reach unless explicitly allowed: loopback, private, link-local (cloud
 * metadata lives at 169.254.169.254), CGNAT, multicast, reserved, unspecified, and their IPv6
 * counterparts, including every IPv6 form that embeds or tunnels an IPv4 address.
 */
const BLOCKED: ReadonlyArray<readonly [string, number, Family]> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  // ::/96 (IPv4-compatible, deprecated) also covers :: and ::1.
  ['::', 96, 'ipv6'],
  // SIIT IPv4-translated addresses: only meaningful inside a translator's network.
  ['::ffff:0:0:0', 96, 'ipv6'],
  ['100::', 64, 'ipv6'],
  // Teredo and 6to4 tunnel to an IPv4 address of somebody's choosing; both are obsolete on the Internet.
  ['2001::', 32, 'ipv6'],
  ['2002::', 16, 'ipv6'],
  // NAT64 local-use prefix: its IPv4 embedding depends on the operator's prefix length, so block it whole.
  ['64:ff9b:1::', 48, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** A block list of the given ranges. */
export function toBlockList(cidrs: ReadonlyArray<readonly [string, number, Family]>): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of cidrs) list.addSubnet(address, prefix, family);
  return list;
}

const blocked = toBlockList(BLOCKED);

/** The 8 hextets of an IPv6 address (dotted IPv4 tails included), or undefined if it is not one. */
export function ipv6Hextets(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => parseInt(h, 16));
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * The address a connection to `address` really reaches, as one family: an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`, what a dual-stack socket reports) is its IPv4 address; a zone
 * id is dropped; anything else is returned as it is.
 */
export function canonicalIp(address: string): string {
  const plain = address.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const h = ipv6Hextets(plain);
  if (h && h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff) return ipv4Of(h[6]!, h[7]!);
  return plain;
}

/**
 * The IPv4 address a NAT64 gateway would translate a well-known-prefix address (`64:ff9b::/96`) to,
 * so `64:ff9b::7f00:1` is judged as 127.0.0.1 and `64:ff9b::5db8:d822` as the public 93.184.216.34.
 */
function nat64Target(hextets: number[]): string | undefined {
  const [a, b, ...rest] = hextets;
  if (a === 0x64 && b === 0xff9b && rest.slice(0, 4).every((x) => x === 0)) return ipv4Of(rest[4]!, rest[5]!);
  return undefined;
}

/** Whether an address lies in the block list, judging embedded IPv4 forms by the IPv4 they reach. */
export function isBlockedAddress(address: string): boolean {
  const ip = canonicalIp(address);
  const version = isIP(ip);
  if (version === 4) return blocked.check(ip, 'ipv4');
  if (blocked.check(ip, 'ipv6')) return true;
  const nat64 = nat64Target(ipv6Hextets(ip) ?? []);
  return nat64 !== undefined && blocked.check(nat64, 'ipv4');
}
