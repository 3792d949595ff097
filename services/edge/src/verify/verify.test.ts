import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderCatalog } from '@switchyard/mapping';
import type { VerificationScheme } from '@switchyard/contracts';
import { verifyWebhook, type InboundRequest } from './index.js';

const fixtures = new URL('../../../../mappings/bamboohr/vectors/', import.meta.url);

describe('BambooHR verification through its provider definition', () => {
  let schemes: VerificationScheme[];
  let vector: { private_key: string; timestamp: string; signature: string };
  let body: Buffer;
  const at = (timestampS: string) => Number(timestampS) * 1000;
  const verify = (request: InboundRequest, secrets: string[], nowMs: number) => verifyWebhook(schemes, request, { secrets, nowMs });

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

  it('accepts the published test vector', async () => {
    expect(await verify(valid(), [vector.private_key], at(vector.timestamp))).toEqual({ ok: true });
  });

  it('accepts an upper-case hex signature (same bytes)', async () => {
    const request = valid();
    const headers = { ...request.headers, 'x-bamboohr-signature': vector.signature.toUpperCase() };
    expect((await verify({ ...request, headers }, [vector.private_key], at(vector.timestamp))).ok).toBe(true);
  });

  it('refuses a wrong secret', async () => {
    expect(await verify(valid(), ['not-the-key'], at(vector.timestamp))).toMatchObject({ ok: false, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses one body byte changed', async () => {
    const request = valid();
    const tampered = Buffer.from(request.body);
    tampered[tampered.indexOf('T')] = 'X'.charCodeAt(0);
    expect(await verify({ ...request, body: tampered }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      ok: false,
      code: 'SWY_ERR_SIGNATURE_MISMATCH',
    });
  });

  it('refuses the re-serialized body (verification is on raw bytes)', async () => {
    const request = valid();
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(request.body.toString()), null, 1));
    expect((await verify({ ...request, body: reserialized }, [vector.private_key], at(vector.timestamp))).ok).toBe(false);
  });

  it('refuses the "timestamp.body" variant some guides describe', async () => {
    const wrong = createHmac('sha256', vector.private_key).update(`${vector.timestamp}.${body.toString()}`).digest('hex');
    const request = valid();
    const headers = { ...request.headers, 'x-bamboohr-signature': wrong };
    expect((await verify({ ...request, headers }, [vector.private_key], at(vector.timestamp))).ok).toBe(false);
  });

  it('refuses a missing signature header', async () => {
    const request = valid();
    const { 'x-bamboohr-signature': _dropped, ...headers } = request.headers;
    expect(await verify({ ...request, headers }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      ok: false,
      code: 'SWY_ERR_SIGNATURE_MISSING',
    });
  });

  it('refuses a truncated signature header', async () => {
    const request = valid();
    const headers = { ...request.headers, 'x-bamboohr-signature': vector.signature.slice(0, 40) };
    expect(await verify({ ...request, headers }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      ok: false,
      code: 'SWY_ERR_SIGNATURE_MISMATCH',
    });
  });

  it('refuses a stale timestamp and a future one (5 minutes each way)', async () => {
    const stale = await verify(valid(), [vector.private_key], at(vector.timestamp) + 301_000);
    const future = await verify(valid(), [vector.private_key], at(vector.timestamp) - 301_000);
    expect(stale).toMatchObject({ ok: false, code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('old') });
    expect(future).toMatchObject({ ok: false, code: 'SWY_ERR_TIMESTAMP_SKEW', detail: expect.stringContaining('future') });
    expect((await verify(valid(), [vector.private_key], at(vector.timestamp) + 299_000)).ok).toBe(true);
  });

  it('refuses a missing or non-numeric timestamp', async () => {
    const request = valid();
    const { 'x-bamboohr-timestamp': _dropped, ...headers } = request.headers;
    expect(await verify({ ...request, headers }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      code: 'SWY_ERR_TIMESTAMP_MISSING',
    });
    const bad = { ...request.headers, 'x-bamboohr-timestamp': '2022-07-19' };
    expect(await verify({ ...request, headers: bad }, [vector.private_key], at(vector.timestamp))).toMatchObject({
      code: 'SWY_ERR_TIMESTAMP_INVALID',
    });
  });

  it('accepts either secret during a rotation', async () => {
    expect((await verify(valid(), ['new-key', vector.private_key], at(vector.timestamp))).ok).toBe(true);
    expect((await verify(valid(), [vector.private_key, 'new-key'], at(vector.timestamp))).ok).toBe(true);
  });

  it('says so when the account has no secret', async () => {
    expect(await verify(valid(), [], at(vector.timestamp))).toMatchObject({ code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
  });
});
