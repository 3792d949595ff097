import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchedMappings } from '../harness/mappings.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { eventually } from '../harness/wait.js';
import { startZohoApi, zohoMaxExpiryMs, type ZohoApi } from '../simulators/zoho-api.js';

/** Zoho CRM watch channels: enabled with a generated token, renewed with PUT before the channel expires. */
describe('webhook registration: Zoho CRM', () => {
  let rig: RegistrationRig;
  let zoho: ZohoApi;
  let mappings: Awaited<ReturnType<typeof patchedMappings>>;

  const connect = async (grant = zoho.oauth.issue()) => {
    rememberSecret('Zoho access token', grant.access_token);
    rememberSecret('Zoho refresh token', grant.refresh_token);
    const credentials = { access_token: grant.access_token, refresh_token: grant.refresh_token, client_id: 'zoho-client', client_secret: 'zoho-secret' };
    return rig.connect({ provider: 'zoho-crm', credentials, config: { dc: 'eu', base_url: zoho.url } });
  };
  const delivered = (recordId: string) => rig.delivered(recordId);

  beforeAll(async () => {
    zoho = await startZohoApi();
    rememberSecret('Zoho client secret', 'zoho-secret');
    // The accounts server is Zoho's, per data centre, fixed in the definition: point it at the simulator in a copy.
    mappings = await patchedMappings('zoho-crm', (definition) => {
      definition.api.auth.token_url = `${zoho.accountsUrl}/oauth/v2/token`;
    });
    rig = await startRegistrationRig(['crm/*'], { SWITCHYARD_MAPPINGS_DIR: mappings.dir, SWITCHYARD_REGISTRATION_MAX_LIFETIME_S: '3', SWITCHYARD_REGISTRATION_BACKOFF_MS: '200', SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS: '400' });
  });

  afterAll(async () => {
    await rig?.close();
    await zoho?.close();
    await mappings?.remove();
  });

  it('enables one channel with a ≤ 50-character token, and a notification Zoho sends with it is delivered', async () => {
    const account = await connect();
    expect(account.webhook_registration).toMatchObject({ state: 'registered', last_error: null });
    const [channelId] = account.webhook_registration.provider_ids;
    const channel = zoho.channels.get(channelId)!;
    expect(channel).toMatchObject({ notify_url: account.webhook_url, events: account.webhook_registration.subscribed_events, version: 'v8' });
    expect(channel.token!.length).toBeLessThanOrEqual(50);
    expect(Date.parse(channel.channel_expiry) - Date.now()).toBeLessThanOrEqual(zohoMaxExpiryMs('v8'));
    expect(JSON.stringify(account)).not.toContain(channel.token!);

    expect(await zoho.notify('Contacts', 'update', ['5725767000001000001'])).toEqual([200]);
    const [delivery] = await eventually('the delivery', () => delivered('5725767000001000001').length > 0 && delivered('5725767000001000001'));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'crm/contacts:updated', integrated_account_id: account.id, provider: 'zoho-crm' });
  });

  it('keeps the channel alive across three expiry periods by PUT, once per period, with the same token', async () => {
    const account = await connect();
    const [channelId] = account.webhook_registration.provider_ids;
    const token = zoho.channels.get(channelId)!.token;
    const first = Date.parse(account.webhook_registration.expires_at);
    await eventually('three expiry periods', () => Date.now() > first + 2 * 3_000 && zoho.changes.filter((c) => c.channel_id === channelId && c.previous !== null).length >= 3, 40_000);
    const renewals = zoho.changes.filter((c) => c.channel_id === channelId && c.previous !== null);
    expect(new Set(renewals.map((r) => r.previous)).size).toBe(renewals.length);
    expect(zoho.channels.get(channelId)!.token).toBe(token);
    expect(await zoho.notify('Deals', 'insert', ['d-1'])).toContain(200);
    await eventually('the delivery after renewals', () => delivered('d-1').length > 0);
  });

  it('an expired access token is refreshed and the call retried once', async () => {
    const grant = zoho.oauth.issue();
    zoho.oauth.expireAccessTokens();
    const reusedBefore = zoho.oauth.reusedRefreshTokens;
    const account = await connect(grant);
    expect(account.webhook_registration).toMatchObject({ state: 'registered', last_error: null });
    // This account's grant was refreshed, and no refresh token was presented twice. (A global refresh
    // count would also count the earlier tests' accounts, whose renewals run in the background.)
    expect(zoho.oauth.wasRefreshed(grant.refresh_token)).toBe(true);
    expect(zoho.oauth.reusedRefreshTokens).toBe(reusedBefore);
  });
});
