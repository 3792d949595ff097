import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { eventually } from '../harness/wait.js';
import { PIPEDRIVE_WEBHOOKS_PER_USER, startPipedriveApi, type PipedriveApi } from '../simulators/pipedrive-api.js';

/** Pipedrive registration: one v2 webhook per object, a basic-auth pair the hub generates, 40 webhooks per user. */
describe('webhook registration: Pipedrive', () => {
  let rig: RegistrationRig;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  let pipedrive: PipedriveApi;
  const hooksOf = (accountUrl: string) => [...pipedrive.hooks.values()].filter((h) => h.subscription_url === accountUrl);
  const connect = async () => rig.connect({ provider: 'pipedrive', credentials: { api_key: 'pipedrive-token' }, config: { base_url: `${pipedrive.url}` } });
  const registration = (id: string) => rig.registration(id);
  const delivered = (recordId: string) => rig.delivered(recordId);

  beforeAll(async () => {
    pipedrive = await startPipedriveApi();
    rememberSecret('Pipedrive API token', 'pipedrive-token');
    rig = await startRegistrationRig(['crm/*'], { SWITCHYARD_REGISTRATION_CHECK_INTERVAL_MS: '300', SWITCHYARD_REGISTRATION_BACKOFF_MS: '60000' });
    ({ hub, env } = rig);
  });

  afterAll(async () => {
    await rig?.close();
    await pipedrive?.close();
  });

  it('registers one v2 webhook per object with a generated basic-auth pair, and an event Pipedrive sends with it is delivered', async () => {
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'registered', subscribed_events: ['person', 'organization', 'deal', 'activity', 'lead'], last_error: null });
    const hooks = hooksOf(account.webhook_url);
    expect(hooks.map((h) => h.event_object).sort()).toEqual(['activity', 'deal', 'lead', 'organization', 'person']);
    expect(account.webhook_registration.provider_ids.sort()).toEqual(hooks.map((h) => String(h.id)).sort());
    for (const hook of hooks) expect(hook).toMatchObject({ event_action: '*', version: '2.0', http_auth_user: 'switchyard' });
    expect(new Set(hooks.map((h) => h.http_auth_password)).size).toBe(1);
    expect(JSON.stringify(account)).not.toContain(hooks[0]!.http_auth_password!);

    expect(await pipedrive.send('person', 'change', 812, { first_name: 'Ana', last_name: 'Ruiz' })).toEqual([200]);
    const [delivery] = await eventually('the delivery', () => delivered('812').length > 0 && delivered('812'));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'crm/contacts:updated', integrated_account_id: account.id, provider: 'pipedrive' });
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
    expect(hooksOf(account.webhook_url)).toHaveLength(0);
  });

  it('event_types narrows to the objects whose types match', async () => {
    const account = await connect();
    const narrowed = await hub.call('PUT', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey, body: { event_types: ['crm/contacts:*', 'crm/leads:created'] } });
    expect(narrowed.body).toMatchObject({ state: 'registered', subscribed_events: ['person', 'lead'] });
    expect(hooksOf(account.webhook_url).map((h) => h.event_object).sort()).toEqual(['lead', 'person']);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('a webhook Pipedrive deleted (no delivery for 3 days) is noticed and the registration made whole again', async () => {
    const account = await connect();
    const [first] = hooksOf(account.webhook_url);
    pipedrive.hooks.delete(first!.id);
    await eventually('the repaired registration', async () => {
      const state = await registration(account.id);
      return !state.provider_ids.includes(String(first!.id)) && hooksOf(account.webhook_url).length === 5;
    });
    expect(await pipedrive.send('deal', 'create', 4051, { title: 'Seats' })).toEqual([200]);
    await eventually('the delivery after the repair', () => delivered('4051').length > 0);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('the 40-webhooks-per-user limit is SWY_ERR_REGISTRATION_LIMIT, and the webhooks made before it are removed', async () => {
    const filler = [...Array(PIPEDRIVE_WEBHOOKS_PER_USER - 3).keys()].map((i) =>
      fetch(`${pipedrive.url}/v1/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-token': 'pipedrive-token' },
        body: JSON.stringify({ subscription_url: `https://elsewhere.example/${i}`, event_action: '*', event_object: 'note', version: '2.0' }),
      }),
    );
    await Promise.all(filler);
    const before = pipedrive.hooks.size;
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'failed', provider_ids: [], last_error: { code: 'SWY_ERR_REGISTRATION_LIMIT', provider_status: 400 } });
    expect(pipedrive.hooks.size).toBe(before);
    expect(account.has_webhook_secret).toBe(false);
  });
});
