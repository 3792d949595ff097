import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));

/**
 * The OAuth2 authorization-code flow: authorize URL with a signed state → the provider's consent
 * (played here by a token endpoint that knows one code) → the edge's callback exchanges the code and
 * creates the account → the end user is redirected back to the customer.
 */
describe('connecting an account with OAuth', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let provider: Server;
  let providerUrl: string;
  let dir: string;
  const exchanges: URLSearchParams[] = [];
  /**
   * The S256 challenge the consent screen saw for each code it issued. As RFC 7636 §4.6 says (and
   * providers that support PKCE do), a code issued with a challenge is exchanged only with its verifier.
   */
  const challenges = new Map<string, string>();
  const verifierMatches = (form: URLSearchParams) => {
    const challenge = challenges.get(form.get('code') ?? '');
    if (challenge === undefined) return true;
    return createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === challenge;
  };

  beforeAll(async () => {
    provider = createServer((request, response) => {
      let body = '';
      request.on('data', (c) => (body += c));
      request.on('end', () => {
        const form = new URLSearchParams(body);
        exchanges.push(form);
        const ok = form.get('grant_type') === 'authorization_code' && form.get('code') === 'good-code' && form.get('client_secret') === 'app-secret' && verifierMatches(form);
        response.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
        response.end(JSON.stringify(ok ? { access_token: 'at-1', refresh_token: 'rt-1', expires_in: 1800, instance_url: 'https://org.example.com', hub_id: 4242 } : { error: 'invalid_grant' }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const address = provider.address();
    providerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    // A provider whose API uses the authorization-code flow: bamboohr's folder with an oauth2 api section.
    dir = await mkdtemp(join(tmpdir(), 'swy-connect-'));
    await cp(join(MAPPINGS, 'bamboohr'), join(dir, 'oauthdemo'), { recursive: true });
    const definition = JSON.parse(await readFile(join(dir, 'oauthdemo', 'provider.json'), 'utf8'));
    definition.slug = 'oauthdemo';
    definition.api.auth = {
      type: 'oauth2',
      authorize_url: 'https://login.example.com/oauth/authorize',
      token_url: `${providerUrl}/token`,
      scopes: ['read', 'write'],
      pkce: 'supported',
      account_config: '{"base_url": instance_url}',
      remote_key: '$string(hub_id)',
    };
    await writeFile(join(dir, 'oauthdemo', 'provider.json'), JSON.stringify(definition));
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_MAPPINGS_DIR: dir });
  });
  afterAll(async () => {
    await hub?.close();
    await nats?.stop();
    await new Promise<void>((resolve) => provider.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the account from the code and sends the user back with its id', async () => {
    const { apiKey } = await hub.createEnvironment('connect');
    const app = await hub.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: 'oauthdemo', client_id: 'app-id', client_secret: 'app-secret' } });
    const start = await hub.call('GET', '/v1/connect/oauthdemo/authorize?redirect_uri=https://customer.example/done', { token: apiKey });
    expect(start.status).toBe(200);
    const authorize = new URL(start.body.url);
    expect(authorize.origin + authorize.pathname).toBe('https://login.example.com/oauth/authorize');
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ response_type: 'code', client_id: 'app-id', redirect_uri: `${hub.publicUrl}/connect/callback`, scope: 'read write', code_challenge_method: 'S256' });
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The consent screen keeps the challenge with the code it issues.
    challenges.set('good-code', authorize.searchParams.get('code_challenge')!);

    // The provider sends the user back to our callback with a code and the state it was given.
    const callback = await fetch(`${hub.url}/connect/callback?code=good-code&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { redirect: 'manual' });
    expect(callback.status).toBe(302);
    const landing = new URL(callback.headers.get('location')!);
    expect(landing.origin + landing.pathname).toBe('https://customer.example/done');
    const accountId = landing.searchParams.get('integrated_account_id')!;
    expect(accountId).toMatch(/^acc_/);
    expect(exchanges.at(-1)!.get('redirect_uri')).toBe(`${hub.publicUrl}/connect/callback`);
    // The exchange carried the verifier of that challenge; the verifier itself never was in the URL.
    const verifier = exchanges.at(-1)!.get('code_verifier')!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
    expect(start.body.url).not.toContain(verifier);

    // The same callback again (a replayed redirect) is refused and creates nothing.
    const exchangesBefore = exchanges.length;
    const replayed = await fetch(`${hub.url}/connect/callback?code=good-code&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { redirect: 'manual' });
    expect(replayed.status).toBe(400);
    expect(((await replayed.json()) as { code: string }).code).toBe('SWY_ERR_CONNECT_STATE_USED');
    expect(exchanges).toHaveLength(exchangesBefore);
    expect((await hub.call('GET', '/v1/integrated-accounts', { token: apiKey })).body.data).toHaveLength(1);

    // The provider refuses the code with a wrong verifier, so a stolen code alone is worthless.
    const stolen = await fetch(`${providerUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'good-code', client_id: 'app-id', client_secret: 'app-secret', code_verifier: 'x'.repeat(43) }).toString(),
    });
    expect(stolen.status).toBe(400);

    const account = await hub.call('GET', `/v1/integrated-accounts/${accountId}`, { token: apiKey });
    expect(account.body).toMatchObject({ provider: 'oauthdemo', provider_app_id: app.body.id, remote_key: '4242', config: { base_url: 'https://org.example.com' } });
    expect(JSON.stringify(account.body)).not.toContain('at-1');
    expect(callback.headers.get('location')).not.toContain('at-1');
  });

  it('sends the user back with an error when the code is refused or the user declined, and refuses a forged state', async () => {
    const { apiKey } = await hub.createEnvironment('connect-errors');
    await hub.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: 'oauthdemo', client_id: 'app-id', client_secret: 'app-secret' } });
    const newState = async () => new URL((await hub.call('GET', '/v1/connect/oauthdemo/authorize?redirect_uri=https://customer.example/done', { token: apiKey })).body.url).searchParams.get('state')!;
    const state = await newState();
    const refused = await fetch(`${hub.url}/connect/callback?code=bad-code&state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('connect_failed');
    // Each state works once, a refused one too: the user starts again with a fresh link.
    const again = await fetch(`${hub.url}/connect/callback?code=good-code&state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { code: string }).code).toBe('SWY_ERR_CONNECT_STATE_USED');
    const declined = await fetch(`${hub.url}/connect/callback?error=access_denied&state=${encodeURIComponent(await newState())}`, { redirect: 'manual' });
    expect(new URL(declined.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
    const forged = await fetch(`${hub.url}/connect/callback?code=good-code&state=${encodeURIComponent(`${state.slice(0, -3)}abc`)}`, { redirect: 'manual' });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { code: string }).code).toBe('SWY_ERR_CONNECT_STATE_INVALID');
    expect((await hub.call('GET', '/v1/integrated-accounts', { token: apiKey })).body.data).toEqual([]);
  });

  it('never calls a loopback token endpoint under the default provider egress, even on a port open to deliveries', async () => {
    const strict = await startTestHub(nats.url, { SWITCHYARD_MAPPINGS_DIR: dir, SWITCHYARD_EGRESS_ALLOW: `127.0.0.1:${new URL(providerUrl).port}`, SWITCHYARD_PROVIDER_EGRESS_ALLOW: '' });
    try {
      const { apiKey } = await strict.createEnvironment('connect-strict');
      await strict.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: 'oauthdemo', client_id: 'app-id', client_secret: 'app-secret' } });
      const state = new URL((await strict.call('GET', '/v1/connect/oauthdemo/authorize?redirect_uri=https://customer.example/done', { token: apiKey })).body.url).searchParams.get('state')!;
      const before = exchanges.length;
      const callback = await fetch(`${strict.url}/connect/callback?code=good-code&state=${encodeURIComponent(state)}`, { redirect: 'manual' });
      expect(new URL(callback.headers.get('location')!).searchParams.get('error')).toBe('connect_failed');
      expect(exchanges.length).toBe(before);
      expect((await strict.call('GET', '/v1/integrated-accounts', { token: apiKey })).body.data).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('needs a provider app and a provider that declares the flow', async () => {
    const { apiKey } = await hub.createEnvironment('connect-missing');
    expect((await hub.call('GET', '/v1/connect/oauthdemo/authorize?redirect_uri=https://customer.example/done', { token: apiKey })).body.code).toBe('SWY_ERR_PROVIDER_APP_UNKNOWN');
    expect((await hub.call('GET', '/v1/connect/bamboohr/authorize?redirect_uri=https://customer.example/done', { token: apiKey })).body.code).toBe('SWY_ERR_RESOURCE_UNSUPPORTED');
  });
});
