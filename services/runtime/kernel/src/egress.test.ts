import { describe, expect, it } from 'vitest';
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
