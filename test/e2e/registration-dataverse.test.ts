import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { startDataverseWebhooks, type DataverseWebhooks } from '../simulators/dataverse-webhooks.js';
import { eventually } from '../harness/wait.js';

/**
 * Dataverse / Dynamics 365 (providers.md §21.4): a service endpoint carrying the webhook URL and a header
 * key the hub generates, then, per entity and message, the message and filter ids looked up and a
 * post-operation asynchronous step bound to all three. Dataverse then POSTs with that header.
 */
describe('webhook registration: Dataverse / Dynamics 365', () => {
  let rig: RegistrationRig;
  let dataverse: DataverseWebhooks;

  const connect = (body: Record<string, unknown> = {}) =>
    rig.connect({ provider: 'dynamics-365', credentials: { access_token: 'dv-access-token' }, config: { instance_host: 'contoso.crm.dynamics.com', base_url: dataverse.url }, ...body });

  beforeAll(async () => {
    dataverse = await startDataverseWebhooks();
    rememberSecret('Dataverse access token', 'dv-access-token');
    rig = await startRegistrationRig(['crm/*'], { SWITCHYARD_REGISTRATION_CHECK_INTERVAL_MS: '300', SWITCHYARD_REGISTRATION_BACKOFF_MS: '200', SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS: '400' });
  });
  afterAll(async () => {
    await rig?.close();
    await dataverse?.close();
  });

  it('registers one endpoint with a generated header key and a step per entity and message; a change Dataverse sends with the key is delivered', async () => {
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'registered', last_error: null });
    const ids = account.webhook_registration.provider_ids as string[];
    expect(ids).toHaveLength(12);
    const endpoint = [...dataverse.endpoints.values()].find((e) => e.url === account.webhook_url)!;
    expect(endpoint).toMatchObject({ contract: 8, authtype: 5, messageformat: 2 });
    expect(endpoint.headers['x-switchyard-key']!.length).toBeGreaterThanOrEqual(40);
    rememberSecret('Dataverse header key', endpoint.headers['x-switchyard-key']!);
    expect(JSON.stringify(account)).not.toContain(endpoint.headers['x-switchyard-key']);
    for (const id of ids) expect(dataverse.steps.get(id)).toMatchObject({ serviceendpointid: endpoint.serviceendpointid, stage: 40, mode: 1 });

    const contact = '6d81597f-0f9f-e711-8122-000d3aa2331c';
    expect(await dataverse.fire('contact', 'Create', contact, { firstname: 'Ana', lastname: 'Ruiz', emailaddress1: 'ana@example.com' })).toEqual([200]);
    const [delivery] = await eventually('the delivery', () => rig.delivered(contact).length > 0 && rig.delivered(contact));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'crm/contacts:created', integrated_account_id: account.id, provider: 'dynamics-365' });
  });

  it('a step deleted in Dataverse is noticed and the registration made again; deleting the account removes every step and the endpoint', async () => {
    const account = await connect();
    const [gone] = account.webhook_registration.provider_ids as string[];
    dataverse.steps.delete(gone!);
    const repaired = await eventually('the repair', async () => {
      const state = await rig.registration(account.id);
      return state.provider_ids.length === 12 && !state.provider_ids.includes(gone) && state;
    });
    // The repair replaced the endpoint too: exactly one is left for this account, with the new steps.
    expect([...dataverse.endpoints.values()].filter((e) => e.url === account.webhook_url)).toHaveLength(1);
    expect((await rig.hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: rig.env.apiKey })).status).toBe(204);
    for (const id of repaired.provider_ids as string[]) expect(dataverse.steps.has(id)).toBe(false);
    expect([...dataverse.endpoints.values()].filter((e) => e.url === account.webhook_url)).toHaveLength(0);
  });

  it('an expired access token is SWY_ERR_PROVIDER_UNAUTHORIZED in the registration state, and nothing is left behind', async () => {
    const before = dataverse.endpoints.size;
    const account = await connect({ credentials: { access_token: 'dv-expired-token' } });
    expect(account.webhook_registration).toMatchObject({ state: 'failed', provider_ids: [], last_error: { code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 401 } });
    expect(dataverse.endpoints.size).toBe(before);
  });
});
