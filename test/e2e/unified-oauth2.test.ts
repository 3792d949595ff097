import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '@switchyard/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { startGustoApi, type GustoApi } from '../simulators/gusto-api.js';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from '../simulators/oauth2-provider.js';

const CLIENT = { clientId: 'gusto-client', clientSecret: 'gusto-secret' };
const PROVIDER = 'oauth-hris';
const LIST_ROUTE = 'GET /v1/companies/:company_uuid/employees';

/**
 * A test-only provider: Gusto's employees API with OAuth2 and a token endpoint whose URL is templated
 * from the account's config, so the refresh path is exercised whatever the shipped definitions declare.
 */
const definition = {
  slug: PROVIDER,
  name: 'OAuth2 HRIS (test)',
  category: 'hris',
  version: '1',
  api: {
    base_url: 'https://api.gusto.com',
    auth: { type: 'oauth2', token_url: 'http://127.0.0.1:{config.token_port}/oauth/token', client_auth: 'basic' },
    resources: {
      'hris/employees': {
        list: {
          path: '/v1/companies/{config.company_uuid}/employees',
          pagination: { style: 'page', page_param: 'page', per_page_param: 'per', has_more: '$number(headers."x-page") < $number(headers."x-total-pages")' },
          map: '{ "remote_id": uuid, "first_name": first_name, "last_name": last_name, "work_email": work_email }',
        },
        get: { path: '/v1/employees/{id}', map: '{ "remote_id": uuid, "first_name": first_name, "last_name": last_name }' },
      },
    },
  },
};

/**
 * OAuth2 for unified calls and the proxy, through two real hubs sharing one nats-server, against the
 * Gusto simulator (single-use rotating refresh tokens; an expired or revoked access token is a 401).
 */
describe('unified API over OAuth2: refresh, rotation, 401 retry, invalid_grant', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hubs: TestHub[];
  let oauth: OAuth2ProviderSimulator;
  let gusto: GustoApi;
  let ops: Receiver;
  let mappingsDir: string;
  let apiKey: string;
  let appId: string;
  const logs: string[] = [];

  const get = async (path: string, hub = hubs[0]!) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const employees = (accountId: string, hub = hubs[0]!) => get(`/unified/hris/employees?integrated_account_id=${accountId}&limit=10`, hub);
  /** Connects an account holding a fresh grant that expires `expiresInMs` from now. */
  const connect = async (expiresInMs: number, options: { viaApp: boolean } = { viaApp: true }) => {
    const grant = oauth.issue();
    const credentials = {
      access_token: grant.access_token,
      refresh_token: grant.refresh_token,
      expires_at: new Date(Date.now() + expiresInMs).toISOString(),
      ...(options.viaApp ? {} : { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    };
    const config = { base_url: gusto.url, company_uuid: gusto.state.companyUuid, token_port: new URL(gusto.url).port };
    const created = await hubs[0]!.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: PROVIDER, credentials, config, ...(options.viaApp ? { provider_app_id: appId } : {}) },
    });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, grant };
  };

  beforeAll(async () => {
    nats = await startTestNats();
    oauth = await startOAuth2Provider({ ...CLIENT, accessTokenTtlS: 7_200 });
    gusto = await startGustoApi({ oauth, employees: 40, rateLimit: { max: 100_000, windowMs: 60_000 } });
    mappingsDir = await mkdtemp(join(tmpdir(), 'swy-oauth2-mappings-'));
    await mkdir(join(mappingsDir, PROVIDER));
    await writeFile(join(mappingsDir, PROVIDER, 'provider.json'), JSON.stringify(definition, null, 2));
    // Two processes' worth of hub on one NATS: they share buckets, so they must share the vault key.
    const env = { SWITCHYARD_MAPPINGS_DIR: mappingsDir, SWITCHYARD_ENCRYPTION_KEY: generateKey() };
    hubs = [await startTestHub(nats.url, env, logs), await startTestHub(nats.url, env, logs)];
    apiKey = (await hubs[0]!.createEnvironment('oauth2')).apiKey;
    const app = await hubs[0]!.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: PROVIDER, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } });
    expect(app.status).toBe(201);
    appId = app.body.id;
    ops = await startReceiver();
    const subscription = await hubs[0]!.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: ops.url, event_types: ['integrated_account:*'] } });
    expect(subscription.status).toBe(201);
  });
  afterAll(async () => {
    for (const hub of hubs ?? []) await hub.close();
    await ops?.close();
    await gusto?.close();
    await oauth?.close();
    await nats?.stop();
    if (mappingsDir) await rm(mappingsDir, { recursive: true, force: true });
  });

  it('refreshes an expired access token transparently, once, and keeps the new tokens sealed', async () => {
    const before = oauth.refreshes;
    const { id } = await connect(-60_000);
    const first = await employees(id);
    expect(first.status).toBe(200);
    expect(first.body.result).toHaveLength(10);
    expect(first.body.result[0]).toMatchObject({ remote_id: gusto.state.employees[0]!.uuid, first_name: gusto.state.employees[0]!.first_name });
    expect(oauth.refreshes).toBe(before + 1);
    // The refreshed token is served to later calls in either process without asking the provider again.
    expect((await employees(id)).status).toBe(200);
    expect((await employees(id, hubs[1])).status).toBe(200);
    expect((await get(`/unified/hris/employees/${gusto.state.employees[3]!.uuid}?integrated_account_id=${id}`, hubs[1])).body.remote_id).toBe(gusto.state.employees[3]!.uuid);
    expect(oauth.refreshes).toBe(before + 1);
    // At rest the grant is sealed: no issued token appears in the tokens bucket.
    const kv = hubs[0]!.runtime.bus.kv.tokens;
    const keys: string[] = [];
    for await (const key of await kv.keys(`oauth2.${id}.*`)) keys.push(key);
    expect(keys).toHaveLength(1);
    const stored = (await kv.get(keys[0]!))!.string();
    expect(stored).toContain('"ct"');
    for (const token of oauth.issuedTokens()) expect(stored).not.toContain(token);
  });

  it('30 concurrent unified reads across two hubs cause exactly one refresh', async () => {
    const { id } = await connect(-60_000);
    const before = { refreshes: oauth.refreshes, requests: oauth.refreshRequests };
    const waited = () => logs.filter((line) => line.includes('waiting for a refresh held by another process')).length;
    const waitedBefore = waited();
    const release = oauth.pauseRefreshes();
    try {
      const reads = Promise.all(Array.from({ length: 30 }, (_, i) => employees(id, hubs[i % 2])));
      // Hold the provider's answer until one hub refreshes and the other is seen waiting on the KV lock.
      await eventually('both hubs to contend for the refresh', () => oauth.heldRefreshes >= 1 && waited() > waitedBefore);
      release();
      const results = await reads;
      for (const result of results) expect(result.status).toBe(200);
    } finally {
      release();
    }
    expect(oauth.refreshRequests).toBe(before.requests + 1);
    expect(oauth.refreshes).toBe(before.refreshes + 1);
  });

  it('persists the rotated refresh token: the next refresh, from the other hub, presents it, never the old one', async () => {
    // No provider app: the client id and secret come from the account's credentials.
    const { id } = await connect(-60_000, { viaApp: false });
    const before = oauth.refreshes;
    expect((await employees(id)).status).toBe(200);
    expect(oauth.refreshes).toBe(before + 1);
    // Revoke every access token early: the other hub's call gets a 401 and must refresh with the rotated
    // refresh token. Presenting the original one (still in the account's credentials) would be refused.
    oauth.expireAccessTokens();
    expect((await employees(id, hubs[1])).status).toBe(200);
    expect(oauth.refreshes).toBe(before + 2);
    oauth.expireAccessTokens();
    expect((await employees(id, hubs[1])).status).toBe(200);
    expect(oauth.refreshes).toBe(before + 3);
    expect(oauth.reusedRefreshTokens).toBe(0);
    expect((await hubs[0]!.call('GET', `/v1/integrated-accounts/${id}`, { token: apiKey })).body.status).toBe('active');
  });

  it('a 401 from the API forces one refresh and one retry, for unified calls and the proxy', async () => {
    const { id } = await connect(3_600_000);
    const refreshes = oauth.refreshes;
    expect((await employees(id)).status).toBe(200);
    expect(oauth.refreshes).toBe(refreshes); // still valid: no refresh
    oauth.expireAccessTokens();
    const calls = gusto.state.requests[LIST_ROUTE]!;
    expect((await employees(id)).status).toBe(200);
    expect(gusto.state.requests[LIST_ROUTE]).toBe(calls + 2); // the refused call and its one retry
    expect(oauth.refreshes).toBe(refreshes + 1);

    oauth.expireAccessTokens();
    const proxied = await fetch(`${hubs[1]!.url}/proxy/v1/companies/${gusto.state.companyUuid}/employees?per=5`, {
      headers: { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': id },
    });
    expect(proxied.status).toBe(200);
    expect((await proxied.json()) as unknown[]).toHaveLength(5);
    expect(oauth.refreshes).toBe(refreshes + 2);
    expect(oauth.reusedRefreshTokens).toBe(0);
  });

  it('invalid_grant: the account needs re-authorization, subscribers are told, calls answer a coded error', async () => {
    const { id } = await connect(-60_000);
    oauth.revoke();
    const requests = oauth.refreshRequests;
    const refused = await employees(id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_ACCOUNT_NEEDS_REAUTH', status: 409 });
    expect(oauth.refreshRequests).toBe(requests + 1);
    expect((await hubs[0]!.call('GET', `/v1/integrated-accounts/${id}`, { token: apiKey })).body.status).toBe('needs_reauth');

    const delivered = await eventually('the needs_reauth event', () =>
      ops.delivered().map((r) => JSON.parse(r.body)).find((e) => e.type === 'integrated_account:needs_reauth' && e.data.id === id),
    );
    expect(delivered.data).toMatchObject({ id, provider: PROVIDER, status: 'needs_reauth' });
    expect(JSON.stringify(delivered)).not.toContain('access_token');

    // Every later call, in either process and through the proxy, gets the same answer without asking the provider.
    await eventually('the other hub to see the status', async () => (await employees(id, hubs[1])).body.code === 'SWY_ERR_ACCOUNT_NEEDS_REAUTH');
    const proxied = await fetch(`${hubs[1]!.url}/proxy/v1/companies/${gusto.state.companyUuid}/employees`, {
      headers: { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': id },
    });
    expect(proxied.status).toBe(409);
    expect(((await proxied.json()) as { code: string }).code).toBe('SWY_ERR_ACCOUNT_NEEDS_REAUTH');
    expect(oauth.refreshRequests).toBe(requests + 1);
    expect(oauth.reusedRefreshTokens).toBe(0);
  });

  it('never writes a token or the client secret to the logs', () => {
    const all = logs.join('');
    expect(all).toContain('access token refreshed');
    expect(all).toContain('account needs re-authorization');
    expect(all).toContain('"route":"/unified/:category/:resource"');
    const secrets = [...oauth.issuedTokens(), CLIENT.clientSecret, Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64'), apiKey];
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});
