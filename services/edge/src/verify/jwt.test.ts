import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationScheme } from '@switchyard/contracts';
import { EgressPolicy } from '@switchyard/kernel';
import { ProviderHttp } from '@switchyard/provider-client';
import { JwksCache, verifyWebhook, type InboundRequest } from './index.js';

const NOW_S = 1_790_000_000;
const NOW_MS = NOW_S * 1000;
const ISSUER = 'https://issuer.example';
const AUDIENCE = 'switchyard-app';
const BODY = '{"value":[{"changeType":"updated","resource":"users/42"}]}';
const bodyHash = (body: string) => createHash('sha256').update(body).digest('base64url');

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'PS256';
  privateKey: CryptoKey;
  jwk: JWK;
  pem: string;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, pem: await exportSPKI(publicKey) };
}

/** Signs a token that is valid at NOW for our declaration; `claims` override or remove (undefined) claims. */
async function token(key: SigningKey, claims: Record<string, unknown> = {}): Promise<string> {
  const payload: JWTPayload = { iss: ISSUER, aud: AUDIENCE, iat: NOW_S, exp: NOW_S + 600, body_sha256: bodyHash(BODY), ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

const request = (authorization?: string, body = BODY): InboundRequest => ({
  method: 'POST',
  url: 'https://hub.example/webhooks/graph/acc_1',
  path: '/webhooks/graph/acc_1',
  headers: authorization === undefined ? {} : { authorization },
  body: Buffer.from(body),
});

describe('jwt with a JWKS URL (served on 127.0.0.1)', () => {
  let server: Server;
  let url: string;
  let published: JWK[] = [];
  let fetches = 0;
  let first: SigningKey;
  let rotated: SigningKey;
  let outsider: SigningKey;
  let pss: SigningKey;

  beforeAll(async () => {
    [first, rotated, outsider, pss] = await Promise.all([signingKey('k1', 'RS256'), signingKey('k2', 'ES256'), signingKey('k1', 'RS256'), signingKey('k3', 'PS256')]);
    published = [first.jwk];
    server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const declaration = (overrides: Record<string, unknown> = {}) => ({
    scheme: 'jwt',
    key: { type: 'jwks', url },
    algorithms: ['RS256', 'ES256'],
    issuer: ISSUER,
    audience: AUDIENCE,
    clock_tolerance_s: 5,
    body_hash: { claim: 'body_sha256' },
    ...overrides,
  });
  const verify = (req: InboundRequest, jwks: JwksCache, overrides?: Record<string, unknown>) =>
    verifyWebhook([VerificationScheme.parse(declaration(overrides))], req, { secrets: [], nowMs: NOW_MS, jwks });

  it('accepts a valid token and fetches the key set once for many requests', async () => {
    const jwks = new JwksCache();
    const before = fetches;
    for (let i = 0; i < 3; i += 1) expect(await verify(request(`Bearer ${await token(first)}`), jwks)).toEqual({ ok: true });
    expect(fetches - before).toBe(1);
  });

  it('fetches key sets under the provider egress policy: a loopback JWKS only when the operator opened loopback', async () => {
    const opened = new ProviderHttp(new EgressPolicy(['127.0.0.0/8'], { allowHttp: true }), { timeoutMs: 5_000 });
    const shipped = new ProviderHttp(new EgressPolicy([], { allowHttp: true }), { timeoutMs: 5_000 });
    try {
      const through = (http: ProviderHttp) => new JwksCache({ fetch: (target, init) => http.fetch(target, init) });
      expect(await verify(request(`Bearer ${await token(first)}`), through(opened))).toEqual({ ok: true });
      const before = fetches;
      expect(await verify(request(`Bearer ${await token(first)}`), through(shipped))).toMatchObject({ ok: false, code: 'SWY_ERR_JWKS_UNAVAILABLE' });
      expect(fetches).toBe(before);
    } finally {
      await Promise.all([opened.close(), shipped.close()]);
    }
  });

  it.each([
    ['expired', { exp: NOW_S - 60 }, 'SWY_ERR_TIMESTAMP_SKEW'],
    ['not yet valid', { nbf: NOW_S + 60 }, 'SWY_ERR_TIMESTAMP_SKEW'],
    ['without exp', { exp: undefined }, 'SWY_ERR_TOKEN_INVALID'],
    ['for another audience', { aud: 'someone-else' }, 'SWY_ERR_TOKEN_INVALID'],
    ['from another issuer', { iss: 'https://evil.example' }, 'SWY_ERR_TOKEN_INVALID'],
    ['without the body hash claim', { body_sha256: undefined }, 'SWY_ERR_TOKEN_INVALID'],
    ['for another body', { body_sha256: bodyHash(`${BODY} `) }, 'SWY_ERR_SIGNATURE_MISMATCH'],
  ])('refuses a token %s', async (_name, claims, code) => {
    expect(await verify(request(`Bearer ${await token(first, claims)}`), new JwksCache())).toMatchObject({ ok: false, code });
  });

  it('accepts a token within the clock tolerance', async () => {
    expect(await verify(request(`Bearer ${await token(first, { exp: NOW_S - 3 })}`), new JwksCache())).toEqual({ ok: true });
  });

  it('refuses one body byte changed under a valid token', async () => {
    expect(await verify(request(`Bearer ${await token(first)}`, BODY.replace('42', '43')), new JwksCache())).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses an algorithm outside the allow-list, even from a published key', async () => {
    const jwks = new JwksCache();
    published = [first.jwk, pss.jwk];
    try {
      expect(await verify(request(`Bearer ${await token(pss)}`), jwks)).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    } finally {
      published = [first.jwk];
    }
    expect(await verify(request(`Bearer ${await token(first)}`), jwks, { algorithms: ['ES256'] })).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
  });

  it('refuses a token signed by another key under a published kid', async () => {
    expect(await verify(request(`Bearer ${await token(outsider)}`), new JwksCache())).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses a missing, truncated or malformed token', async () => {
    const jwks = new JwksCache();
    const valid = await token(first);
    expect(await verify(request(), jwks)).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    expect(await verify(request(`Bearer ${valid.slice(0, -10)}`), jwks)).toMatchObject({ ok: false });
    expect(await verify(request('Bearer not.a.jwt'), jwks)).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
  });

  it('refuses an unknown kid, then accepts it once the provider publishes the rotated key set', async () => {
    const jwks = new JwksCache({ cooldownMs: 0 });
    expect(await verify(request(`Bearer ${await token(first)}`), jwks)).toEqual({ ok: true });
    const next = request(`Bearer ${await token(rotated)}`);
    expect(await verify(next, jwks)).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    published = [first.jwk, rotated.jwk];
    try {
      expect(await verify(next, jwks)).toEqual({ ok: true });
    } finally {
      published = [first.jwk];
    }
  });

  it('reads the token from a named header or a query parameter when declared', async () => {
    const valid = await token(first);
    const header = { ...request(), headers: { 'x-provider-jwt': `JWT ${valid}` } };
    expect(await verify(header, new JwksCache(), { token: { from: 'header', name: 'x-provider-jwt', prefix: 'JWT ' } })).toEqual({ ok: true });
    const query = { ...request(), path: `/webhooks/graph/acc_1?validationToken=${valid}` };
    expect(await verify(query, new JwksCache(), { token: { from: 'query', name: 'validationToken' } })).toEqual({ ok: true });
  });

  it('answers 503-coded when the key set cannot be fetched', async () => {
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const result = await verify(request(`Bearer ${await token(first)}`), new JwksCache(), { key: { type: 'jwks', url: `http://127.0.0.1:${port}/keys` } });
    expect(result).toMatchObject({ code: 'SWY_ERR_JWKS_UNAVAILABLE' });
  });
});

describe('jwt with static keys', () => {
  let old: SigningKey;
  let current: SigningKey;
  beforeAll(async () => {
    [old, current] = await Promise.all([signingKey('a', 'ES256'), signingKey('b', 'ES256')]);
  });
  const pem = VerificationScheme.parse({ scheme: 'jwt', key: { type: 'pem' }, algorithms: ['ES256'], audience: AUDIENCE });
  const verify = (req: InboundRequest, secrets: string[], scheme = pem) => verifyWebhook([scheme], req, { secrets, nowMs: NOW_MS });

  it('accepts PEM and JWK keys from the account secrets, old and new during a rotation', async () => {
    const jwk = VerificationScheme.parse({ scheme: 'jwt', key: { type: 'jwk' }, algorithms: ['ES256'] });
    expect(await verify(request(`Bearer ${await token(current)}`), [old.pem, current.pem])).toEqual({ ok: true });
    expect(await verify(request(`Bearer ${await token(old)}`), [old.pem, current.pem])).toEqual({ ok: true });
    expect(await verify(request(`Bearer ${await token(current)}`), [JSON.stringify(current.jwk)], jwk)).toEqual({ ok: true });
  });

  it('refuses a token from a retired key and says so when no secret is a key', async () => {
    expect(await verify(request(`Bearer ${await token(old)}`), [current.pem])).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
    expect(await verify(request(`Bearer ${await token(old)}`), ['not a pem'])).toMatchObject({ code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
  });

  it('verifies HS256 with a shared secret, and refuses a wrong one', async () => {
    const hs = VerificationScheme.parse({ scheme: 'jwt', key: { type: 'secret' }, algorithms: ['HS256'] });
    const signed = await new SignJWT({ exp: NOW_S + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from('shared-secret-of-32-bytes-length!'));
    expect(await verify(request(`Bearer ${signed}`), ['old-secret', 'shared-secret-of-32-bytes-length!'], hs)).toEqual({ ok: true });
    expect(await verify(request(`Bearer ${signed}`), ['shared-secret-of-32-bytes-length?'], hs)).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses declarations that mix algorithm families, allow none, or fetch keys over plain http', () => {
    const base = { scheme: 'jwt', audience: AUDIENCE };
    expect(VerificationScheme.safeParse({ ...base, key: { type: 'jwks', url: 'https://keys.example/jwks' }, algorithms: ['RS256', 'HS256'] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ ...base, key: { type: 'secret' }, algorithms: ['RS256'] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ ...base, key: { type: 'pem' }, algorithms: [] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ ...base, key: { type: 'pem' }, algorithms: ['none'] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ ...base, key: { type: 'jwks', url: 'http://keys.example/jwks' }, algorithms: ['RS256'] }).success).toBe(false);
  });
});
