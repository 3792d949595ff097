import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { patchedMappings } from '../harness/mappings.js';
import { eventually } from '../harness/wait.js';
import { startGustoApi, type GustoApi } from '../simulators/gusto-api.js';

/**
 * Gusto registration: create the subscription with the organization's system token, capture the
 * verification token Gusto POSTs, hand it back with `PUT …/verify`, then receive events signed with it.
 */
describe('webhook registration: Gusto', () => {
  let rig: RegistrationRig;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  let gusto: GustoApi;
  let mappings: Awaited<ReturnType<typeof patchedMappings>>;
  const company = '7779b433-56d4-4729-9fba-7ccbcc2b094e';
  const connect = async (credentials: Record<string, unknown> = {}) => rig.connect({ provider: 'gusto', credentials: { access_token: 'company-token', system_access_token: 'gusto-system-token', ...credentials }, config: { base_url: gusto.url, company_uuid: company } });
  const registration = (id: string) => rig.registration(id);
  const delivered = (recordId: string) => rig.delivered(recordId);

  beforeAll(async () => {
    gusto = await startGustoApi({ employees: 2 });
    rememberSecret('Gusto system token', 'gusto-system-token');
    // Gusto's documented wait is minutes; a one-second wait lets the test see the hub ask again.
    mappings = await patchedMappings('gusto', (definition) => {
      definition.registration.verification.wait_s = 1;
    });
    rig = await startRegistrationRig(['hris/employees:*', 'webhook/registration:*'], { SWITCHYARD_MAPPINGS_DIR: mappings.dir, SWITCHYARD_REGISTRATION_VERIFY_POLL_MS: '100', SWITCHYARD_REGISTRATION_BACKOFF_MS: '60000' });
    ({ hub, env } = rig);
  });

  afterAll(async () => {
    await rig?.close();
    await gusto?.close();
    await mappings?.remove();
  });

  it('creates the subscription, verifies it with the captured token, and delivers events Gusto signs with it', async () => {
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'pending_verification', subscribed_events: ['Employee'], last_error: null });
    const [uuid] = account.webhook_registration.provider_ids;
    expect(gusto.webhooks.subscriptions.get(uuid)).toMatchObject({ url: account.webhook_url, subscription_types: ['Employee'] });

    const registered = await eventually('the verified registration', async () => {
      const state = await registration(account.id);
      return state.state === 'registered' && state;
    });
    expect(registered.last_error).toBeNull();
    expect(gusto.webhooks.subscriptions.get(uuid)?.status).toBe('verified');
    const after = (await hub.call('GET', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey })).body;
    expect(after).toMatchObject({ has_webhook_secret: true, verification: { open_until: null, token_pending: false } });

    const employee = gusto.state.employees[0]!.uuid;
    expect(await gusto.webhooks.send('employee.updated', employee, company)).toEqual([200]);
    const [delivery] = await eventually('the delivery', () => delivered(employee).length > 0 && delivered(employee));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'hris/employees:updated', integrated_account_id: account.id, provider: 'gusto' });

    // The customer is told, on the same endpoint, that the registration is live.
    const created = await eventually('webhook/registration:created', () => rig.receiver.delivered().map((d) => JSON.parse(d.body)).find((e) => e.type === 'webhook/registration:created' && e.data.integrated_account_id === account.id));
    expect(created.data).toMatchObject({ state: 'registered', provider: 'gusto', provider_ids: [uuid] });
    expect(JSON.stringify(created)).not.toContain(gusto.webhooks.subscriptions.get(uuid)!.verification_token);
  });

  it('when the token POST is lost, asks Gusto to send it again (request_verification_token) and verifies', async () => {
    gusto.webhooks.dropTokenPosts = 1;
    const before = gusto.webhooks.tokenRequests;
    const account = await connect();
    expect(account.webhook_registration.state).toBe('pending_verification');
    await eventually('the verified registration', async () => (await registration(account.id)).state === 'registered');
    expect(gusto.webhooks.tokenRequests).toBe(before + 1);
    expect(gusto.webhooks.subscriptions.get(account.webhook_registration.provider_ids[0])?.status).toBe('verified');
  });

  it('a URL Gusto cannot reach is SWY_ERR_REGISTRATION_URL_REFUSED (422), nothing is saved at Gusto, and the account stays', async () => {
    gusto.webhooks.unreachableHosts.add('127.0.0.1');
    try {
      const before = gusto.webhooks.subscriptions.size;
      const account = await connect();
      expect(account.webhook_registration).toMatchObject({ state: 'failed', provider_ids: [], last_error: { code: 'SWY_ERR_REGISTRATION_URL_REFUSED', provider_status: 422 } });
      expect(gusto.webhooks.subscriptions.size).toBe(before);
      expect((await hub.call('GET', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey })).status).toBe(200);
      // Operators see it too: the registrations gauge counts it as failed.
      await eventually('the failed registration in /metrics', async () => {
        const metrics = await (await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${hub.metricsToken}` } })).text();
        return /switchyard_webhook_registrations\{provider="gusto",state="failed"\} [1-9]/.test(metrics);
      });
    } finally {
      gusto.webhooks.unreachableHosts.clear();
    }
  });

  it('the company OAuth token alone cannot create subscriptions: SWY_ERR_PROVIDER_UNAUTHORIZED', async () => {
    const account = await connect({ system_access_token: 'not-the-system-token' });
    expect(account.webhook_registration).toMatchObject({ state: 'failed', last_error: { code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 401 } });
  });

  it('deleting the account deletes the subscription at Gusto', async () => {
    const account = await connect();
    const [uuid] = account.webhook_registration.provider_ids;
    await eventually('verified', async () => (await registration(account.id)).state === 'registered');
    expect((await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey })).status).toBe(204);
    expect(gusto.webhooks.subscriptions.has(uuid)).toBe(false);
  });
});
