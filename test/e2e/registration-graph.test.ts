import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@switchyard/nats-server';
import type { TestHub } from '../harness/hub.js';
import { patchedMappings } from '../harness/mappings.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { restartableHubs, type RestartableHubs } from '../harness/registration.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { startGraphApi, type GraphApi } from '../simulators/graph-api.js';

/**
 * Microsoft Graph subscriptions for Entra users and groups: created with an app-only token, validated
 * through the edge's validationToken handshake, renewed by PATCH ahead of expiry — in accelerated time
 * (SWITCHYARD_REGISTRATION_MAX_LIFETIME_S) across three expiry periods, a hub restart, and two hubs.
 */
describe('webhook registration: Microsoft Graph', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let graph: GraphApi;
  let receiver: Receiver;
  let mappings: Awaited<ReturnType<typeof patchedMappings>>;

  /** Hubs on fixed ports with one key and admin token, so a restarted one is the same hub to Graph and to the customer. */
  let fleet: RestartableHubs;
  const startHub = (port: number, env: Record<string, string> = {}) => fleet.start(port, env);
  const connect = async (hub: TestHub, apiKey: string) => {
    const response = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'microsoft-graph', credentials: { client_id: 'graph-client', client_secret: 'graph-secret' }, config: { base_url: `${graph.url}/v1.0`, tenant_id: 'contoso' }, register_webhooks: true },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  };
  const subscribe = async (hub: TestHub, apiKey: string) => expect((await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: receiver.url, event_types: ['hris/*'] } })).status).toBe(201);
  const delivered = (recordId: string) => receiver.delivered().filter((d) => JSON.parse(d.body).record_id === recordId);
  const closeHub = (hub: TestHub) => fleet.close(hub);

  beforeAll(async () => {
    nats = await startTestNats();
    graph = await startGraphApi();
    receiver = await startReceiver();
    rememberSecret('Graph client secret', 'graph-secret');
    // The token endpoint is Entra's, fixed in the definition: point it at the simulator in a copy.
    mappings = await patchedMappings('microsoft-graph', (definition) => {
      definition.api.auth.token_url = `${graph.url}/{config.tenant_id}/oauth2/v2.0/token`;
    });
    fleet = restartableHubs(nats.url, {
      SWITCHYARD_MAPPINGS_DIR: mappings.dir,
    });
  });

  afterAll(async () => {
    await fleet?.closeAll();
    await receiver?.close();
    await graph?.close();
    await nats?.stop();
    await mappings?.remove();
  });

  it('creates one validated subscription per resource with clientState, and a notification Graph sends is delivered', async () => {
    const hub = await startHub(await freePort('127.0.0.1'));
    const env = await hub.createEnvironment();
    await subscribe(hub, env.apiKey);
    const account = await connect(hub, env.apiKey);
    expect(account.webhook_registration).toMatchObject({ state: 'registered', subscribed_events: ['users', 'groups'], last_error: null });
    const created = account.webhook_registration.provider_ids.map((id: string) => graph.subscriptions.get(id)!);
    expect(created.map((s: { resource: string }) => s.resource)).toEqual(['users', 'groups']);
    const clientState = created[0].clientState as string;
    expect(clientState.length).toBeLessThanOrEqual(128);
    expect(created[0].notificationUrl).toBe(`${account.webhook_url}?token=${clientState}`);
    expect(created[0].lifecycleNotificationUrl).toBe(created[0].notificationUrl);
    // The hub asks for the definition's lifetime, under Graph's 41 760-minute maximum for users.
    const asked = Date.parse(created[0].expirationDateTime) - Date.now();
    expect(asked).toBeGreaterThan(41_000 * 60_000);
    expect(account.webhook_registration.expires_at).toBe(created[0].expirationDateTime);
    expect(JSON.stringify(account)).not.toContain(clientState);

    expect(await graph.notifyUser('updated', 'u-100')).toEqual([200]);
    const [delivery] = await eventually('the delivery', () => delivered('u-100').length > 0 && delivered('u-100'));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'hris/employees:updated', integrated_account_id: account.id, provider: 'microsoft-graph' });

    // reauthorizationRequired on the lifecycle URL: the hub reauthorizes, and notifications flow again.
    const users = (account.webhook_registration.provider_ids as string[])[0]!;
    expect(await graph.requireReauthorization(users)).toBe(200);
    await eventually('the reauthorization', () => graph.reauthorizations.includes(users));
    expect(await graph.notifyUser('updated', 'u-101')).toEqual([200]);
    await eventually('the delivery after reauthorization', () => delivered('u-101').length > 0);

    // An expired access token: the hub gets a new one and retries once, so the unregister still happens.
    graph.expireTokens();
    const before = graph.tokensIssued;
    expect((await hub.call('DELETE', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey })).status).toBe(204);
    expect(graph.tokensIssued).toBe(before + 1);
    for (const id of account.webhook_registration.provider_ids) expect(graph.subscriptions.has(id)).toBe(false);
    await closeHub(hub);
  });

  it('stays alive across three expiry periods with the hub restarted in between, renewed once per period', async () => {
    const port = await freePort('127.0.0.1');
    // Five-second periods: room for a restart under load before the renewal falls due.
    const fast = { SWITCHYARD_REGISTRATION_MAX_LIFETIME_S: '5' };
    let hub = await startHub(port, fast);
    const env = await hub.createEnvironment();
    await subscribe(hub, env.apiKey);
    const account = await connect(hub, env.apiKey);
    const users = (account.webhook_registration.provider_ids as string[])[0]!;
    const first = Date.parse(account.webhook_registration.expires_at);
    await eventually('a first renewal', () => graph.renewals.some((r) => r.id === users));

    await closeHub(hub);
    hub = await startHub(port, fast);
    // Three whole periods past the first expiry, renewed by the restarted hub alone.
    await eventually('three expiry periods', () => Date.now() > first + 2 * 5_000 && graph.renewals.filter((r) => r.id === users).length >= 3, 40_000);
    const subscription = graph.subscriptions.get(users)!;
    expect(Date.parse(subscription.expirationDateTime)).toBeGreaterThan(Date.now());
    const mine = graph.renewals.filter((r) => r.id === users);
    expect(new Set(mine.map((r) => r.previous)).size).toBe(mine.length);
    const state = (await hub.call('GET', `/v1/integrated-accounts/${account.id}/webhook-registration`, { token: env.apiKey })).body;
    expect(state).toMatchObject({ state: 'registered', last_error: null });
    expect(state.last_renewed_at).not.toBeNull();

    expect(await graph.notifyUser('created', 'u-200')).toEqual([200]);
    await eventually('the delivery after restarts and renewals', () => delivered('u-200').length > 0);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
    await closeHub(hub);
  });

  it('two hubs on one cluster renew each period exactly once', async () => {
    const port = await freePort('127.0.0.1');
    const fast = { SWITCHYARD_REGISTRATION_MAX_LIFETIME_S: '3' };
    const a = await startHub(port, fast);
    const b = await startHub(await freePort('127.0.0.1'), { ...fast, SWITCHYARD_PUBLIC_URL: `http://127.0.0.1:${port}` });
    const env = await a.createEnvironment();
    const account = await connect(a, env.apiKey);
    const ids = account.webhook_registration.provider_ids as string[];
    await eventually('four renewals of each subscription', () => ids.every((id) => graph.renewals.filter((r) => r.id === id).length >= 4), 40_000);
    for (const id of ids) {
      const renewals = graph.renewals.filter((r) => r.id === id);
      // A second renewal of the same period would PATCH from the same previous expiry.
      expect(new Set(renewals.map((r) => r.previous)).size, id).toBe(renewals.length);
    }
    await a.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
    await closeHub(b);
    await closeHub(a);
  });
});
