import { describe, expect, it } from 'vitest';
import { VerificationScheme } from '@switchyard/contracts';
import { verifyWebhook, type InboundRequest } from './index.js';

const parse = (declaration: unknown) => [VerificationScheme.parse(declaration)];
const request = (parts: Partial<InboundRequest> = {}): InboundRequest => ({
  method: 'POST',
  url: 'https://hub.example/webhooks/p/acc_1',
  path: '/webhooks/p/acc_1',
  headers: { 'content-type': 'application/json' },
  body: Buffer.from('{}'),
  ...parts,
});
const basic = (userPassword: string) => `Basic ${Buffer.from(userPassword).toString('base64')}`;

describe('basic (Pipedrive)', () => {
  const schemes = parse({ scheme: 'basic' });
  const secret = 'pipedrive:s3cret-pass';
  const valid = (credentials = secret) => request({ headers: { authorization: basic(credentials) } });

  it('accepts the account credentials, and either pair during a rotation', async () => {
    expect(await verifyWebhook(schemes, valid(), { secrets: [secret] })).toEqual({ ok: true });
    expect((await verifyWebhook(schemes, valid(), { secrets: ['pipedrive:new-pass', secret] })).ok).toBe(true);
    expect((await verifyWebhook(schemes, valid('pipedrive:new-pass'), { secrets: ['pipedrive:new-pass', secret] })).ok).toBe(true);
  });

  it('refuses a wrong password, a wrong user, a truncated password', async () => {
    for (const credentials of ['pipedrive:wrong', 'someone:s3cret-pass', 'pipedrive:s3cret-pas']) {
      expect(await verifyWebhook(schemes, valid(credentials), { secrets: [secret] })).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    }
  });

  it('refuses missing credentials, another scheme, and credentials without a colon', async () => {
    expect(await verifyWebhook(schemes, request(), { secrets: [secret] })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    expect(await verifyWebhook(schemes, request({ headers: { authorization: 'Bearer x' } }), { secrets: [secret] })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    expect(await verifyWebhook(schemes, valid('no-colon'), { secrets: [secret] })).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
  });

  it('says so when the account has no secret', async () => {
    expect(await verifyWebhook(schemes, valid(), { secrets: [] })).toMatchObject({ code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
  });
});

describe('token in the body (Zoho `token`)', () => {
  const schemes = parse({ scheme: 'token', in: 'body', name: 'token' });
  const body = (token: unknown) => Buffer.from(JSON.stringify({ module: 'Contacts', ids: ['1'], operation: 'update', channel_id: '1000000068001', token }));
  const valid = (token: unknown = 'TOKEN_FOR_VERIFICATION') => request({ body: body(token) });

  it('accepts the channel token, and old and new during a rotation', async () => {
    expect(await verifyWebhook(schemes, valid(), { secrets: ['TOKEN_FOR_VERIFICATION'] })).toEqual({ ok: true });
    expect((await verifyWebhook(schemes, valid(), { secrets: ['NEW_TOKEN', 'TOKEN_FOR_VERIFICATION'] })).ok).toBe(true);
  });

  it('refuses a wrong token, a missing token, a non-string token', async () => {
    const secrets = ['TOKEN_FOR_VERIFICATION'];
    expect(await verifyWebhook(schemes, valid('TOKEN_FOR_VERIFICATIOn'), { secrets })).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    expect(await verifyWebhook(schemes, request({ body: body(undefined) }), { secrets })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    expect(await verifyWebhook(schemes, valid(['TOKEN_FOR_VERIFICATION']), { secrets })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
  });

  it('reads form bodies by their media type, and nothing from other media types', async () => {
    const secrets = ['TOKEN_FOR_VERIFICATION'];
    const form = request({ headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from('a=1&token=TOKEN_FOR_VERIFICATION') });
    expect(await verifyWebhook(schemes, form, { secrets })).toEqual({ ok: true });
    const text = request({ headers: { 'content-type': 'text/plain' }, body: body('TOKEN_FOR_VERIFICATION') });
    expect(await verifyWebhook(schemes, text, { secrets })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    const malformed = request({ body: Buffer.from('{"token": "TOKEN_FOR_VERIFICATION"') });
    expect(await verifyWebhook(schemes, malformed, { secrets })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
  });
});

describe('token in a header or the query (Dataverse WebhookKey / HttpHeader / HttpQueryString)', () => {
  it('reads a header after its prefix', async () => {
    const schemes = parse({ scheme: 'token', in: 'header', name: 'x-webhook-key', prefix: 'Key ' });
    const valid = (value = 'Key dv-secret') => request({ headers: { 'x-webhook-key': value } });
    expect(await verifyWebhook(schemes, valid(), { secrets: ['dv-secret'] })).toEqual({ ok: true });
    expect(await verifyWebhook(schemes, valid('Key dv-secreT'), { secrets: ['dv-secret'] })).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    expect(await verifyWebhook(schemes, valid('dv-secret'), { secrets: ['dv-secret'] })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    expect(await verifyWebhook(schemes, request(), { secrets: ['dv-secret'] })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
  });

  it('reads a query parameter, percent-decoded', async () => {
    const schemes = parse({ scheme: 'token', in: 'query', name: 'code' });
    const valid = (query = '?code=dv%2Bsecret') => request({ path: `/webhooks/p/acc_1${query}`, url: `https://hub.example/webhooks/p/acc_1${query}` });
    expect(await verifyWebhook(schemes, valid(), { secrets: ['dv+secret'] })).toEqual({ ok: true });
    expect((await verifyWebhook(schemes, valid(), { secrets: ['old', 'dv+secret'] })).ok).toBe(true);
    expect(await verifyWebhook(schemes, valid('?code=dv%2Bsecre'), { secrets: ['dv+secret'] })).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    expect(await verifyWebhook(schemes, valid(''), { secrets: ['dv+secret'] })).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
  });
});

describe('bearer', () => {
  const schemes = parse({ scheme: 'bearer', secret: { source: 'app_secret', name: 'webhook_token' } });
  const valid = (authorization = 'Bearer tok_live_123') => request({ headers: { authorization } });
  const options = (tokens: string[]) => ({ secrets: [], appSecrets: { webhook_token: tokens } });

  it('accepts the token in any case of the scheme name, and old and new during a rotation', async () => {
    expect(await verifyWebhook(schemes, valid(), options(['tok_live_123']))).toEqual({ ok: true });
    expect((await verifyWebhook(schemes, valid('bearer tok_live_123'), options(['tok_new', 'tok_live_123']))).ok).toBe(true);
  });

  it('refuses a wrong token, a missing header, an empty token', async () => {
    expect(await verifyWebhook(schemes, valid('Bearer tok_live_12'), options(['tok_live_123']))).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    expect(await verifyWebhook(schemes, request(), options(['tok_live_123']))).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    expect(await verifyWebhook(schemes, valid('Bearer '), options(['tok_live_123']))).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
  });

  it('says so when the provider app has no such secret', async () => {
    expect(await verifyWebhook(schemes, valid(), { secrets: ['tok_live_123'] })).toMatchObject({ code: 'SWY_ERR_APP_SECRET_UNSET' });
  });
});
