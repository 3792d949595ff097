import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { isBlockedAddress } from './egress-ranges.js';
import { EgressPolicy } from './egress.js';

describe('EgressPolicy', () => {
  const policy = new EgressPolicy();

  it.each([
    ['127.0.0.1'],
    ['10.1.2.3'],
    ['172.20.0.1'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['224.0.0.1'],
    ['0.0.0.0'],
    ['::1'],
    ['fd00::1'],
    ['fe80::1'],
    ['::ffff:127.0.0.1'],
    ['::ffff:169.254.169.254'],
  ])('refuses %s by default', (address) => {
    expect(policy.refusal(address)).toMatch(/SWITCHYARD_EGRESS_ALLOW/);
  });

  it.each([['93.184.216.34'], ['2606:2800:220:1:248:1893:25c8:1946'], ['8.8.8.8']])('allows public %s', (address) => {
    expect(policy.refusal(address)).toBeUndefined();
  });

  it('allows exactly the configured CIDRs', () => {
    const loopback = new EgressPolicy(['127.0.0.0/8', '::1']);
    expect(loopback.refusal('127.0.0.1')).toBeUndefined();
    expect(loopback.refusal('::1')).toBeUndefined();
    expect(loopback.refusal('10.0.0.1')).toBeDefined();
  });

  it('checks URLs after resolution and refuses non-http schemes and embedded credentials', async () => {
    await expect(policy.assertUrlAllowed('http://localhost:9/')).rejects.toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
    await expect(policy.assertUrlAllowed('http://[::1]:9/')).rejects.toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
    await expect(policy.assertUrlAllowed('ftp://93.184.216.34/')).rejects.toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
    await expect(policy.assertUrlAllowed('https://user:pw@93.184.216.34/')).rejects.toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
    await expect(new EgressPolicy(['127.0.0.0/8', '::1']).assertUrlAllowed('http://localhost:9/')).resolves.toBeUndefined();
  });

  it('refuses bad CIDRs in configuration', () => {
    expect(() => new EgressPolicy(['10.0.0.0/33'])).toThrow(/bad prefix/);
    expect(() => new EgressPolicy(['example.com'])).toThrow(/not an address/);
  });
});

describe('EgressPolicy: https', () => {
  it('requires https for public destinations unless plain http is allowed', async () => {
    await expect(new EgressPolicy().assertUrlAllowed('http://93.184.216.34/hook')).rejects.toMatchObject({
      code: 'SWY_ERR_EGRESS_DENIED',
      message: expect.stringContaining('https is required'),
    });
    await expect(new EgressPolicy().assertUrlAllowed('https://93.184.216.34/hook')).resolves.toBeUndefined();
    await expect(new EgressPolicy([], { allowHttp: true }).assertUrlAllowed('http://93.184.216.34/hook')).resolves.toBeUndefined();
  });

  it('accepts plain http to destinations the operator allowed explicitly', async () => {
    await expect(new EgressPolicy(['127.0.0.0/8']).assertUrlAllowed('http://127.0.0.1:9/hook')).resolves.toBeUndefined();
  });
});

describe('EgressPolicy: IPv6 forms that embed or tunnel an IPv4 address', () => {
  const policy = new EgressPolicy();

  it.each([
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata address, hex form'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'IPv4-mapped loopback, uncompressed'],
    ['::127.0.0.1', 'IPv4-compatible (::/96)'],
    ['::5db8:d822', 'IPv4-compatible with a public IPv4 (deprecated, blocked whole)'],
    ['::ffff:0:7f00:1', 'SIIT IPv4-translated (::ffff:0:0:0/96)'],
    ['::ffff:0:93.184.216.34', 'SIIT IPv4-translated, dotted form'],
    ['2002:7f00:1::1', '6to4 (2002::/16)'],
    ['2002:5db8:d822::1', '6to4 with a public IPv4 (obsolete, blocked whole)'],
    ['100::1', 'discard-only (100::/64)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo (2001::/32)'],
    ['64:ff9b::7f00:1', 'NAT64 well-known prefix to loopback'],
    ['64:ff9b::10.0.0.1', 'NAT64 well-known prefix to a private address, dotted form'],
    ['64:ff9b:1::5db8:d822', 'NAT64 local-use prefix (64:ff9b:1::/48)'],
  ])('refuses %s (%s)', (address) => {
    expect(policy.refusal(address)).toMatch(/loopback, private, link-local or reserved/);
  });

  it('judges a NAT64 well-known-prefix address by the public IPv4 it reaches', () => {
    expect(policy.refusal('64:ff9b::5db8:d822')).toBeUndefined();
    expect(policy.refusal('64:ff9b::93.184.216.34')).toBeUndefined();
  });

  it('lets an IPv4 exception cover the mapped forms of the same address, not the tunnelled ones', () => {
    const loopback = new EgressPolicy(['127.0.0.1']);
    expect(loopback.refusal('::ffff:7f00:1')).toBeUndefined();
    expect(loopback.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(loopback.refusal('::127.0.0.1')).toBeDefined();
    expect(loopback.refusal('2002:7f00:1::1')).toBeDefined();
    expect(loopback.refusal('64:ff9b::7f00:1')).toBeDefined();
  });
});

describe('EgressPolicy: exceptions for one port', () => {
  const policy = new EgressPolicy(['127.0.0.1:8080', '[::1]:8080', '10.0.0.0/8:443']);

  it('reaches a listed address on its listed port only', () => {
    expect(policy.refusal('127.0.0.1', 8080)).toBeUndefined();
    expect(policy.refusal('::1', 8080)).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1', 8080)).toBeUndefined();
    expect(policy.refusal('10.9.8.7', 443)).toBeUndefined();
    expect(policy.refusal('127.0.0.1', 8081)).toMatch(/127\.0\.0\.1 port 8081 .*SWITCHYARD_EGRESS_ALLOW/);
    expect(policy.refusal('10.9.8.7', 80)).toBeDefined();
    // Without a known port only entries open on every port count.
    expect(policy.refusal('127.0.0.1')).toBeDefined();
  });

  it('checks the port of a URL, the scheme default included', async () => {
    await expect(policy.assertUrlAllowed('http://127.0.0.1:8080/hook')).resolves.toBeUndefined();
    await expect(policy.assertUrlAllowed('http://127.0.0.1:9000/hook')).rejects.toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
    await expect(policy.assertUrlAllowed('https://10.0.0.1/hook')).resolves.toBeUndefined();
    await expect(policy.assertUrlAllowed('http://10.0.0.1/hook')).rejects.toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
  });

  it('reads bare IPv6 entries (no brackets) as open on every port', () => {
    const v6 = new EgressPolicy(['2001:db8::/32', 'fd00::1', '1::1']);
    expect(v6.refusal('2001:db8::5', 443)).toBeUndefined();
    expect(v6.refusal('fd00::1', 8080)).toBeUndefined();
    expect(v6.refusal('fd00::2', 8080)).toBeDefined();
  });

  it('tells destinations reached only by an exception from public ones', async () => {
    expect(await policy.reachesException('http://127.0.0.1:8080/hook')).toBe(true);
    expect(await policy.reachesException('https://93.184.216.34/hook')).toBe(false);
    expect(await policy.reachesException('not a url')).toBe(true);
  });

  it.each([['127.0.0.1:0'], ['127.0.0.1:65536'], ['127.0.0.1:http'], ['[::1]:'], ['::1:8080x'], ['10.0.0.0/8/8']])(
    'refuses the entry %s at start-up with SWY_ERR_CONFIG_INVALID naming it',
    (entry) => {
      expect(() => new EgressPolicy([entry], { setting: 'SWITCHYARD_PROVIDER_EGRESS_ALLOW' })).toThrow(
        expect.objectContaining({ code: 'SWY_ERR_CONFIG_INVALID', detail: expect.stringMatching(new RegExp(`^SWITCHYARD_PROVIDER_EGRESS_ALLOW: .*'${entry.replace(/[[\]./]/g, '\\$&')}'`)) }),
      );
    },
  );
});

describe('the block list is ipaddr.js range classification', () => {
  // The only places we decide beyond the library (egress-ranges.ts says why).
  const ours = (ip: string) => {
    const parsed = ipaddr.parse(ip);
    if (parsed.kind() === 'ipv6') {
      const v6 = parsed as ipaddr.IPv6;
      if (v6.isIPv4MappedAddress()) return 'mapped';
      const parts = v6.parts;
      if (parts.slice(0, 6).every((x) => x === 0)) return 'compatible';
      if (parts[0] === 0x64 && parts[1] === 0xff9b && parts.slice(2, 6).every((x) => x === 0)) return 'nat64';
    }
    return undefined;
  };

  it('blocks every address the library does not call unicast, at both edges of each special range and one step outside', () => {
    const edges = [
      '0.0.0.0', '0.255.255.255', '1.0.0.0', '9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0',
      '100.63.255.255', '100.64.0.0', '100.127.255.255', '100.128.0.0', '126.255.255.255', '127.0.0.0', '127.255.255.255', '128.0.0.0',
      '169.253.255.255', '169.254.0.0', '169.254.255.255', '169.255.0.0', '172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0',
      '191.255.255.255', '192.0.0.0', '192.0.0.255', '192.0.1.0', '192.0.2.0', '192.0.2.255', '192.88.99.0', '192.167.255.255', '192.168.0.0',
      '192.168.255.255', '192.169.0.0', '198.17.255.255', '198.18.0.0', '198.19.255.255', '198.20.0.0', '198.51.100.7', '203.0.113.9',
      '223.255.255.255', '224.0.0.0', '239.255.255.255', '240.0.0.0', '255.255.255.254', '255.255.255.255',
      '::', '::1', '::2', '100::', '100::ffff:ffff:ffff:ffff', '100:0:0:1::', '2000::', '2001::', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:1::', '2001:db8::1', '2001:db9::', '2002::', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '2003::', 'fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00::', 'fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fec0::', 'ff00::',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:0:0:0', '64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', '64:ff9b:2::',
    ];
    for (const ip of edges) {
      if (ours(ip)) continue;
      expect(isBlockedAddress(ip), `${ip} is ${ipaddr.parse(ip).range()}`).toBe(ipaddr.parse(ip).range() !== 'unicast');
    }
  });

  it('agrees with the library on thousands of random IPv4 and IPv6 addresses', () => {
    for (let i = 0; i < 4_000; i++) {
      const bytes = randomBytes(16);
      const ip = i % 2 === 0 ? [...bytes.subarray(0, 4)].join('.') : ipaddr.fromByteArray([...bytes]).toString();
      if (ours(ip)) continue;
      expect(isBlockedAddress(ip), ip).toBe(ipaddr.parse(ip).range() !== 'unicast');
    }
  });

  it('blocks the four ranges the hand-typed table once missed, and judges mapped and NAT64 forms by their IPv4', () => {
    for (const ip of ['::5', '::ffff:0:5db8:d822', '2002:5db8:d822::1', '100::1']) expect(isBlockedAddress(ip), ip).toBe(true);
    expect(isBlockedAddress('::ffff:8.8.8.8')).toBe(false);
    expect(isBlockedAddress('::ffff:10.0.0.1')).toBe(true);
    expect(isBlockedAddress('64:ff9b::808:808')).toBe(false);
    expect(isBlockedAddress('64:ff9b::a00:1')).toBe(true);
    expect(isBlockedAddress('not an address')).toBe(true);
  });
});
