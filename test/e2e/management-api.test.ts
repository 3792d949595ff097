import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
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
    expect(await ok.text()).toContain('switchyard_');
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
    const strict = await startTestHub(nats.url, { SWITCHYARD_EGRESS_ALLOW: `127.0.0.1:${new URL(listed.url).port}`, SWITCHYARD_PROVIDER_EGRESS_ALLOW: '' });
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
