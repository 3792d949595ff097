import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@switchyard/nats-server';
import { patchedMappings } from '../harness/mappings.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { restartableHubs, type RestartableHubs } from '../harness/registration.js';
import { eventually } from '../harness/wait.js';
import { startZohoApi, type ZohoApi } from '../simulators/zoho-api.js';

/**
 * A Zoho CRM watch channel kept alive by a hub that is stopped and started again, in accelerated time
 * (SWITCHYARD_REGISTRATION_MAX_LIFETIME_S caps the channel's expiry at five seconds). Everything the
 * renewal needs — the channel id and expiry in the `registrations` bucket, the channel token sealed as
 * the account's webhook secret, the OAuth2 grant in `tokens` — is in KV, so the restarted hub carries on.
 */
describe('webhook registration: Zoho CRM across a hub restart', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let zoho: ZohoApi;
  let receiver: Receiver;
  let mappings: Awaited<ReturnType<typeof patchedMappings>>;
  let fleet: RestartableHubs;

  beforeAll(async () => {
    nats = await startTestNats();
    zoho = await startZohoApi();
    receiver = await startReceiver();
    rememberSecret('Zoho client secret', 'zoho-secret');
    // The accounts server is Zoho's, per data centre, fixed in the definition: point it at the simulator in a copy.
    mappings = await patchedMappings('zoho-crm', (definition) => {
      definition.api.auth.token_url = `${zoho.accountsUrl}/oauth/v2/token`;
    });
    fleet = restartableHubs(nats.url, {
      SWITCHYARD_MAPPINGS_DIR: mappings.dir,
      // Five-second periods: room for a restart under load before the renewal falls due.
      SWITCHYARD_REGISTRATION_MAX_LIFETIME_S: '5',
    });
  });

  afterAll(async () => {
    await fleet?.closeAll();
    await receiver?.close();
    await zoho?.close();
    await nats?.stop();
    await mappings?.remove();
  });

  it('renews the channel by PUT once per period for three periods after a restart, with the same token, and notifications are still delivered', async () => {
    const port = await freePort('127.0.0.1');
    let hub = await fleet.start(port);
    const env = await hub.createEnvironment();
    expect((await hub.call('POST', '/v1/subscriptions', { token: env.apiKey, body: { url: receiver.url, event_types: ['crm/*'] } })).status).toBe(201);
    const grant = zoho.oauth.issue();
    rememberSecret('Zoho access token', grant.access_token);
    rememberSecret('Zoho refresh token', grant.refresh_token);
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: env.apiKey,
      body: {
        provider: 'zoho-crm',
        credentials: { access_token: grant.access_token, refresh_token: grant.refresh_token, client_id: 'zoho-client', client_secret: 'zoho-secret' },
        config: { dc: 'eu', base_url: zoho.url },
        register_webhooks: true,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const account = created.body;
    expect(account.webhook_registration).toMatchObject({ state: 'registered', last_error: null });
    const [channelId] = account.webhook_registration.provider_ids as string[];
    const token = zoho.channels.get(channelId!)!.token;
    const renewals = () => zoho.changes.filter((c) => c.channel_id === channelId && c.previous !== null);
    await eventually('a first renewal by the first hub', () => renewals().length >= 1, 20_000);

    await fleet.close(hub);
    const renewedBeforeRestart = renewals().length;
    hub = await fleet.start(port);
    // Three whole periods past the restart, renewed by the restarted hub alone.
    const restartedAt = Date.now();
    await eventually('three periods renewed by the restarted hub', () => Date.now() > restartedAt + 3 * 5_000 && renewals().length >= renewedBeforeRestart + 3, 45_000);

    // One PUT per period: a second renewal of the same period would replace the same previous expiry.
    const all = renewals();
    expect(new Set(all.map((r) => r.previous)).size).toBe(all.length);
    const channel = zoho.channels.get(channelId!)!;
    expect(Date.parse(channel.channel_expiry)).toBeGreaterThan(Date.now());
    // The token came back out of the vault after the restart: the same one, so Zoho's notifications still verify.
    expect(channel.token).toBe(token);
    const state = (await hub.call('GET', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey })).body;
    expect(state).toMatchObject({ state: 'registered', last_error: null, provider_ids: [channelId] });
    expect(Date.parse(state.last_renewed_at)).toBeGreaterThan(restartedAt);

    expect(await zoho.notify('Contacts', 'update', ['5725767000001000077'])).toEqual([200]);
    await eventually('the delivery after the restart and renewals', () => receiver.delivered().some((d) => JSON.parse(d.body).record_id === '5725767000001000077'));
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
    expect(zoho.channels.has(channelId!)).toBe(false);
  });
});
