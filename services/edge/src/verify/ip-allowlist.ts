import { BlockList, isIP } from 'node:net';
import type { IpAllowlistScheme } from '@switchyard/contracts';
import type { z } from 'zod';
import { refuse, type VerifyContext, type VerifyResult } from './inbound.js';

type Scheme = z.output<typeof IpAllowlistScheme>;

// Definitions are parsed once at start-up, so the parsed scheme object is a stable cache key.
const lists = new WeakMap<Scheme, BlockList>();

function allowList(scheme: Scheme): BlockList {
  let list = lists.get(scheme);
  if (!list) {
    list = new BlockList();
    for (const entry of scheme.cidrs) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) list.addAddress(address, family);
      else list.addSubnet(address, Number(prefix), family);
    }
    lists.set(scheme, list);
  }
  return list;
}

/**
 * The address as one family: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, `::ffff:c000:201`, what a
 * dual-stack socket reports) is its IPv4 address, so IPv4 CIDRs match it; a zone id is dropped.
 */
export function canonicalAddress(address: string): string {
  const plain = address.trim().replace(/%.*$/, '');
  const dotted = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (dotted?.[1]) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(plain);
  if (hex?.[1] && hex[2]) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return plain;
}

/** `ip_allowlist`: an extra check beside authentication; the sender's address must lie in a declared CIDR. */
export function verifyIpAllowlist(scheme: Scheme, ctx: VerifyContext): VerifyResult {
  const address = canonicalAddress(ctx.remoteAddress ?? '');
  const family = isIP(address);
  if (family === 0) return refuse('SWY_ERR_IP_NOT_ALLOWED', 'sender address is unknown');
  return allowList(scheme).check(address, family === 4 ? 'ipv4' : 'ipv6')
    ? { ok: true }
    : refuse('SWY_ERR_IP_NOT_ALLOWED', `sender ${address} is not in the allow-list`);
}
