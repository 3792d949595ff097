import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { VerificationScheme } from '@switchyard/contracts';
import { verifyWebhook, type InboundRequest, type VerifyOptions } from './index.js';

/**
 * Every published webhook-verification vector of the provider reference (Appendix A), verified through
 * scheme declarations shaped exactly as a provider.json writes them, parsed by the contract schema.
 * Each vector is a fixture factory: the negative cases are the valid request minus one thing.
 */
interface Vector {
  name: string;
  /** The declaration as JSON, or a provider.json whose declaration is used. */
  declaration: unknown;
  secret: string;
  /** `app_secret` vectors are keyed by the provider app's `client_secret`, not the account's secrets. */
  source: 'account' | 'app_secret';
  request: () => InboundRequest;
  nowMs: number;
  signatureHeader: string;
  /** Signs the route URL: a request claiming another URL must fail. */
  signsUrl?: boolean;
  /** Carries a timestamp with this tolerance in seconds. */
  toleranceS?: number;
}

const post = (url: string, headers: Record<string, string>, body: string, method = 'POST'): InboundRequest => ({
  method,
  url,
  path: new URL(url).pathname,
  headers,
  body: Buffer.from(body),
});

const standardWebhooks = (prefix: string, format: string, id = `${prefix}id`) => ({
  scheme: 'hmac',
  algorithm: 'sha256',
  encoding: 'base64',
  key: { format },
  signature: { header: `${prefix}signature`, prefix: 'v1,', separator: ' ' },
  signed: [
    { part: 'header', name: id },
    { part: 'literal', value: '.' },
    { part: 'header', name: `${prefix}timestamp` },
    { part: 'literal', value: '.' },
    { part: 'body' },
  ],
  timestamp: { header: `${prefix}timestamp`, unit: 's', tolerance_s: 300 },
});

const hubspotSecret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const hubspotUri = 'https://www.example.com/webhook_uri';
const hubspotBody = "{'example_field':'example_value'}";
const hubspotDigest = (signed: unknown[]) => ({
  scheme: 'digest',
  algorithm: 'sha256',
  encoding: 'hex',
  secret: { source: 'app_secret', name: 'client_secret' },
  signature: { header: 'x-hubspot-signature' },
  signed,
});

const bamboohr = JSON.parse(await readFile(new URL('../../../../mappings/bamboohr/provider.json', import.meta.url), 'utf8'));

const vectors: Vector[] = [
  {
    name: 'A.1 Standard Webhooks',
    declaration: standardWebhooks('webhook-', 'whsec'),
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    source: 'account',
    request: () =>
      post(
        'https://hub.example/webhooks/standard-webhooks/acc_1',
        { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
        '{"test": 2432232314}',
      ),
    nowMs: 1614265330_000,
    signatureHeader: 'webhook-signature',
    toleranceS: 300,
  },
  {
    name: 'A.2 Finch',
    declaration: standardWebhooks('finch-', 'base64', 'finch-event-id'),
    secret: '5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH',
    source: 'account',
    request: () =>
      post(
        'https://hub.example/webhooks/finch/acc_1',
        { 'finch-event-id': 'msg_2Lh9KRb0pzN4LePd3XiA4v12Axj', 'finch-timestamp': '1676312382', 'finch-signature': 'v1,m7y0TV2C+hlHxU42wCieApTSTaA8/047OAplBqxIV/s=' },
        '{"company_id":"720be419-0293-4d32-a707-32179b0827ab"}',
      ),
    nowMs: 1676312382_000,
    signatureHeader: 'finch-signature',
    toleranceS: 300,
  },
  {
    name: 'A.3 HubSpot v3',
    declaration: {
      scheme: 'hmac',
      algorithm: 'sha256',
      encoding: 'base64',
      key: { format: 'text', source: 'app_secret', name: 'client_secret' },
      signature: { header: 'x-hubspot-signature-v3' },
      signed: [{ part: 'method' }, { part: 'url' }, { part: 'body' }, { part: 'header', name: 'x-hubspot-request-timestamp' }],
      timestamp: { header: 'x-hubspot-request-timestamp', unit: 'ms', tolerance_s: 300 },
    },
    secret: hubspotSecret,
    source: 'app_secret',
    request: () =>
      post(hubspotUri, { 'x-hubspot-signature-v3': 'HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=', 'x-hubspot-request-timestamp': '15000000' }, hubspotBody),
    nowMs: 15000000,
    signatureHeader: 'x-hubspot-signature-v3',
    signsUrl: true,
    toleranceS: 300,
  },
  {
    name: 'A.3 HubSpot v2',
    declaration: hubspotDigest([{ part: 'method' }, { part: 'url' }, { part: 'body' }]),
    secret: hubspotSecret,
    source: 'app_secret',
    request: () => post(hubspotUri, { 'x-hubspot-signature': '4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383' }, hubspotBody),
    nowMs: 0,
    signatureHeader: 'x-hubspot-signature',
    signsUrl: true,
  },
  {
    name: 'A.3 HubSpot v2, GET with an empty body',
    declaration: hubspotDigest([{ part: 'method' }, { part: 'url' }, { part: 'body' }]),
    secret: hubspotSecret,
    source: 'app_secret',
    request: () => post(hubspotUri, { 'x-hubspot-signature': 'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e' }, '', 'GET'),
    nowMs: 0,
    signatureHeader: 'x-hubspot-signature',
    signsUrl: true,
  },
  {
    name: 'A.3 HubSpot v1',
    declaration: hubspotDigest([{ part: 'body' }]),
    secret: hubspotSecret,
    source: 'app_secret',
    request: () => post(hubspotUri, { 'x-hubspot-signature': '69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750' }, hubspotBody),
    nowMs: 0,
    signatureHeader: 'x-hubspot-signature',
  },
  {
    name: 'A.4 BambooHR (declaration from mappings/bamboohr/provider.json)',
    declaration: bamboohr.webhook.verify[0],
    secret: '123b929362d51613054f71e5e5d4bf2c',
    source: 'account',
    request: () =>
      post(
        'https://hub.example/webhooks/bamboohr/acc_1',
        { 'x-bamboohr-timestamp': '1658248023', 'x-bamboohr-signature': '56491dd9c2b352bc5f4fc627159aae20ddff9c8cb19f239a6de6771dc5310bac' },
        '{"employees":[{"changedFields":["First name"],"fields":{"Employee #":{"value":"300"},"First name":{"value":"Tefi"},"Last name":{"value":"Adams"}},"id":"5"}]}',
      ),
    nowMs: 1658248023_000,
    signatureHeader: 'x-bamboohr-signature',
    toleranceS: 300,
  },
  {
    name: 'A.8 Xero',
    declaration: { scheme: 'hmac', algorithm: 'sha256', encoding: 'base64', signature: { header: 'x-xero-signature' }, signed: [{ part: 'body' }] },
    secret: 'xero_webhook_test_secret',
    source: 'account',
    request: () =>
      post(
        'https://hub.example/webhooks/xero/apps/app_1',
        { 'x-xero-signature': 'hnekiT0GuNX9rRmSlg0oxCxyBHwzBcb0J24w8gQbXo0=' },
        '{ "events" : [], "lastEventSequence" : 0 , "firstEventSequence" : 0 , "entropy" : "S0m3r4Nd0mt3xt" }',
      ),
    nowMs: 0,
    signatureHeader: 'x-xero-signature',
  },
];

describe.each(vectors)('$name', (vector) => {
  const schemes = [VerificationScheme.parse(vector.declaration)];
  const options = (secrets: string[], nowMs = vector.nowMs): VerifyOptions =>
    vector.source === 'account' ? { secrets, nowMs } : { secrets: [], appSecrets: { client_secret: secrets }, nowMs };
  const verify = (request: InboundRequest, secrets = [vector.secret], nowMs?: number) => verifyWebhook(schemes, request, options(secrets, nowMs));
  const withHeader = (value: string | undefined): InboundRequest => {
    const request = vector.request();
    return { ...request, headers: { ...request.headers, [vector.signatureHeader]: value } };
  };

  it('verifies the published signature', async () => {
    expect(await verify(vector.request())).toEqual({ ok: true });
  });

  it('refuses a wrong secret', async () => {
    expect(await verify(vector.request(), ['wrong-secret'])).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses one body byte changed (or added, for an empty body)', async () => {
    const request = vector.request();
    const body = request.body.length > 0 ? Buffer.from(request.body) : Buffer.from(' ');
    if (request.body.length > 0) body[body.length - 2] = (body[body.length - 2] ?? 0) ^ 0x01;
    expect(await verify({ ...request, body })).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses a missing signature header', async () => {
    expect(await verify(withHeader(undefined))).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISSING' });
  });

  it('refuses a truncated signature header', async () => {
    const full = vector.request().headers[vector.signatureHeader] ?? '';
    expect(await verify(withHeader(full.slice(0, full.length - 5)))).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('accepts the old and the new secret during a rotation', async () => {
    expect((await verify(vector.request(), ['rotated-in', vector.secret])).ok).toBe(true);
    expect((await verify(vector.request(), [vector.secret, 'rotated-in'])).ok).toBe(true);
  });

  // Only URL-signing schemes can notice a changed URL; the case is not generated for the others.
  if (vector.signsUrl) it('refuses the request when it claims another URL', async () => {
    const request = vector.request();
    expect(await verify({ ...request, url: request.url.replace('webhook_uri', 'webhook_url') })).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
    expect(await verify({ ...request, url: `${request.url}?a=1` })).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  if (vector.toleranceS !== undefined) it('refuses a stale and a future timestamp, accepts one inside the window', async () => {
    const window = (vector.toleranceS ?? 0) * 1000;
    expect(await verify(vector.request(), undefined, vector.nowMs + window + 1_000)).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('old') });
    expect(await verify(vector.request(), undefined, vector.nowMs - window - 1_000)).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('future') });
    expect((await verify(vector.request(), undefined, vector.nowMs + window - 1_000)).ok).toBe(true);
  });
});

describe('signature lists', () => {
  const schemes = [VerificationScheme.parse(standardWebhooks('webhook-', 'whsec'))];
  const secrets = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'];
  const request = (signature: string): InboundRequest => {
    const valid = vectors[0]!.request();
    return { ...valid, headers: { ...valid.headers, 'webhook-signature': signature } };
  };

  it('accepts when any one entry matches, ignoring entries of unknown versions', async () => {
    const listed = request('v1a,ignored-unknown-version v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(await verifyWebhook(schemes, listed, { secrets, nowMs: 1614265330_000 })).toEqual({ ok: true });
  });

  it('refuses when only an unknown version carries the right value', async () => {
    const unknown = request('v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(await verifyWebhook(schemes, unknown, { secrets, nowMs: 1614265330_000 })).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });
});

describe('HubSpot v3, v2 and v1 side by side in one any_of group', () => {
  const byName = (name: string) => vectors.find((v) => v.name === name)!;
  const [v3, v2, v2get, v1] = ['A.3 HubSpot v3', 'A.3 HubSpot v2', 'A.3 HubSpot v2, GET with an empty body', 'A.3 HubSpot v1'].map(byName) as [Vector, Vector, Vector, Vector];
  const schemes = [VerificationScheme.parse({ scheme: 'any_of', of: [v3.declaration, v2.declaration, v1.declaration] })];
  const verify = (request: InboundRequest, nowMs: number, secret = hubspotSecret) => verifyWebhook(schemes, request, { secrets: [], appSecrets: { client_secret: [secret] }, nowMs });

  it('verifies each published vector through the one declaration', async () => {
    for (const vector of [v3, v2, v2get, v1]) expect(await verify(vector.request(), vector.nowMs), vector.name).toEqual({ ok: true });
  });

  it("answers the failure of the alternative the request tried, not another's missing header", async () => {
    const valid = v3.request();
    const wrong = { ...valid, headers: { ...valid.headers, 'x-hubspot-signature-v3': `A${valid.headers['x-hubspot-signature-v3']!.slice(1)}` } };
    expect(await verify(wrong, v3.nowMs)).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
    expect(await verify(v3.request(), v3.nowMs + 301_000)).toMatchObject({ ok: false, code: 'SWY_ERR_TIMESTAMP_SKEW' });
    expect(await verify(v1.request(), 0, 'another-client-secret')).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses a request that carries none of the signatures', async () => {
    const { 'x-hubspot-signature': _dropped, ...headers } = v1.request().headers;
    const bare = { ...v1.request(), headers };
    expect(await verify(bare, 0)).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISSING' });
  });

  it('refuses a group of one, a nested group and an IP allow-list as an alternative', () => {
    expect(VerificationScheme.safeParse({ scheme: 'any_of', of: [v1.declaration] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ scheme: 'any_of', of: [v1.declaration, { scheme: 'any_of', of: [v1.declaration, v2.declaration] }] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ scheme: 'any_of', of: [v1.declaration, { scheme: 'ip_allowlist', cidrs: ['10.0.0.0/8'] }] }).success).toBe(false);
  });
});
