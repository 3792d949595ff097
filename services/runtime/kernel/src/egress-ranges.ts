import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** An address family as `net.BlockList` names it. */
export type Family = 'ipv4' | 'ipv6';

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

/**
 * Whether an address may not be reached: anything ipaddr.js does not classify as `unicast` — loopback,
 * private, link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT, multicast,
 * broadcast, reserved and documentation ranges, unique-local, discard-only, 6to4, Teredo, SIIT, ORCHID
 * and the other special-purpose registries it keeps up to date. ipaddr.js decides the ranges; two
 * decisions stay here because the library cannot make them: an IPv4-mapped address is judged by the
 * IPv4 it reaches (dual-stack sockets report them), and a NAT64 address of the well-known prefix
 * `64:ff9b::/96` by the IPv4 its gateway translates it to, while the local-use prefix `64:ff9b:1::/48`
 * (operator-chosen embedding) is refused whole. IPv4-compatible addresses (`::/96`, deprecated) are
 * refused whole too: ipaddr.js calls most of them unicast.
 */
export function isBlockedAddress(address: string): boolean {
  const ip = canonicalIp(address);
  if (!ipaddr.isValid(ip)) return true;
  const parsed = ipaddr.parse(ip);
  if (parsed.kind() === 'ipv4') return parsed.range() !== 'unicast';
  const hextets = ipv6Hextets(ip) ?? [];
  if (hextets.slice(0, 6).every((x) => x === 0)) return true;
  const nat64 = nat64Target(hextets);
  if (nat64 !== undefined) return isBlockedAddress(nat64);
  return parsed.range() !== 'unicast';
}
