import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VerificationScheme } from '@switchyard/contracts';
import { verifyWebhook, type InboundRequest } from './index.js';

/** Fixture factories compute signatures with node:crypto directly, independent of the verifier's code. */
const NOW_S = 1_790_000_000;
const NOW_MS = NOW_S * 1000;
const SECRET = 'whk_test_7f3a9c';
const mac = (key: string, text: string, encoding: 'hex' | 'base64' | 'base64url' = 'hex', alg = 'sha256') =>
  createHmac(alg, key).update(text).digest(encoding);

describe('keyed signature lists (t=…,v1=…)', () => {
  const schemes = [
    VerificationScheme.parse({
      scheme: 'hmac',
      algorithm: 'sha256',
      encoding: 'hex',
      signature: { header: 'stripe-signature', param: 'v1' },
      signed: [{ part: 'signature_param', name: 't' }, { part: 'literal', value: '.' }, { part: 'body' }],
      timestamp: { param: 't', unit: 's', tolerance_s: 300 },
    }),
  ];
  const body = '{"id":"evt_1","type":"customer.updated"}';
  /** A valid delivery: `t` plus one `v1` over `t.body`, and a `v0` entry we must ignore. */
  const valid = (options: { t?: number; body?: string; header?: string } = {}): InboundRequest => {
    const t = options.t ?? NOW_S;
    const signature = mac(SECRET, `${t}.${body}`);
    return {
      method: 'POST',
      url: 'https://hub.example/webhooks/stripe-like/acc_1',
      path: '/webhooks/stripe-like/acc_1',
      headers: { 'stripe-signature': options.header ?? `t=${t},v1=${signature},v0=${'0'.repeat(64)}` },
      body: Buffer.from(options.body ?? body),
    };
  };
  const verify = (request: InboundRequest, secrets = [SECRET], nowMs = NOW_MS) => verifyWebhook(schemes, request, { secrets, nowMs });

  it('accepts a valid delivery', async () => {
    expect(await verify(valid())).toEqual({ ok: true });
  });

  it('accepts when any one of several v1 entries matches (sender-side rotation)', async () => {
    const header = `t=${NOW_S},v1=${mac('other-secret', `${NOW_S}.${body}`)},v1=${mac(SECRET, `${NOW_S}.${body}`)}`;
    expect(await verify(valid({ header }))).toEqual({ ok: true });
  });

  it('refuses a wrong secret, a changed body byte, a truncated header, a missing header', async () => {
    expect(await verify(valid(), ['wrong'])).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
    expect(await verify({ ...valid(), body: Buffer.from(body.replace('evt_1', 'evt_2')) })).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
    const full = valid().headers['stripe-signature'] ?? '';
    expect(await verify(valid({ header: full.slice(0, full.indexOf('v1=') + 20) }))).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
    expect(await verify({ ...valid(), headers: {} })).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISSING' });
  });

  it('refuses a t that is not the signed one (the timestamp is part of the signature)', async () => {
    const signature = mac(SECRET, `${NOW_S}.${body}`);
    expect(await verify(valid({ header: `t=${NOW_S + 1},v1=${signature}` }))).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses a stale and a future t, and a missing t', async () => {
    expect(await verify(valid({ t: NOW_S - 301 }))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('old') });
    expect(await verify(valid({ t: NOW_S + 301 }))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('future') });
    expect(await verify(valid({ header: `v1=${mac(SECRET, `.${body}`)}` }))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_MISSING' });
  });

  it('accepts the old and the new secret during a rotation', async () => {
    expect((await verify(valid(), ['new-secret', SECRET])).ok).toBe(true);
    expect((await verify(valid(), [SECRET, 'new-secret'])).ok).toBe(true);
  });
});

describe('timestamp in a body field (read only after the signature matched)', () => {
  const schemes = [
    VerificationScheme.parse({
      scheme: 'hmac',
      algorithm: 'sha256',
      encoding: 'base64',
      signature: { header: 'x-signature' },
      signed: [{ part: 'body' }],
      timestamp: { field: '0.occurredAt', unit: 'ms', tolerance_s: 300 },
    }),
  ];
  const signed = (body: string, secret = SECRET): InboundRequest => ({
    method: 'POST',
    url: 'https://hub.example/w',
    path: '/w',
    headers: { 'x-signature': mac(secret, body, 'base64') },
    body: Buffer.from(body),
  });
  const valid = (occurredAt: unknown = NOW_MS, secret = SECRET) => signed(JSON.stringify([{ eventId: 1, occurredAt }]), secret);
  const verify = (request: InboundRequest, nowMs = NOW_MS) => verifyWebhook(schemes, request, { secrets: [SECRET], nowMs });

  it('accepts a fresh timestamp, as a number or a string of digits', async () => {
    expect(await verify(valid())).toEqual({ ok: true });
    expect(await verify(valid(String(NOW_MS - 1_000)))).toEqual({ ok: true });
  });

  it('refuses a stale and a future timestamp', async () => {
    expect(await verify(valid(NOW_MS - 301_000))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('old') });
    expect(await verify(valid(NOW_MS + 301_000))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('future') });
  });

  it('refuses a missing or non-integer field', async () => {
    expect(await verify(signed(JSON.stringify([{ eventId: 1 }])))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_MISSING' });
    expect(await verify(signed('not json'))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_MISSING' });
    expect(await verify(valid('2026-05-01T10:00:00Z'))).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_INVALID' });
  });

  it('answers a bad signature before looking at the body timestamp', async () => {
    expect(await verify(valid(NOW_MS - 999_000, 'forger'))).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });
});

describe('keys from the provider app', () => {
  const schemes = [
    VerificationScheme.parse({
      scheme: 'hmac',
      algorithm: 'sha256',
      encoding: 'base64',
      key: { source: 'app_secret', name: 'verifier_token' },
      signature: { header: 'intuit-signature' },
      signed: [{ part: 'body' }],
    }),
  ];
  const body = '{"eventNotifications":[]}';
  const valid = (): InboundRequest => ({ method: 'POST', url: 'https://hub.example/w', path: '/w', headers: { 'intuit-signature': mac('verifier-1', body, 'base64') }, body: Buffer.from(body) });

  it('verifies with the named app secret, not the account secrets', async () => {
    expect(await verifyWebhook(schemes, valid(), { secrets: ['verifier-1'] })).toMatchObject({ code: 'SWY_ERR_APP_SECRET_UNSET' });
    expect(await verifyWebhook(schemes, valid(), { secrets: [], appSecrets: { verifier_token: ['verifier-2', 'verifier-1'] } })).toEqual({ ok: true });
    expect(await verifyWebhook(schemes, valid(), { secrets: [], appSecrets: { client_secret: ['verifier-1'] } })).toMatchObject({ code: 'SWY_ERR_APP_SECRET_UNSET' });
  });

  it('refuses a declaration naming no app secret', () => {
    const declaration = { scheme: 'hmac', algorithm: 'sha256', encoding: 'hex', key: { source: 'app_secret' }, signature: { header: 'x' }, signed: [{ part: 'body' }] };
    expect(VerificationScheme.safeParse(declaration).success).toBe(false);
  });
});

describe('algorithms and encodings of the reference providers (derived: no published vectors)', () => {
  const body = '{"type":"employee.updated","data":{"employeeId":"42"}}';
  it.each([
    { provider: 'HiBob', algorithm: 'sha512', encoding: 'base64', header: 'bob-signature', value: mac(SECRET, body, 'base64', 'sha512') },
    { provider: 'Gusto', algorithm: 'sha256', encoding: 'hex', header: 'x-gusto-signature', value: mac(SECRET, body) },
    { provider: 'Merge (base64url, unpadded)', algorithm: 'sha256', encoding: 'base64url', header: 'x-merge-webhook-signature', value: mac(SECRET, body, 'base64url') },
    { provider: 'GitHub-style sha1 prefix', algorithm: 'sha1', encoding: 'hex', header: 'x-hub-signature', value: `sha1=${mac(SECRET, body, 'hex', 'sha1')}`, prefix: 'sha1=' },
  ] as const)('$provider', async (row) => {
    const schemes = [
      VerificationScheme.parse({
        scheme: 'hmac',
        algorithm: row.algorithm,
        encoding: row.encoding,
        signature: { header: row.header, ...('prefix' in row ? { prefix: row.prefix } : {}) },
        signed: [{ part: 'body' }],
      }),
    ];
    const request: InboundRequest = { method: 'POST', url: 'https://hub.example/w', path: '/w', headers: { [row.header]: row.value }, body: Buffer.from(body) };
    expect(await verifyWebhook(schemes, request, { secrets: [SECRET] })).toEqual({ ok: true });
    expect(await verifyWebhook(schemes, request, { secrets: ['wrong'] })).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });
});

describe('declarations the schema refuses', () => {
  it.each([
    ['a timestamp with two sources', { header: 'x-t', field: 'ts' }],
    ['a timestamp with no source', { unit: 's' }],
  ])('%s', (_name, timestamp) => {
    const declaration = { scheme: 'hmac', algorithm: 'sha256', encoding: 'hex', signature: { header: 'x' }, signed: [{ part: 'body' }], timestamp };
    expect(VerificationScheme.safeParse(declaration).success).toBe(false);
  });
});
