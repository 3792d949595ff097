import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';

/**
 * Providers without a registration API answer state `manual` with the exact steps, the URL to paste and
 * where the secret comes from — never a silent gap — and the registration API's own bad-input answers.
 */
describe('webhook registration: manual providers and bad input', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let env: { id: string; apiKey: string };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    env = await hub.createEnvironment();
  });
  afterAll(async () => {
    await hub?.close();
    await nats?.stop();
  });

  const create = async (body: Record<string, unknown>) => {
    const response = await hub.call('POST', '/v1/integrated-accounts', { token: env.apiKey, body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  };

  it.each(['hibob', 'rippling', 'salesforce', 'netsuite', 'standard-webhooks', 'acumatica', 'sap-successfactors'])('%s: the account URL and the steps to paste it', async (provider) => {
    const account = await create({ provider, credentials: {}, register_webhooks: true });
    expect(account.webhook_registration).toMatchObject({ mode: 'manual', state: 'manual', provider_ids: [], webhook_url: account.webhook_url, manual: { secret_from: 'provider' } });
    const steps = account.webhook_registration.manual.steps.join('\n');
    expect(steps).toContain(account.webhook_url);
    expect(steps).toContain(account.id);
    expect(steps).not.toMatch(/\{[a-z_]+\}/);
    const read = await hub.call('GET', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey });
    expect(read.body).toMatchObject({ state: 'manual', manual: { steps: account.webhook_registration.manual.steps } });
  });

  it('salesforce: the exact Outbound Message steps, with the token URL, the org guard and what triggers the send', async () => {
    const account = await create({ provider: 'salesforce', credentials: {}, register_webhooks: true });
    const steps: string[] = account.webhook_registration.manual.steps;
    expect(steps.join('\n')).toContain(`${account.webhook_url}?token=<token>`);
    expect(steps.join('\n')).toContain(`PATCH /v1/integrated-accounts/${account.id}`);
    expect(steps.some((step) => step.includes('config.organization_id'))).toBe(true);
    expect(steps.some((step) => step.includes('record-triggered Flow') && step.includes('Outbound Message action'))).toBe(true);
  });

  it('sap-successfactors: the Admin Center subscriber and subscription steps, Basic credentials as the secret, the URL-token fallback', async () => {
    const account = await create({ provider: 'sap-successfactors', credentials: {}, register_webhooks: true });
    const steps: string[] = account.webhook_registration.manual.steps;
    const all = steps.join('\n');
    expect(all).toContain(`PATCH /v1/integrated-accounts/${account.id} {"webhook_secret": "<user>:<password>"}`);
    expect(steps.some((step) => step.includes('Event Notification Subscription') && step.includes('+ Add Subscriber'))).toBe(true);
    expect(steps.some((step) => step.includes(`Endpoint URL ${account.webhook_url},`) && step.includes("'SOAP over HTTP/HTTPS'") && step.includes("'Basic Authentication'"))).toBe(true);
    expect(all).toContain(`Endpoint URL ${account.webhook_url}?token=<token>`);
    expect(all).toContain('Event Notification Audit Log');
  });

  it.each(['quickbooks-online', 'xero'])('%s: app-level, the steps name the provider app URL', async (provider) => {
    const app = await hub.call('POST', '/v1/provider-apps', { token: env.apiKey, body: { provider, client_id: 'cid', client_secret: 'app-client-secret-1' } });
    expect(app.status).toBe(201);
    const account = await create({ provider, provider_app_id: app.body.id, remote_key: `rk-${provider}`, credentials: {} });
    const read = await hub.call('PUT', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey, body: {} });
    expect(read.body).toMatchObject({ state: 'manual', manual: { secret_from: 'app' } });
    expect(read.body.manual.steps.join('\n')).toContain(app.body.webhook_url);
  });

  it('answers 401 without the API key and 404 for another environment’s account', async () => {
    const account = await create({ provider: 'hibob', credentials: {} });
    const path = `/v1/integrated-accounts/${account.id}/webhook-registration`;
    expect((await hub.call('GET', path)).body).toMatchObject({ status: 401, code: 'SWY_ERR_UNAUTHORIZED' });
    const other = await hub.createEnvironment('other');
    expect((await hub.call('PUT', path, { token: other.apiKey, body: {} })).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('refuses an unknown event type pattern and unknown fields with SWY_ERR_VALIDATION', async () => {
    const account = await create({ provider: 'hibob', credentials: {} });
    const path = `/v1/integrated-accounts/${account.id}/webhook-registration`;
    expect((await hub.call('PUT', path, { token: env.apiKey, body: { event_types: ['hris/emp*'] } })).body).toMatchObject({ status: 400, code: 'SWY_ERR_VALIDATION' });
    expect((await hub.call('PUT', path, { token: env.apiKey, body: { events: ['x'] } })).body).toMatchObject({ status: 400, code: 'SWY_ERR_VALIDATION' });
  });
});
