import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { keyToken } from '@switchyard/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { readStream } from '../harness/streams.js';
import { rememberSecret } from '../harness/log-audit.js';
import { createTenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

describe('management API: auth, tenant scoping, validation, secrets', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let receiver: Receiver;
  const logs: string[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('serves /metrics only to the bearer of the metrics token, kept owner-only in the data dir', async () => {
    const scrape = (authorization?: string) => fetch(`${hub.url}/metrics`, authorization ? { headers: { authorization } } : {});
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'SWY_ERR_UNAUTHORIZED' });
    for (const wrong of [`Bearer ${hub.metricsToken}x`, `Bearer ${hub.adminToken}`, hub.metricsToken]) {
      const refused = await scrape(wrong);
      expect(refused.status, wrong.slice(0, 12)).toBe(401);
      expect(await refused.text()).not.toContain('switchyard_');
    }
    const ok = await scrape(`Bearer ${hub.metricsToken}`);
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).toContain('switchyard_');
    // As promtool checks: `_total` only on counters, and every counter ends in `_total`.
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    expect(types.filter((t) => t.name.endsWith('_total') !== (t.type === 'counter'))).toEqual([]);
    expect(types.map((t) => t.name)).toContain('switchyard_nodejs_active_resources');
    const file = join(hub.dataDir, 'metrics-token');
    expect((await readFile(file, 'utf8')).trim()).toBe(hub.metricsToken);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('creates environments only with the admin token', async () => {
    expect(await hub.call('POST', '/v1/environments', { body: { name: 'x' } })).toMatchObject({ status: 401, body: { code: 'SWY_ERR_UNAUTHORIZED' } });
    expect(await hub.call('POST', '/v1/environments', { token: `${hub.adminToken}x`, body: { name: 'x' } })).toMatchObject({ status: 401 });
    const created = await hub.call('POST', '/v1/environments', { token: hub.adminToken, body: { name: 'acme' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^env_/), name: 'acme', api_key: expect.stringMatching(/^swy_/) });
    // The API key does not open admin routes, and the admin token does not open customer routes.
    expect((await hub.call('POST', '/v1/environments', { token: created.body.api_key, body: { name: 'y' } })).status).toBe(401);
    expect((await hub.call('GET', '/v1/subscriptions', { token: hub.adminToken })).status).toBe(401);
  });

  it('rotates an API key: the new key works at once, the old one until it is revoked, then 401', async () => {
    const env = await hub.createEnvironment('rotating');
    const keysPath = `/v1/environments/${env.id}/api-keys`;
    const rotated = await hub.call('POST', keysPath, { token: env.apiKey });
    expect(rotated).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^key_/), api_key: expect.stringMatching(/^swy_/) } });
    const newKey: string = rotated.body.api_key;
    expect((await hub.call('GET', '/v1/subscriptions', { token: newKey })).status).toBe(200);
    expect((await hub.call('GET', '/v1/subscriptions', { token: env.apiKey })).status).toBe(200);
    const listed = await hub.call('GET', keysPath, { token: newKey });
    expect(listed.body.data).toHaveLength(2);
    expect(JSON.stringify(listed.body)).not.toContain(newKey);
    expect(JSON.stringify(listed.body)).not.toContain(env.apiKey);
    const oldId = listed.body.data.find((k: { id: string }) => k.id !== rotated.body.id).id;
    expect((await hub.call('DELETE', `${keysPath}/${oldId}`, { token: newKey })).status).toBe(204);
    expect(await hub.call('GET', '/v1/subscriptions', { token: env.apiKey })).toMatchObject({ status: 401, body: { code: 'SWY_ERR_UNAUTHORIZED' } });
    expect((await hub.call('GET', '/v1/subscriptions', { token: newKey })).status).toBe(200);
    expect((await hub.call('GET', keysPath, { token: newKey })).body.data.map((k: { id: string }) => k.id)).toEqual([rotated.body.id]);
  });

  it('cuts superseded keys off when rotating with a grace period, and never revokes the last key', async () => {
    const env = await hub.createEnvironment('graceful');
    const keysPath = `/v1/environments/${env.id}/api-keys`;
    const withGrace = await hub.call('POST', keysPath, { token: env.apiKey, body: { expire_others_in_seconds: 3600 } });
    expect(withGrace.status).toBe(201);
    expect((await hub.call('GET', '/v1/subscriptions', { token: env.apiKey })).status).toBe(200);
    const old = (await hub.call('GET', keysPath, { token: env.apiKey })).body.data.find((k: { id: string }) => k.id !== withGrace.body.id);
    expect(old.expires_at).toEqual(expect.any(String));
    const immediate = await hub.call('POST', keysPath, { token: env.apiKey, body: { expire_others_in_seconds: 0 } });
    expect(immediate.status).toBe(201);
    expect((await hub.call('GET', '/v1/subscriptions', { token: env.apiKey })).status).toBe(401);
    expect((await hub.call('GET', '/v1/subscriptions', { token: withGrace.body.api_key })).status).toBe(401);
    const last = await hub.call('DELETE', `${keysPath}/${immediate.body.id}`, { token: immediate.body.api_key });
    expect(last).toMatchObject({ status: 409, body: { code: 'SWY_ERR_API_KEY_LAST' } });
    expect((await hub.call('GET', '/v1/subscriptions', { token: immediate.body.api_key })).status).toBe(200);
    expect(await hub.call('POST', keysPath, { token: immediate.body.api_key, body: { expire_others_in_seconds: -1 } })).toMatchObject({ status: 400, body: { code: 'SWY_ERR_VALIDATION' } });
  });

  it("lets only the admin token or the environment's own key manage its keys", async () => {
    const a = await hub.createEnvironment('keys-a');
    const b = await hub.createEnvironment('keys-b');
    const keysPath = `/v1/environments/${a.id}/api-keys`;
    expect(await hub.call('GET', keysPath, { token: b.apiKey })).toMatchObject({ status: 404, body: { code: 'SWY_ERR_NOT_FOUND' } });
    expect((await hub.call('POST', keysPath, { token: b.apiKey })).status).toBe(404);
    expect((await hub.call('GET', keysPath)).status).toBe(401);
    const [aKey] = (await hub.call('GET', keysPath, { token: hub.adminToken })).body.data;
    expect((await hub.call('DELETE', `${keysPath}/${aKey.id}`, { token: b.apiKey })).status).toBe(404);
    // B's key cannot revoke A's key through B's own path either.
    expect((await hub.call('DELETE', `/v1/environments/${b.id}/api-keys/${aKey.id}`, { token: b.apiKey })).status).toBe(404);
    const byAdmin = await hub.call('POST', keysPath, { token: hub.adminToken });
    expect(byAdmin.status).toBe(201);
    expect((await hub.call('DELETE', `${keysPath}/${aKey.id}`, { token: hub.adminToken })).status).toBe(204);
    expect((await hub.call('GET', '/v1/subscriptions', { token: a.apiKey })).status).toBe(401);
    expect((await hub.call('GET', '/v1/subscriptions', { token: byAdmin.body.api_key })).status).toBe(200);
    expect((await hub.call('GET', '/v1/subscriptions', { token: b.apiKey })).status).toBe(200);
    expect((await hub.call('GET', `/v1/environments/env_unknown/api-keys`, { token: hub.adminToken })).status).toBe(404);
  });

  it('deletes an environment with all its data (admin only) and leaves another environment untouched', async () => {
    const endpointA = await startReceiver();
    const endpointB = await startReceiver();
    const a = await createTenant(hub, endpointA, 'deleted-tenant-private-key');
    const b = await createTenant(hub, endpointB);
    expect((await hub.call('PUT', '/v1/mappings/bamboohr', { token: a.apiKey, body: { webhook: { bindings: { marker: '"deleted-tenant-override"' } } } })).status).toBeLessThan(300);
    expect((await sendBamboo(a.webhookUrl, signBamboo(a.privateKey, bambooEvent('employee.updated', 'deleted-tenant-employee')))).status).toBe(200);
    expect((await sendBamboo(b.webhookUrl, signBamboo(b.privateKey, bambooEvent('employee.updated', 'kept-tenant-employee')))).status).toBe(200);
    await eventually('both deliveries', () => endpointA.delivered().length === 1 && endpointB.delivered().length === 1);
    const replay = await hub.call('POST', '/v1/raw/replay', { token: a.apiKey, body: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(replay.status).toBe(202);
    await eventually('the replay done', async () => (await hub.call('GET', `/v1/replays/${replay.body.id}`, { token: a.apiKey })).body.status === 'done');

    expect((await hub.call('DELETE', `/v1/environments/${a.environmentId}`, { token: a.apiKey })).status).toBe(401);
    const deleted = await hub.call('DELETE', `/v1/environments/${a.environmentId}`, { token: hub.adminToken });
    expect(deleted).toMatchObject({ status: 200, body: { id: a.environmentId, deleted: { integrated_accounts: 1, subscriptions: 1 } } });
    expect(deleted.body.deleted.purged_messages).toBeGreaterThan(0);
    expect(await hub.call('GET', '/v1/subscriptions', { token: a.apiKey })).toMatchObject({ status: 401 });
    await eventually('its webhook URL gone', async () => (await sendBamboo(a.webhookUrl, signBamboo(a.privateKey, bambooEvent('employee.updated', 'after-delete')))).status === 404);
    expect((await hub.call('DELETE', `/v1/environments/${a.environmentId}`, { token: hub.adminToken })).status).toBe(404);

    // Nothing of it is left in any bucket (values and history) or stream.
    const bus = hub.runtime.bus;
    for (const [name, kv] of Object.entries(bus.kv)) {
      for await (const key of await kv.keys()) {
        const history = await kv.history({ key });
        for await (const entry of history) {
          const text = entry.operation === 'PUT' ? entry.string() : '';
          for (const marker of [a.environmentId, a.accountId, a.subscriptionId, 'deleted-tenant-override']) {
            expect(`${key} ${text}`, `${name} ${key}`).not.toContain(marker);
          }
        }
      }
    }
    for (const stream of ['DELIVERIES', 'ATTEMPTS']) {
      // Work-queue streams cannot be read back without acking; their subjects name the subscription.
      const subjects = Object.keys((await bus.jsm.streams.info(stream, { subjects_filter: '>' })).state.subjects ?? {});
      expect(subjects.filter((subject) => subject.includes(a.subscriptionId)), stream).toEqual([]);
    }
    for (const stream of ['RAW', 'EVENTS', 'DEAD']) {
      const all = JSON.stringify(await readStream(bus, stream, '>'));
      expect(all, stream).not.toContain(a.accountId);
      expect(all, stream).not.toContain(a.environmentId);
      expect(all, stream).not.toContain('deleted-tenant-employee');
    }

    // The other tenant keeps its data and keeps working.
    expect((await hub.call('GET', `/v1/integrated-accounts/${b.accountId}`, { token: b.apiKey })).status).toBe(200);
    expect(JSON.stringify(await readStream(bus, 'EVENTS', '>'))).toContain('kept-tenant-employee');
    expect((await sendBamboo(b.webhookUrl, signBamboo(b.privateKey, bambooEvent('employee.updated', 'kept-2')))).status).toBe(200);
    await eventually('the other tenant still delivered', () => endpointB.delivered().length === 2);
    await endpointA.close();
    await endpointB.close();
  });

  it('deletes one integrated account with its tokens, account-level override and raw deliveries, and keeps its sibling', async () => {
    const endpoint = await startReceiver();
    const tenant = await createTenant(hub, endpoint, 'deleted-account-private-key');
    const sibling = await hub.call('POST', '/v1/integrated-accounts', { token: tenant.apiKey, body: { provider: 'bamboohr', credentials: { api_key: 'k2', subdomain: 'acme' }, webhook_secret: 'sibling-key' } });
    expect(sibling.status).toBe(201);
    const bus = hub.runtime.bus;
    // What the hub keeps for an account: an OAuth2 grant's tokens (sealed), an account-level override, raw deliveries.
    await bus.kv.tokens.put(`oauth2.${keyToken(tenant.accountId)}.client_credentials`, JSON.stringify({ sealed: 'deleted-account-token' }));
    expect((await hub.call('PUT', `/v1/mappings/bamboohr/accounts/${tenant.accountId}`, { token: tenant.apiKey, body: { webhook: { bindings: { marker: '"deleted-account-override"' } } } })).status).toBeLessThan(300);
    expect((await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'deleted-account-employee')))).status).toBe(200);
    expect((await sendBamboo(sibling.body.webhook_url, signBamboo('sibling-key', bambooEvent('employee.updated', 'sibling-employee')))).status).toBe(200);
    await eventually('both delivered', () => endpoint.delivered().length === 2);

    expect((await hub.call('DELETE', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey })).status).toBe(204);
    expect((await hub.call('GET', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey })).status).toBe(404);
    for (const [name, kv] of Object.entries(bus.kv)) {
      for await (const key of await kv.keys()) {
        for await (const entry of await kv.history({ key })) {
          const text = entry.operation === 'PUT' ? entry.string() : '';
          for (const marker of [tenant.accountId, keyToken(tenant.accountId), 'deleted-account-token', 'deleted-account-override']) expect(`${key} ${text}`, `${name} ${key}`).not.toContain(marker);
        }
      }
    }
    const raw = JSON.stringify(await readStream(bus, 'RAW', '>'));
    expect(raw).not.toContain(tenant.accountId);
    expect(raw).toContain(sibling.body.id);
    expect((await hub.call('GET', `/v1/integrated-accounts/${sibling.body.id}`, { token: tenant.apiKey })).status).toBe(200);
    await endpoint.close();
  });

  it("never lets one environment's key see or change another environment's accounts and subscriptions", async () => {
    const a = await createTenant(hub, receiver);
    const b = await hub.createEnvironment('other');
    for (const path of [`/v1/integrated-accounts/${a.accountId}`, `/v1/subscriptions/${a.subscriptionId}`]) {
      expect(await hub.call('GET', path, { token: b.apiKey })).toMatchObject({ status: 404, body: { code: 'SWY_ERR_NOT_FOUND' } });
      expect((await hub.call('PATCH', path, { token: b.apiKey, body: {} })).status).toBe(404);
      expect((await hub.call('DELETE', path, { token: b.apiKey })).status).toBe(404);
      expect((await hub.call('GET', path, { token: a.apiKey })).status).toBe(200);
    }
    expect((await hub.call('GET', '/v1/integrated-accounts', { token: b.apiKey })).body).toEqual({ data: [] });
    expect((await hub.call('GET', '/v1/integrated-accounts', { token: a.apiKey })).body.data.map((x: { id: string }) => x.id)).toEqual([a.accountId]);
  });

  it('never returns credentials, webhook secrets or signing secrets after creation', async () => {
    const tenant = await createTenant(hub, receiver, 'the-private-key');
    const account = await hub.call('GET', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey });
    const subscription = await hub.call('GET', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey });
    expect(account.body.has_webhook_secret).toBe(true);
    expect(JSON.stringify(account.body)).not.toMatch(/the-private-key|bamboo-api-key|credentials/);
    expect(JSON.stringify(subscription.body)).not.toContain(tenant.signingSecret);
    expect(subscription.body).not.toHaveProperty('secret');
  });

  it('seals static subscription headers at rest, shows them masked, and still sends them in clear', async () => {
    const endpoint = await startReceiver();
    const tenant = await createTenant(hub, receiver);
    const bearer = 'Bearer static-header-token-9f3e7c1a';
    rememberSecret('static subscription header', bearer);
    const created = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: endpoint.url, event_types: ['hris/*'], headers: { Authorization: bearer, 'X-Team': 'payroll' } } });
    expect(created.status).toBe(201);
    expect(created.body.headers).toEqual({ Authorization: 'Bearer ••••7c1a', 'X-Team': '••••' });
    const stored = (await hub.runtime.bus.kv.subscriptions.get(created.body.id))!.string();
    expect(stored).not.toContain('static-header-token');
    expect(stored).not.toContain('payroll');
    for (const path of [`/v1/subscriptions/${created.body.id}`, '/v1/subscriptions']) {
      expect(JSON.stringify((await hub.call('GET', path, { token: tenant.apiKey })).body)).not.toContain('static-header-token');
    }
    // A change to something else keeps the headers; the receiver gets the real values.
    const patched = await hub.call('PATCH', `/v1/subscriptions/${created.body.id}`, { token: tenant.apiKey, body: { description: 'payroll hook' } });
    expect(patched.body.headers['X-Team']).toBe('••••');
    // Headers sent back as a GET showed them keep their values; a new one is added beside them.
    const edited = await hub.call('PATCH', `/v1/subscriptions/${created.body.id}`, { token: tenant.apiKey, body: { headers: { ...patched.body.headers, 'X-Env': 'prod' } } });
    expect(edited.status).toBe(200);
    // A masked value that is not the stored one would send '••••' to the endpoint: refused, nothing changed.
    const forged = await hub.call('PATCH', `/v1/subscriptions/${created.body.id}`, { token: tenant.apiKey, body: { headers: { Authorization: 'Bearer ••••0000' } } });
    expect(forged).toMatchObject({ status: 400, body: { code: 'SWY_ERR_VALIDATION' } });
    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'sealed-headers')));
    const [delivered] = await eventually('the delivery with static headers', () => endpoint.delivered().length === 1 && endpoint.delivered());
    expect(delivered!.headers.authorization).toBe(bearer);
    expect(delivered!.headers['x-team']).toBe('payroll');
    expect(delivered!.headers['x-env']).toBe('prod');
    await endpoint.close();
  });

  it('looks an event no endpoint took up among the newest SWITCHYARD_EVENTS_LOOKUP_WINDOW events only, and answers 404 beyond', async () => {
    const bounded = await startTestHub(nats.url, { SWITCHYARD_EVENTS_LOOKUP_WINDOW: '3' });
    try {
      const tenant = await createTenant(bounded, receiver);
      // No subscription: no attempt names an event's position, so a lookup has to scan.
      expect((await bounded.call('DELETE', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey })).status).toBe(204);
      for (const id of ['window-1', 'window-2', 'window-3', 'window-4']) {
        expect((await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', id)))).status).toBe(200);
      }
      const events = await eventually('four events', async () => {
        const list = (await bounded.call('GET', '/v1/events', { token: tenant.apiKey })).body.data as Array<{ id: string; type: string; record_id: string }>;
        const updates = list.filter((e) => e.type === 'hris/employees:updated');
        return updates.length === 4 && updates;
      });
      const newest = events.find((e) => e.record_id === 'window-4')!;
      const oldest = events.find((e) => e.record_id === 'window-1')!;
      expect(await bounded.call('GET', `/v1/events/${newest.id}`, { token: tenant.apiKey })).toMatchObject({ status: 200, body: { id: newest.id } });
      // Still retained and listed, but four events back is outside a window of three: a bounded read, a clear 404.
      expect(await bounded.call('GET', `/v1/events/${oldest.id}`, { token: tenant.apiKey })).toMatchObject({ status: 404, body: { code: 'SWY_ERR_EVENT_NOT_FOUND', detail: expect.stringContaining('newest 3') } });
      expect(await bounded.call('GET', '/v1/events/evt_unknown0000', { token: tenant.apiKey })).toMatchObject({ status: 404, body: { code: 'SWY_ERR_EVENT_NOT_FOUND' } });
    } finally {
      await bounded.close();
    }
  });

  it('answers a bad request body with 400 naming each field', async () => {
    const { apiKey } = await hub.createEnvironment();
    const bad = await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: 'not a url', event_types: ['hris/emp*'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('SWY_ERR_VALIDATION');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['event_types.0', 'url']);
    const unknown = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: 'nope', credentials: {} } });
    expect(unknown).toMatchObject({ status: 400, body: { code: 'SWY_ERR_VALIDATION', detail: expect.stringContaining('bamboohr') } });
    const malformed = await fetch(`${hub.url}/v1/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: '{"url":' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { code: string }).code).toBe('SWY_ERR_BODY_MALFORMED');
  });

  it('refuses a valid subscription body nested 100k levels deep with 400, creating nothing', async () => {
    const { apiKey } = await hub.createEnvironment();
    const body = `{"url":"https://example.com/hook","event_types":["hris/*"],"metadata":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const deep = await fetch(`${hub.url}/v1/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { code: string }).code).toBe('SWY_ERR_BODY_TOO_DEEP');
    const listed = await hub.call('GET', '/v1/subscriptions', { token: apiKey });
    expect(listed.body.data).toHaveLength(0);
    expect((await hub.call('GET', '/healthz')).status).toBe(200);
  });

  it('refuses subscription URLs outside the egress policy with a clear 422 (SSRF matrix, strict hub)', async () => {
    const strict = await startTestHub(nats.url, { SWITCHYARD_EGRESS_ALLOW: '' });
    try {
      const { apiKey } = await strict.createEnvironment();
      const urls = [
        'https://127.0.0.1/hook',
        'https://10.0.0.1/hook',
        'https://169.254.169.254/latest/meta-data',
        'https://[::1]/hook',
        'https://[::ffff:127.0.0.1]/hook',
        'https://0.0.0.0/hook',
        'https://localhost/hook',
        'http://93.184.216.34/plain-http',
      ];
      for (const url of urls) {
        const response = await strict.call('POST', '/v1/subscriptions', { token: apiKey, body: { url, event_types: ['*'] } });
        expect(response, url).toMatchObject({ status: 422, body: { code: 'SWY_ERR_EGRESS_DENIED' } });
      }
      const ok = await strict.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: 'https://93.184.216.34/hook', event_types: ['*'] } });
      expect(ok.status).toBe(201);
      const patched = await strict.call('PATCH', `/v1/subscriptions/${ok.body.id}`, { token: apiKey, body: { url: 'https://10.0.0.1/hook' } });
      expect(patched).toMatchObject({ status: 422, body: { code: 'SWY_ERR_EGRESS_DENIED' } });
    } finally {
      await strict.close();
    }
  });

  it('delivers to a loopback port the operator listed and refuses every other loopback port (shipped default shape)', async () => {
    const listed = await startReceiver();
    const unlisted = await startReceiver();
    // A bus of its own: delivery shards are held by one process each, and the suite's hub (whose egress
    // policy differs) must not be the one attempting this endpoint.
    const ownNats = await startTestNats();
    const strict = await startTestHub(ownNats.url, { SWITCHYARD_EGRESS_ALLOW: `127.0.0.1:${new URL(listed.url).port}`, SWITCHYARD_PROVIDER_EGRESS_ALLOW: '' });
    try {
      const tenant = await createTenant(strict, listed);
      const refused = await strict.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: unlisted.url, event_types: ['*'] } });
      expect(refused).toMatchObject({ status: 422, body: { code: 'SWY_ERR_EGRESS_DENIED', detail: expect.stringContaining('SWITCHYARD_EGRESS_ALLOW') } });
      const moved = await strict.call('PATCH', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey, body: { url: unlisted.url } });
      expect(moved).toMatchObject({ status: 422, body: { code: 'SWY_ERR_EGRESS_DENIED' } });
      expect((await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'listed-port-1')))).status).toBe(200);
      await eventually('delivery to the listed port', () => listed.received.length === 1);
      expect(unlisted.received).toHaveLength(0);
    } finally {
      await strict.close();
      await ownNats.stop();
      await listed.close();
      await unlisted.close();
    }
  });

  it('stops accepting webhooks for a disabled account, and resumes when it is re-enabled', async () => {
    const endpoint = await startReceiver();
    const tenant = await createTenant(hub, endpoint);
    const request = () => signBamboo(tenant.privateKey, bambooEvent('employee.updated', `e-${Math.random()}`));
    await hub.call('PATCH', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey, body: { status: 'disabled' } });
    expect(await sendBamboo(tenant.webhookUrl, request())).toMatchObject({ status: 403, body: { code: 'SWY_ERR_ACCOUNT_DISABLED' } });
    await hub.call('PATCH', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey, body: { status: 'active' } });
    expect((await sendBamboo(tenant.webhookUrl, request())).status).toBe(200);
    await eventually('delivery after re-enabling', () => endpoint.delivered().length === 1);
    await endpoint.close();
  });

  it('accepts both secrets while a webhook secret is rotated', async () => {
    const endpoint = await startReceiver();
    const tenant = await createTenant(hub, endpoint, 'old-key');
    await hub.call('PATCH', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey, body: { webhook_secret: ['old-key', 'new-key'] } });
    expect((await sendBamboo(tenant.webhookUrl, signBamboo('old-key', bambooEvent('employee.updated', 'r-old')))).status).toBe(200);
    expect((await sendBamboo(tenant.webhookUrl, signBamboo('new-key', bambooEvent('employee.updated', 'r-new')))).status).toBe(200);
    await hub.call('PATCH', `/v1/integrated-accounts/${tenant.accountId}`, { token: tenant.apiKey, body: { webhook_secret: 'new-key' } });
    expect((await sendBamboo(tenant.webhookUrl, signBamboo('old-key', bambooEvent('employee.updated', 'r-late')))).status).toBe(401);
    await eventually('both rotated deliveries', () => endpoint.delivered().length === 2);
    await endpoint.close();
  });

  it('keeps bodies, credentials, secrets and keys out of the logs (zero data retention)', async () => {
    const endpoint = await startReceiver();
    const tenant = await createTenant(hub, endpoint, 'log-audit-private-key');
    const body = bambooEvent('employee.updated', 'log-audit-employee-4242');
    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, body));
    await sendBamboo(tenant.webhookUrl, signBamboo('wrong', body));
    await eventually('the delivery', () => endpoint.delivered().length === 1);
    const all = logs.join('');
    expect(all).toContain('webhook accepted');
    expect(all).toContain('webhook refused');
    for (const secret of ['log-audit-private-key', 'log-audit-employee-4242', 'bamboo-api-key', tenant.apiKey, tenant.signingSecret, hub.adminToken]) {
      expect(all, `logs must not contain ${secret.slice(0, 12)}…`).not.toContain(secret);
    }
    await endpoint.close();
  });
});
