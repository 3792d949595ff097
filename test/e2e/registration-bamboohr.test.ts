import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { eventually } from '../harness/wait.js';
import { startBambooHrApi, type BambooHrApi } from '../simulators/bamboohr-api.js';

/**
 * Provider webhook registration, BambooHR (permissioned webhooks, one-time privateKey), through the
 * public API of a real hub on a real nats-server against the BambooHR simulator.
 */
describe('webhook registration: BambooHR', () => {
  let rig: RegistrationRig;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  let bamboo: BambooHrApi;
  const connect = async (body: Record<string, unknown> = {}) => rig.connect({ provider: 'bamboohr', credentials: { api_key: 'bamboo-key' }, config: { subdomain: 'acme', base_url: `${bamboo.url}/api` }, ...body });
  const registration = (id: string) => rig.registration(id);
  const delivered = (recordId: string) => rig.delivered(recordId);

  beforeAll(async () => {
    bamboo = await startBambooHrApi({ employees: 3 });
    rememberSecret('BambooHR API key', 'bamboo-key');
    rig = await startRegistrationRig(['hris/employees:*'], { SWITCHYARD_REGISTRATION_CHECK_INTERVAL_MS: '300', SWITCHYARD_REGISTRATION_BACKOFF_MS: '200', SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS: '400', SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150' });
    ({ hub, env } = rig);
  });

  afterAll(async () => {
    await rig?.close();
    await bamboo?.close();
  });

  it('registers on create, and a webhook BambooHR signs with the one-time privateKey is verified and delivered', async () => {
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({
      state: 'registered',
      mode: 'api',
      webhook_url: `${hub.url}/webhooks/bamboohr/${account.id}`,
      subscribed_events: ['employee.created', 'employee.updated', 'employee.deleted'],
      expires_at: null,
      last_error: null,
    });
    expect(account.has_webhook_secret).toBe(true);
    const [hookId] = account.webhook_registration.provider_ids;
    const hook = bamboo.webhooks.hooks.get(hookId)!;
    expect(hook).toMatchObject({ url: account.webhook_url, format: 'json', events: ['employee.created', 'employee.updated', 'employee.deleted'] });
    expect(hook.monitorFields.length).toBeGreaterThan(0);
    // The key is shown once by BambooHR and never by the hub.
    expect(JSON.stringify(account)).not.toContain(hook.privateKey);
    expect(JSON.stringify(await registration(account.id))).not.toContain(hook.privateKey);

    expect(await bamboo.webhooks.send('employee.updated', '101')).toEqual([200]);
    const [delivery] = await eventually('the delivery', () => delivered('101').length > 0 && delivered('101'));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'hris/employees:updated', integrated_account_id: account.id, provider: 'bamboohr' });
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('is idempotent: a second PUT changes nothing at the provider; event_types narrows the subscribed events', async () => {
    const account = await connect();
    const before = bamboo.webhooks.hooks.size;
    const again = await hub.call('PUT', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey, body: {} });
    expect(again.status).toBe(200);
    expect(again.body.provider_ids).toEqual(account.webhook_registration.provider_ids);
    expect(bamboo.webhooks.hooks.size).toBe(before);

    const narrowed = await hub.call('PUT', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey, body: { event_types: ['hris/employees:deleted'] } });
    expect(narrowed.body).toMatchObject({ state: 'registered', subscribed_events: ['employee.deleted'] });
    expect(bamboo.webhooks.hooks.has(account.webhook_registration.provider_ids[0])).toBe(false);
    expect(bamboo.webhooks.hooks.get(narrowed.body.provider_ids[0])?.events).toEqual(['employee.deleted']);

    const none = await hub.call('PUT', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey, body: { event_types: ['crm/contacts:*'] } });
    expect(none).toMatchObject({ status: 400, body: { code: 'SWY_ERR_VALIDATION' } });
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('notices a webhook deleted at BambooHR and registers it again, with a new key that verifies', async () => {
    const account = await connect();
    const [first] = account.webhook_registration.provider_ids;
    bamboo.webhooks.hooks.delete(first);
    const repaired = await eventually('the re-created webhook', async () => {
      const state = await registration(account.id);
      return state.provider_ids[0] !== first && state.state === 'registered' && state;
    });
    expect(bamboo.webhooks.hooks.has(repaired.provider_ids[0])).toBe(true);
    expect(await bamboo.webhooks.send('employee.created', '102')).toContain(200);
    await eventually('the delivery after the repair', () => delivered('102').length > 0);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('deleting the account removes the webhook at BambooHR', async () => {
    const account = await connect();
    const [hookId] = account.webhook_registration.provider_ids;
    expect(bamboo.webhooks.hooks.has(hookId)).toBe(true);
    expect((await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey })).status).toBe(204);
    expect(bamboo.webhooks.hooks.has(hookId)).toBe(false);
  });

  it('deleting the environment removes its accounts’ webhooks at BambooHR', async () => {
    const other = await hub.createEnvironment('leaving');
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: other.apiKey,
      body: { provider: 'bamboohr', credentials: { api_key: 'bamboo-key' }, config: { base_url: `${bamboo.url}/api` }, register_webhooks: true },
    });
    const [hookId] = created.body.webhook_registration.provider_ids;
    expect(bamboo.webhooks.hooks.has(hookId)).toBe(true);
    expect((await hub.call('DELETE', `/v1/environments/${other.id}`, { token: hub.adminToken })).status).toBe(200);
    expect(bamboo.webhooks.hooks.has(hookId)).toBe(false);
  });

  it('DELETE …/webhook-registration unregisters at BambooHR and keeps the account', async () => {
    const account = await connect();
    const [hookId] = account.webhook_registration.provider_ids;
    expect((await hub.call('DELETE', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey })).status).toBe(204);
    expect(bamboo.webhooks.hooks.has(hookId)).toBe(false);
    expect((await hub.call('GET', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey })).body.code).toBe('SWY_ERR_NOT_FOUND');
    expect((await hub.call('GET', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey })).status).toBe(200);
  });

  it.each([
    ['a 500', { status: 500, body: '{"error":{"message":"internal"}}' }, 'SWY_ERR_REGISTRATION_REFUSED', 500],
    ['garbage', { status: 201, body: '{"id": 7, "privateKey": ', contentType: 'application/json' }, 'SWY_ERR_REGISTRATION_ANSWER_INVALID', 201],
    ['an answer without privateKey', { status: 201, body: '{"id": "77"}' }, 'SWY_ERR_REGISTRATION_ANSWER_INVALID', 201],
  ])('a create answered with %s is a coded failure in the state, then retried until it works', async (_name, answer, code, status) => {
    bamboo.webhooks.createAnswers.push(answer);
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'failed', provider_ids: [], last_error: { code, provider_status: status } });
    expect(account.has_webhook_secret).toBe(false);
    const recovered = await eventually('the retried registration', async () => {
      const state = await registration(account.id);
      return state.state === 'registered' && state;
    });
    expect(recovered.last_error).toBeNull();
    expect(bamboo.webhooks.hooks.has(recovered.provider_ids[0])).toBe(true);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('a failed read-back keeps a live webhook registered, with the coded error beside it, until a read succeeds', async () => {
    const account = await connect();
    bamboo.webhooks.readAnswers.push({ status: 503, body: '' });
    const failing = await eventually('the failed read-back', async () => {
      const state = await registration(account.id);
      return state.last_error !== null && state;
    });
    expect(failing).toMatchObject({ state: 'registered', provider_ids: account.webhook_registration.provider_ids, last_error: { code: 'SWY_ERR_REGISTRATION_REFUSED', provider_status: 503 } });
    expect(await bamboo.webhooks.send('employee.deleted', '103')).toContain(200);
    await eventually('the error cleared by the next read', async () => (await registration(account.id)).last_error === null);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('a throttled create is SWY_ERR_PROVIDER_RATE_LIMITED, retried no sooner than Retry-After, then registered', async () => {
    bamboo.state.throttleNext(1, { retryAfterS: 2 });
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'failed', last_error: { code: 'SWY_ERR_PROVIDER_RATE_LIMITED' } });
    const failedAt = Date.parse(account.webhook_registration.last_error.at);
    expect(Date.parse(account.webhook_registration.next_check_at) - failedAt).toBeGreaterThanOrEqual(2_000);
    await eventually('the registration after the throttle', async () => (await registration(account.id)).state === 'registered');
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('a refused API key is SWY_ERR_PROVIDER_UNAUTHORIZED in the state, and the account is still created', async () => {
    const account = await connect({ credentials: { api_key: 'not-the-key' } });
    expect(account.webhook_registration).toMatchObject({ state: 'failed', last_error: { code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 401 } });
    expect((await hub.call('GET', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey })).status).toBe(200);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });
});
