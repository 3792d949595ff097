import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderCatalog } from '@switchyard/runtime';
import type { VerificationScheme } from '@switchyard/contracts';
import { verifyWebhook, type InboundRequest } from './index.js';

const fixtures = new URL('../../../../test/fixtures/bamboohr/', import.meta.url);

describe('BambooHR verification through its provider definition', () => {
  let schemes: VerificationScheme[];
  let vector: { private_key: string; timestamp: string; signature: string };
  let body: Buffer;
  const at = (timestampS: string) => Number(timestampS) * 1000;

  /** A valid request built from the published vector; each negative case changes one thing. */
  const valid = (): InboundRequest => ({
    method: 'POST',
    url: 'https://hub.example/webhooks/bamboohr/acc_1',
    path: '/webhooks/bamboohr/acc_1',
    headers: { 'x-bamboohr-signature': vector.signature, 'x-bamboohr-timestamp': vector.timestamp, 'content-type': 'application/json' },
    body,
  });

  beforeAll(async () => {
    const catalog = await ProviderCatalog.load();
    schemes = catalog.get('bamboohr')?.definition.webhook?.verify ?? [];
    vector = JSON.parse(await readFile(new URL('field-based.vector.json', fixtures), 'utf8'));
    body = await readFile(new URL('field-based.json', fixtures));
  });

  it('accepts the published test vector', () => {
    expect(verifyWebhook(schemes, valid(), [vector.private_key], at(vector.timestamp))).toEqual({ ok: true });
  });

  it('accepts an upper-case hex signature (same bytes)', () => {
    const request = valid();
    const headers = { ...request.headers, 'x-bamboohr-signature': vector.signature.toUpperCase() };
    expect(verifyWebhook(schemes, { ...request, headers }, [vector.private_key], at(vector.timestamp)).ok).toBe(true);
  });

  it('refuses a wrong secret', () => {
    expect(verifyWebhook(schemes, valid(), ['not-the-key'], at(vector.timestamp))).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses one body byte changed', () => {
    const request = valid();
    const tampered = Buffer.from(request.body);
    tampered[tampered.indexOf('T')] = 'X'.charCodeAt(0);
    expect(verifyWebhook(schemes, { ...request, body: tampered }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      ok: false,
      code: 'SWY_ERR_SIGNATURE_MISMATCH',
    });
  });

  it('refuses the re-serialized body (verification is on raw bytes)', () => {
    const request = valid();
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(request.body.toString()), null, 1));
    expect(verifyWebhook(schemes, { ...request, body: reserialized }, [vector.private_key], at(vector.timestamp)).ok).toBe(false);
  });

  it('refuses the "timestamp.body" variant some guides describe', () => {
    const wrong = createHmac('sha256', vector.private_key).update(`${vector.timestamp}.${body.toString()}`).digest('hex');
    const request = valid();
    const headers = { ...request.headers, 'x-bamboohr-signature': wrong };
    expect(verifyWebhook(schemes, { ...request, headers }, [vector.private_key], at(vector.timestamp)).ok).toBe(false);
  });

  it('refuses a missing signature header', () => {
    const request = valid();
    const { 'x-bamboohr-signature': _dropped, ...headers } = request.headers;
    expect(verifyWebhook(schemes, { ...request, headers }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      ok: false,
      code: 'SWY_ERR_SIGNATURE_MISSING',
    });
  });

  it('refuses a truncated signature header', () => {
    const request = valid();
    const headers = { ...request.headers, 'x-bamboohr-signature': vector.signature.slice(0, 40) };
    expect(verifyWebhook(schemes, { ...request, headers }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      ok: false,
      code: 'SWY_ERR_SIGNATURE_MISMATCH',
    });
  });

  it('refuses a stale timestamp and a future one (5 minutes each way)', () => {
    const stale = verifyWebhook(schemes, valid(), [vector.private_key], at(vector.timestamp) + 301_000);
    const future = verifyWebhook(schemes, valid(), [vector.private_key], at(vector.timestamp) - 301_000);
    expect(stale).toMatchObject({ ok: false, code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('old') });
    expect(future).toMatchObject({ ok: false, code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('future') });
    expect(verifyWebhook(schemes, valid(), [vector.private_key], at(vector.timestamp) + 299_000).ok).toBe(true);
  });

  it('refuses a missing or non-numeric timestamp', () => {
    const request = valid();
    const { 'x-bamboohr-timestamp': _dropped, ...headers } = request.headers;
    expect(verifyWebhook(schemes, { ...request, headers }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      code: 'SWY_ERR_TIMESTAMP_MISSING',
    });
    const bad = { ...request.headers, 'x-bamboohr-timestamp': '2022-07-19' };
    expect(verifyWebhook(schemes, { ...request, headers: bad }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      code: 'SWY_ERR_TIMESTAMP_INVALID',
    });
  });

  it('accepts either secret during a rotation', () => {
    expect(verifyWebhook(schemes, valid(), ['new-key', vector.private_key], at(vector.timestamp)).ok).toBe(true);
    expect(verifyWebhook(schemes, valid(), [vector.private_key, 'new-key'], at(vector.timestamp)).ok).toBe(true);
  });

  it('says so when the account has no secret', () => {
    expect(verifyWebhook(schemes, valid(), [], at(vector.timestamp))).toMatchObject({ code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
  });
});

describe('HMAC scheme options', () => {
  it('verifies Standard Webhooks entries (whsec key, v1 prefix, space-separated list) with the published vector', () => {
    const scheme: VerificationScheme = {
      scheme: 'hmac',
      algorithm: 'sha256',
      encoding: 'base64',
      key: { format: 'whsec' },
      signature: { header: 'webhook-signature', prefix: 'v1,', separator: ' ' },
      signed: [
        { part: 'header', name: 'webhook-id' },
        { part: 'literal', value: '.' },
        { part: 'header', name: 'webhook-timestamp' },
        { part: 'literal', value: '.' },
        { part: 'body' },
      ],
      timestamp: { header: 'webhook-timestamp', unit: 's', tolerance_s: 300 },
    };
    const request: InboundRequest = {
      method: 'POST',
      url: 'https://hub.example/x',
      path: '/x',
      headers: {
        'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'webhook-timestamp': '1614265330',
        'webhook-signature': 'v1a,ignored-unknown-version v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
      body: Buffer.from('{"test": 2432232314}'),
    };
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(verifyWebhook([scheme], request, [secret], 1614265330_000)).toEqual({ ok: true });
    const onlyUnknown = { ...request.headers, 'webhook-signature': 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
    expect(verifyWebhook([scheme], { ...request, headers: onlyUnknown }, [secret], 1614265330_000)).toMatchObject({ ok: false });
  });
});
