import { describe, expect, it } from 'vitest';
import { normalizeRateLimit, parseCurrent, parsePolicies, rateLimitHeaders, RateLimitSignals, type NormalizedRateLimit } from './index.js';

const result = (partial: Partial<NormalizedRateLimit>): NormalizedRateLimit => ({ throttled: false, policies: [], current: [], violated: [], ...partial });

describe('draft-11 serialization', () => {
  it('renders the suggested hub 429 exactly, pk as a Byte Sequence', () => {
    const r = result({ throttled: true, policies: [{ name: 'tenant', q: 600, w: 60 }], current: [{ name: 'tenant', r: 0, t: 12 }], violated: ['tenant'], retryAfterS: 12 });
    expect(rateLimitHeaders(r, { partitionKey: 'tenant-42' })).toEqual({
      'ratelimit-policy': '"tenant";q=600;w=60;pk=:dGVuYW50LTQy:',
      ratelimit: '"tenant";r=0;t=12;pk=:dGVuYW50LTQy:',
      'retry-after': '12',
    });
  });

  it('escapes quotes and backslashes in names and replaces what a String cannot carry', () => {
    const r = result({ policies: [{ name: 'a"b\\c', q: 1 }, { name: 'día\n', q: 2 }] });
    const field = rateLimitHeaders(r)['ratelimit-policy'];
    expect(field).toBe('"a\\"b\\\\c";q=1, "d?a?";q=2');
    expect(parsePolicies(field).map((p) => p.name)).toEqual(['a"b\\c', 'd?a?']);
  });

  it('sends only Integers: rounds, clamps negatives to 0 and huge values to 15 digits, drops w=0', () => {
    const r = result({ policies: [{ name: 'p', q: 1e20, w: 0 }], current: [{ name: 'p', r: -3, t: 1.2 }] });
    expect(rateLimitHeaders(r)).toEqual({ 'ratelimit-policy': '"p";q=999999999999999', ratelimit: '"p";r=0;t=2' });
  });

  it('omits empty fields and an unknown Retry-After; qu only when not requests', () => {
    expect(rateLimitHeaders(result({}))).toEqual({});
    const r = result({ policies: [{ name: 'bytes', q: 10, qu: 'content-bytes' }, { name: 'reqs', q: 5, qu: 'requests' }] });
    expect(rateLimitHeaders(r)['ratelimit-policy']).toBe('"bytes";q=10;qu="content-bytes", "reqs";q=5');
  });

  it('keeps a member pk over the default one; a Buffer from the shared pool is encoded by its own bytes', () => {
    const pooled = Buffer.from('acc-1');
    const r = result({ current: [{ name: 'a', r: 1, pk: new Uint8Array([1, 2, 3]) }, { name: 'b', r: 2 }] });
    expect(rateLimitHeaders(r, { partitionKey: pooled }).ratelimit).toBe('"a";r=1;pk=:AQID:, "b";r=2;pk=:YWNjLTE=:');
  });

  it('round-trips through the parser', () => {
    const r = result({ policies: [{ name: 'burst', q: 100, w: 60 }, { name: 'daily', q: 1000, w: 86400 }], current: [{ name: 'burst', r: 50, t: 30 }] });
    const h = rateLimitHeaders(r);
    expect(parsePolicies(h['ratelimit-policy'])).toEqual(r.policies);
    expect(parseCurrent(h.ratelimit)).toEqual(r.current);
  });
});

describe('reading upstream draft-11 fields (ietf-draft-11 parser)', () => {
  const signals = RateLimitSignals.parse({ compound: [{ parser: 'ietf-draft-11' }] });
  const read = (headers: Record<string, string | string[]>) => normalizeRateLimit(signals, { status: 200, headers }, 0);

  it('takes well-formed fields, split over several lines, ignoring unknown parameters', () => {
    const r = read({
      'RateLimit-Policy': ['"burst";q=100;w=60;acme-burst=5', '"daily";q=1000;w=86400'],
      RateLimit: '"burst";r=50;t=30',
    });
    expect(r.policies).toEqual([{ name: 'burst', q: 100, w: 60 }, { name: 'daily', q: 1000, w: 86400 }]);
    expect(r.current).toEqual([{ name: 'burst', r: 50, t: 30 }]);
  });

  it('ignores a malformed field as a whole, and members missing their required parameter', () => {
    expect(read({ 'ratelimit-policy': '"burst";q=100, "bad;q=1' }).policies).toEqual([]);
    expect(read({ 'ratelimit-policy': 'burst;q=100' }).policies).toEqual([]);
    expect(read({ 'ratelimit-policy': '"a";w=60, "b";q=-1, "c";q=1.5, ("d");q=1, "e";q=7;w=0' }).policies).toEqual([{ name: 'e', q: 7 }]);
    expect(read({ ratelimit: '"a";t=3, "b";r=2;t=x' }).current).toEqual([{ name: 'b', r: 2 }]);
    expect(read({ ratelimit: '"b";r=2;t=' }).current).toEqual([]);
    expect(read({ ratelimit: '"b";r=2;t=-1' }).current).toEqual([{ name: 'b', r: 2 }]);
  });

  it('keeps a partition key it was given', () => {
    expect(read({ ratelimit: '"t";r=1;pk=:AQID:' }).current[0]?.pk).toEqual(new Uint8Array([1, 2, 3]));
  });
});
