import { describe, expect, it } from 'vitest';
import { normalizeRateLimit, rateLimitHeaders, RateLimitSignals, throttledProblem } from './index.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

/** Declarations exactly as they would sit under `rate_limits` in each provider.json. */
const declared = {
  hubspot: RateLimitSignals.parse({
    policies: [
      {
        name: 'ten-secondly',
        limit_header: 'X-HubSpot-RateLimit-Max',
        remaining_header: 'X-HubSpot-RateLimit-Remaining',
        window_header: 'X-HubSpot-RateLimit-Interval-Milliseconds',
        window_unit: 'ms',
      },
      { name: 'secondly', limit_header: 'X-HubSpot-RateLimit-Secondly', remaining_header: 'X-HubSpot-RateLimit-Secondly-Remaining', window_s: 1 },
      { name: 'daily', limit_header: 'X-HubSpot-RateLimit-Daily', remaining_header: 'X-HubSpot-RateLimit-Daily-Remaining', window_s: 86400 },
    ],
    throttle: [{ status: 429, policy_path: 'policyName', policy_map: { TEN_SECONDLY_ROLLING: 'ten-secondly', DAILY: 'daily' } }],
  }),
  salesforce: RateLimitSignals.parse({
    compound: [{ parser: 'sforce-limit-info', window_s: 86400 }],
    throttle: [{ status: 403, body_path: '[0].errorCode', equals: 'REQUEST_LIMIT_EXCEEDED', policy: 'api-usage' }],
  }),
  pipedrive: RateLimitSignals.parse({
    policies: [
      { name: 'burst', limit_header: 'x-ratelimit-limit', remaining_header: 'x-ratelimit-remaining', reset_header: 'x-ratelimit-reset', window_s: 2 },
      { name: 'daily-requests', remaining_header: 'x-daily-requests-left' },
    ],
  }),
  bamboohr: RateLimitSignals.parse({
    throttle: [
      { status: 503, before: '2026-09-16', policy: 'bamboohr' },
      { status: 429, policy: 'bamboohr' },
    ],
  }),
  netsuite: RateLimitSignals.parse({
    throttle: [
      { status: [400, 429], body_path: 'o:errorDetails.0.o:errorCode', equals: 'SSS_REQUEST_LIMIT_EXCEEDED', policy: 'concurrency' },
      { status: 429, body_path: 'o:errorDetails.0.o:errorCode', equals: 'CONCURRENCY_LIMIT_EXCEEDED', policy: 'concurrency' },
    ],
  }),
  dataverse: RateLimitSignals.parse({ policies: [{ name: 'service-protection', limit: 6000, window_s: 300 }] }),
  gusto: RateLimitSignals.parse({
    policies: [
      { name: 'per-grant', limit_header: 'X-RateLimit-Limit', remaining_header: 'X-RateLimit-Remaining', reset_header: 'X-RateLimit-Reset', reset_format: 'iso-8601', window_s: 60 },
    ],
  }),
};

describe('HubSpot X-HubSpot-RateLimit-* and 429 policyName', () => {
  const ok = {
    'x-hubspot-ratelimit-max': '100',
    'x-hubspot-ratelimit-remaining': '97',
    'x-hubspot-ratelimit-interval-milliseconds': '10000',
    'x-hubspot-ratelimit-secondly': '10',
    'x-hubspot-ratelimit-secondly-remaining': '9',
  };

  it('maps the ten-secondly and secondly pairs; the daily pair, absent on OAuth calls, is left out', () => {
    const result = normalizeRateLimit(declared.hubspot, { status: 200, headers: ok }, NOW);
    expect(result.throttled).toBe(false);
    expect(rateLimitHeaders(result)).toEqual({
      'ratelimit-policy': '"ten-secondly";q=100;w=10, "secondly";q=10;w=1',
      ratelimit: '"ten-secondly";r=97, "secondly";r=9',
    });
  });

  it('a 429 names the violated policy from the body, mapped to the declared name', () => {
    const body = { status: 'error', errorType: 'RATE_LIMIT', correlationId: 'c1', policyName: 'DAILY' };
    const result = normalizeRateLimit(declared.hubspot, { status: 429, headers: ok, body: JSON.stringify(body) }, NOW);
    expect(result).toMatchObject({ throttled: true, violated: ['daily'] });
    expect(result.current).toContainEqual({ name: 'daily', r: 0 });
    expect(result.retryAfterS).toBeUndefined();
    expect(throttledProblem('hubspot', result)).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      status: 429,
      code: 'SWY_ERR_PROVIDER_RATE_LIMITED',
      provider: 'hubspot',
      'violated-policies': ['daily'],
    });
  });

  it('a 429 without policyName blames the exhausted counter', () => {
    const headers = { ...ok, 'x-hubspot-ratelimit-remaining': '0' };
    const result = normalizeRateLimit(declared.hubspot, { status: 429, headers, body: {} }, NOW);
    expect(result.violated).toEqual(['ten-secondly']);
  });
});

describe('Salesforce Sforce-Limit-Info and 403 REQUEST_LIMIT_EXCEEDED', () => {
  it('reads api-usage=used/limit as a daily quota', () => {
    const result = normalizeRateLimit(declared.salesforce, { status: 200, headers: { 'Sforce-Limit-Info': 'api-usage=25/15000' } }, NOW);
    expect(result.policies).toEqual([{ name: 'api-usage', q: 15000, w: 86400 }]);
    expect(result.current).toEqual([{ name: 'api-usage', r: 14975 }]);
  });

  it('reads several entries, with an app name, and never reports negative remaining', () => {
    const headers = { 'sforce-limit-info': 'api-usage=15010/15000, per-app-api-usage=17/250(appName=sample-app)' };
    const result = normalizeRateLimit(declared.salesforce, { status: 200, headers }, NOW);
    expect(result.current).toEqual([{ name: 'api-usage', r: 0 }, { name: 'per-app-api-usage', r: 233 }]);
  });

  it('a 403 with REQUEST_LIMIT_EXCEEDED is throttling; another 403 is not', () => {
    const limit = [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }];
    const headers = { 'sforce-limit-info': 'api-usage=15000/15000' };
    const throttled = normalizeRateLimit(declared.salesforce, { status: 403, headers, body: limit }, NOW);
    expect(throttled).toMatchObject({ throttled: true, violated: ['api-usage'], current: [{ name: 'api-usage', r: 0 }] });
    const denied = [{ message: 'no', errorCode: 'INSUFFICIENT_ACCESS' }];
    expect(normalizeRateLimit(declared.salesforce, { status: 403, headers, body: denied }, NOW).throttled).toBe(false);
  });
});

describe('Pipedrive x-ratelimit-*', () => {
  it('a 429 takes Retry-After from the burst window reset when the provider sends none', () => {
    const headers = { 'x-ratelimit-limit': '80', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2', 'x-daily-requests-left': '1200' };
    const result = normalizeRateLimit(declared.pipedrive, { status: 429, headers }, NOW);
    expect(result).toMatchObject({ throttled: true, violated: ['burst'], retryAfterS: 2 });
    expect(rateLimitHeaders(result)).toEqual({
      'ratelimit-policy': '"burst";q=80;w=2',
      ratelimit: '"burst";r=0;t=2, "daily-requests";r=1200',
      'retry-after': '2',
    });
  });
});

describe('BambooHR 503 (until 2026-09-16) and 429 with Retry-After', () => {
  const headers = { 'retry-after': '30' };

  it('503 is throttling before the switch date', () => {
    const result = normalizeRateLimit(declared.bamboohr, { status: 503, headers }, NOW);
    expect(result).toMatchObject({ throttled: true, violated: ['bamboohr'], retryAfterS: 30, current: [{ name: 'bamboohr', r: 0, t: 30 }] });
  });

  it('503 after the switch means unavailable; 429 is throttling', () => {
    const after = Date.parse('2026-09-16T00:00:01Z');
    const unavailable = normalizeRateLimit(declared.bamboohr, { status: 503, headers }, after);
    expect(unavailable).toMatchObject({ throttled: false, violated: [], retryAfterS: 30 });
    expect(normalizeRateLimit(declared.bamboohr, { status: 429, headers }, after).throttled).toBe(true);
  });

  it('reads Retry-After as an HTTP-date', () => {
    const result = normalizeRateLimit(declared.bamboohr, { status: 429, headers: { 'retry-after': 'Mon, 01 Jun 2026 12:01:05 GMT' } }, NOW);
    expect(result.retryAfterS).toBe(65);
  });
});

describe('NetSuite SSS_REQUEST_LIMIT_EXCEEDED / CONCURRENCY_LIMIT_EXCEEDED', () => {
  const error = (code: string) =>
    new TextEncoder().encode(JSON.stringify({ type: 'x', title: 'Bad Request', status: 400, 'o:errorDetails': [{ detail: '…', 'o:errorCode': code }] }));

  it('a RESTlet 400 with SSS_REQUEST_LIMIT_EXCEEDED (raw bytes) is throttling', () => {
    const result = normalizeRateLimit(declared.netsuite, { status: 400, headers: {}, body: error('SSS_REQUEST_LIMIT_EXCEEDED') }, NOW);
    expect(result).toMatchObject({ throttled: true, violated: ['concurrency'], current: [{ name: 'concurrency', r: 0 }] });
    expect(result.retryAfterS).toBeUndefined();
  });

  it('a REST 429 with CONCURRENCY_LIMIT_EXCEEDED is throttling; a 400 validation error is not', () => {
    expect(normalizeRateLimit(declared.netsuite, { status: 429, headers: {}, body: error('CONCURRENCY_LIMIT_EXCEEDED') }, NOW).violated).toEqual(['concurrency']);
    expect(normalizeRateLimit(declared.netsuite, { status: 400, headers: {}, body: error('INVALID_FLD_VALUE') }, NOW).throttled).toBe(false);
    expect(normalizeRateLimit(declared.netsuite, { status: 400, headers: {}, body: 'not json' }, NOW).throttled).toBe(false);
  });
});

describe('Dataverse 429 + Retry-After', () => {
  it('blames the documented service-protection policy and carries Retry-After into t', () => {
    const result = normalizeRateLimit(declared.dataverse, { status: 429, headers: new Headers({ 'Retry-After': '17' }) }, NOW);
    expect(rateLimitHeaders(result)).toEqual({
      'ratelimit-policy': '"service-protection";q=6000;w=300',
      ratelimit: '"service-protection";r=0;t=17',
      'retry-after': '17',
    });
  });
});

describe('Gusto X-RateLimit-* with a datetime reset', () => {
  it('turns the reset datetime into delay-seconds', () => {
    const headers = { 'X-RateLimit-Limit': '200', 'X-RateLimit-Remaining': '150', 'X-RateLimit-Reset': '2026-06-01T12:00:42Z' };
    const result = normalizeRateLimit(declared.gusto, { status: 200, headers }, NOW);
    expect(result.policies).toEqual([{ name: 'per-grant', q: 200, w: 60 }]);
    expect(result.current).toEqual([{ name: 'per-grant', r: 150, t: 42 }]);
  });

  it('a 429 keeps the later of Retry-After and the window reset', () => {
    const headers = { 'X-RateLimit-Limit': '200', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '2026-06-01T12:00:42Z', 'Retry-After': '50' };
    const result = normalizeRateLimit(declared.gusto, { status: 429, headers }, NOW);
    expect(result).toMatchObject({ retryAfterS: 50, current: [{ name: 'per-grant', r: 0, t: 50 }] });
  });
});

describe('reset formats and malformed input', () => {
  const signals = (reset_format: string) =>
    RateLimitSignals.parse({ policies: [{ name: 'p', limit_header: 'l', remaining_header: 'r', reset_header: 't', reset_format }] });
  const t = (format: string, value: string) =>
    normalizeRateLimit(signals(format), { status: 200, headers: { l: '10', r: '5', t: value } }, NOW).current[0]?.t;

  it('reads every declared reset format as delay-seconds, never negative', () => {
    expect(t('delay-seconds', '7')).toBe(7);
    expect(t('delay-ms', '1500')).toBe(2);
    expect(t('epoch-seconds', String(NOW / 1000 + 9))).toBe(9);
    expect(t('epoch-ms', String(NOW + 3001))).toBe(4);
    expect(t('http-date', 'Mon, 01 Jun 2026 12:00:10 GMT')).toBe(10);
    expect(t('epoch-seconds', String(NOW / 1000 - 100))).toBe(0);
  });

  it('a malformed value drops that one field, not the others', () => {
    expect(t('delay-seconds', 'soon')).toBeUndefined();
    expect(t('http-date', '12345')).toBeUndefined();
    const headers = { l: '12abc', r: ['5', '6'], t: '3' };
    const result = normalizeRateLimit(signals('delay-seconds'), { status: 200, headers }, NOW);
    expect(result).toMatchObject({ policies: [], current: [] });
    expect(normalizeRateLimit(signals('delay-seconds'), { status: 200, headers: {} }, NOW)).toEqual({ throttled: false, policies: [], current: [], violated: [] });
  });

  it('a plain 429 is throttled even with nothing declared', () => {
    const result = normalizeRateLimit(RateLimitSignals.parse({}), { status: 429, headers: { 'retry-after': 'garbage' } }, NOW);
    expect(result).toEqual({ throttled: true, policies: [], current: [{ name: 'default', r: 0 }], violated: ['default'] });
  });

  it('reads a retry delay from the body when declared', () => {
    const s = RateLimitSignals.parse({ retry_after: { body_path: 'error.retry_in' } });
    expect(normalizeRateLimit(s, { status: 429, headers: {}, body: { error: { retry_in: 4.2 } } }, NOW).retryAfterS).toBe(5);
  });

  it('a body path never reads inherited properties', () => {
    const s = RateLimitSignals.parse({ throttle: [{ status: 400, body_path: 'constructor.name', equals: 'Object' }] });
    expect(normalizeRateLimit(s, { status: 400, headers: {}, body: {} }, NOW).throttled).toBe(false);
  });
});

describe('RateLimitSignals schema', () => {
  it('refuses typos, duplicate names, equals without a path and empty policies', () => {
    expect(RateLimitSignals.safeParse({ policies: [{ name: 'a', limit_header: 'x', remaning_header: 'y' }] }).success).toBe(false);
    expect(RateLimitSignals.safeParse({ policies: [{ name: 'a', limit: 1 }, { name: 'a', limit: 2 }] }).success).toBe(false);
    expect(RateLimitSignals.safeParse({ throttle: [{ status: 403, equals: 'X' }] }).success).toBe(false);
    expect(RateLimitSignals.safeParse({ policies: [{ name: 'a', window_s: 10 }] }).success).toBe(false);
    expect(RateLimitSignals.safeParse({ policies: [{ name: 'naïve', limit: 1 }] }).success).toBe(false);
  });
});
