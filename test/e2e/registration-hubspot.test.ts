import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { eventually } from '../harness/wait.js';
import { startHubSpotWebhooksApi, type HubSpotApp, type HubSpotWebhooksApi } from '../simulators/hubspot-webhooks-api.js';

const APP: HubSpotApp = { appId: '51234', developerApiKey: 'dev-key-7f3c2a9e-0b1d-4e5f-a6b7-c8d9e0f1a2b3', clientSecret: 'hs-client-secret-5b1e9d0c' };
const OTHER: HubSpotApp = { appId: '51999', developerApiKey: 'dev-key-0000aaaa-1111-4222-8333-444455556666', clientSecret: 'hs-client-secret-other' };

/**
 * HubSpot registers webhooks once per app, not per portal (providers.md §21.1): the app's target URL
 * (`PUT /webhooks/v3/{appId}/settings`) and one subscription per event (`POST …/subscriptions`), both
 * with the developer API key as `hapikey`. Every portal that installed the app is then sent events,
 * signed with the app's client secret, at the app's webhook URL; the edge routes them by portalId.
 */
describe('webhook registration: HubSpot, once per provider app', () => {
  let rig: RegistrationRig;
  let hubspot: HubSpotWebhooksApi;

  const createApp = async (app: HubSpotApp, developerKey = app.developerApiKey) => {
    const response = await rig.hub.call('POST', '/v1/provider-apps', {
      token: rig.env.apiKey,
      body: { provider: 'hubspot', client_id: `client-${app.appId}`, client_secret: app.clientSecret, credentials: { developer_api_key: developerKey }, config: { app_id: app.appId, base_url: hubspot.url } },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  };
  const portal = (appId: string, remoteKey: string) =>
    rig.connect({ provider: 'hubspot', provider_app_id: appId, remote_key: remoteKey, credentials: { access_token: `token-${remoteKey}` } });
  const registration = (appId: string) => `/v1/provider-apps/${appId}/webhook-registration`;

  beforeAll(async () => {
    hubspot = await startHubSpotWebhooksApi([APP, OTHER]);
    rememberSecret('wrong HubSpot developer key', 'dev-key-wrong-0123456789');
    rig = await startRegistrationRig(['crm/*'], { SWITCHYARD_REGISTRATION_CHECK_INTERVAL_MS: '300', SWITCHYARD_REGISTRATION_BACKOFF_MS: '200', SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS: '400' });
  });

  afterAll(async () => {
    await rig?.close();
    await hubspot?.close();
  });

  it('two portals connecting with register_webhooks make one registration of the app; an event HubSpot signs with the client secret is delivered to its portal', async () => {
    const app = await createApp(APP);
    expect(app.credential_names).toEqual(['developer_api_key']);
    expect(JSON.stringify(app)).not.toContain(APP.developerApiKey);

    const first = await portal(app.id, '6021777');
    expect(first.webhook_registration).toMatchObject({ state: 'registered', provider_app_id: app.id, integrated_account_id: null, webhook_url: app.webhook_url, last_error: null });
    const ids = first.webhook_registration.provider_ids as string[];
    expect(ids).toHaveLength(9);
    const second = await portal(app.id, '6021888');
    // Once per app: the second portal finds the app's registration, nothing new is created at HubSpot.
    expect(second.webhook_registration.provider_ids).toEqual(ids);
    expect(hubspot.subscriptions.get(APP.appId)!.size).toBe(9);
    expect(hubspot.settings.get(APP.appId)).toEqual({ targetUrl: app.webhook_url, throttling: { maxConcurrentRequests: 10, period: 'SECONDLY' } });
    expect([...hubspot.subscriptions.get(APP.appId)!.values()].find((s) => s.eventType === 'deal.propertyChange')).toMatchObject({ propertyName: 'dealstage', active: true });
    // Every call carried the developer key in the query, none a bearer token.
    expect(hubspot.calls.every((call) => call.includes('?hapikey') && !call.includes('+authorization'))).toBe(true);

    expect(await hubspot.notify(APP.appId, 6021888, 'contact.creation', 701)).toBe(200);
    const [delivery] = await eventually('the delivery', () => rig.delivered('701').length > 0 && rig.delivered('701'));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'crm/contacts:created', integrated_account_id: second.id, provider: 'hubspot' });

    // The portal's own GET shows the app's registration; a PUT on the app is idempotent.
    expect((await rig.hub.call('GET', `/v1/integrated-accounts/${first.id}/webhook-registration`, { token: rig.env.apiKey })).body).toMatchObject({ provider_app_id: app.id, provider_ids: ids });
    const again = await rig.hub.call('PUT', registration(app.id), { token: rig.env.apiKey, body: {} });
    expect(again.body).toMatchObject({ state: 'registered', provider_ids: ids });
    expect(hubspot.subscriptions.get(APP.appId)!.size).toBe(9);
  });

  it('a subscription deleted at HubSpot is noticed and the registration made again; deleting the app removes it at HubSpot', async () => {
    const app = await createApp(APP);
    const made = await rig.hub.call('PUT', registration(app.id), { token: rig.env.apiKey, body: { event_types: ['crm/contacts:*'] } });
    expect(made.body).toMatchObject({ state: 'registered', subscribed_events: ['contact.creation', 'contact.propertyChange', 'contact.deletion'] });
    const [gone] = made.body.provider_ids as string[];
    hubspot.subscriptions.get(APP.appId)!.delete(Number(gone));
    const repaired = await eventually('the repair', async () => {
      const state = (await rig.hub.call('GET', registration(app.id), { token: rig.env.apiKey })).body;
      return state.provider_ids.length === 3 && !state.provider_ids.includes(gone) && state;
    });
    for (const id of repaired.provider_ids as string[]) expect(hubspot.subscriptions.get(APP.appId)!.has(Number(id))).toBe(true);

    expect((await rig.hub.call('DELETE', `/v1/provider-apps/${app.id}`, { token: rig.env.apiKey })).status).toBe(204);
    for (const id of repaired.provider_ids as string[]) expect(hubspot.subscriptions.get(APP.appId)!.has(Number(id))).toBe(false);
  });

  it('a wrong developer key is SWY_ERR_PROVIDER_UNAUTHORIZED in the registration state, and nothing is created', async () => {
    const app = await createApp(OTHER, 'dev-key-wrong-0123456789');
    const failed = await rig.hub.call('PUT', registration(app.id), { token: rig.env.apiKey, body: {} });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ state: 'failed', provider_ids: [], last_error: { code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 401 } });
    expect(hubspot.subscriptions.get(OTHER.appId)?.size ?? 0).toBe(0);
    // Fixed by PATCHing the app's credentials: the reconciler's retry registers it.
    expect((await rig.hub.call('PATCH', `/v1/provider-apps/${app.id}`, { token: rig.env.apiKey, body: { credentials: { developer_api_key: OTHER.developerApiKey } } })).status).toBe(200);
    await eventually('the retry after the fix', async () => (await rig.hub.call('GET', registration(app.id), { token: rig.env.apiKey })).body.state === 'registered');
    expect(hubspot.subscriptions.get(OTHER.appId)!.size).toBe(9);
  });

  it('an account of the provider asking for registration without a provider app is told to connect through one', async () => {
    const response = await rig.hub.call('POST', '/v1/integrated-accounts', { token: rig.env.apiKey, body: { provider: 'hubspot', credentials: { access_token: 't' }, register_webhooks: true } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'SWY_ERR_VALIDATION' });
  });
});
