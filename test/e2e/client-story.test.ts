import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createSwitchyardClient, ok, SwitchyardApiError } from '@switchyard/client';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';
import { startBambooHrApi, type BambooHrApi } from '../simulators/bamboohr-api.js';

/**
 * The README's curl story, step by step, through the client generated from the hub's OpenAPI document
 * (`@switchyard/client`, openapi-typescript + openapi-fetch) instead of curl: every field read below —
 * the environment's `api_key`, the account's `webhook_url`, the subscription's one-time `secret`, the
 * events and attempts — is typed from the document, so an answer the document does not describe fails
 * to compile here, and the harness's contract audit fails the run if the wire differs from it.
 */
describe('the README story through the generated client', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let bamboo: BambooHrApi;
  let endpoint: Receiver;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    bamboo = await startBambooHrApi({ apiKeys: ['bamboo-client-story-key'], employees: 3 });
    endpoint = await startReceiver();
  });

  afterAll(async () => {
    await endpoint?.close();
    await bamboo?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('creates an environment, an account and a subscription, and gets the signed, enriched event and its attempt', async () => {
    // 1. An environment; its API key is shown once.
    const admin = createSwitchyardClient({ baseUrl: hub.url, token: hub.adminToken });
    const environment = ok(await admin.POST('/v1/environments', { body: { name: 'acme' } }));
    expect(environment.api_key).toMatch(/^swy_/);
    rememberSecret('client-story API key', environment.api_key);
    const client = createSwitchyardClient({ baseUrl: hub.url, token: environment.api_key });

    // 2. A BambooHR account with the privateKey BambooHR showed as its webhook secret.
    const account = ok(
      await client.POST('/v1/integrated-accounts', {
        body: {
          provider: 'bamboohr',
          credentials: { api_key: 'bamboo-client-story-key' },
          config: { subdomain: 'acme', base_url: `${bamboo.url}/api` },
          webhook_secret: 's3cr3t-client-story',
        },
      }),
    );
    expect(account.webhook_url).toBe(`${hub.url}/webhooks/bamboohr/${account.id}`);

    // 3. A subscription; its signing secret comes back once, in the answer the document now describes.
    const subscription = ok(await client.POST('/v1/subscriptions', { body: { url: endpoint.url, event_types: ['hris/employees:*'] } }));
    expect(subscription.secret).toMatch(/^whsec_/);
    rememberSecret('client-story signing secret', subscription.secret);
    const listed = ok(await client.GET('/v1/subscriptions'));
    expect(listed.data.map((s) => s.id)).toContain(subscription.id);
    expect(listed.data.find((s) => s.id === subscription.id)).not.toHaveProperty('secret');

    // 4. A webhook signed as BambooHR signs it (the provider's side: not the client's business).
    const [employee] = bamboo.state.employees;
    const accepted = await sendBamboo(account.webhook_url!, signBamboo('s3cr3t-client-story', bambooEvent('employee.updated', employee!.id)));
    expect(accepted).toEqual({ status: 200, body: { status: 'accepted', duplicate: false } });

    // The endpoint gets it signed with the secret the client was given, enriched from BambooHR's API.
    const [delivery] = await eventually('the delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    const event = new Webhook(subscription.secret!).verify(delivery!.body, {
      'webhook-id': String(delivery!.headers['webhook-id']),
      'webhook-timestamp': String(delivery!.headers['webhook-timestamp']),
      'webhook-signature': String(delivery!.headers['webhook-signature']),
    }) as { id: string; type: string; record_id: string; enrichment?: { status: string } };
    expect(event).toMatchObject({ type: 'hris/employees:updated', record_id: employee!.id, enrichment: { status: 'done' } });

    // The same event through the API: listed, read by id, and its attempt recorded as delivered.
    const events = ok(await client.GET('/v1/events', { params: { query: { type: 'hris/employees:*' } } }));
    expect(events.data.map((e) => e.id)).toContain(event.id);
    const one = ok(await client.GET('/v1/events/{id}', { params: { path: { id: event.id } } }));
    expect(one).toMatchObject({ id: event.id, type: 'hris/employees:updated' });
    const attempts = await eventually('the attempt record', async () => {
      const page = ok(await client.GET('/v1/subscriptions/{id}/attempts', { params: { path: { id: subscription.id } } }));
      return page.data.length > 0 && page.data;
    });
    expect(attempts[0]).toMatchObject({ event_id: event.id, status: 200 });

    // The unified read of the same record, typed from the document's model.
    const record = ok(
      await client.GET('/unified/hris/employees/{id}', { params: { path: { id: employee!.id }, query: { integrated_account_id: account.id } } }),
    );
    expect(record.remote_id).toBe(employee!.id);
  });

  it('reads provider apps and an account-level mapping override with its history and rollback, each answer as documented', async () => {
    const environment = await hub.createEnvironment('client-story-3');
    const client = createSwitchyardClient({ baseUrl: hub.url, token: environment.apiKey });
    const app = ok(await client.POST('/v1/provider-apps', { body: { provider: 'hubspot', client_id: 'cid', client_secret: 'hubspot-client-story-secret' } }));
    rememberSecret('client-story app secret', 'hubspot-client-story-secret');
    expect(ok(await client.GET('/v1/provider-apps')).data.map((a) => a.id)).toEqual([app.id]);
    expect(ok(await client.GET('/v1/provider-apps/{id}', { params: { path: { id: app.id } } }))).toMatchObject({ id: app.id, provider: 'hubspot' });

    const account = ok(await client.POST('/v1/integrated-accounts', { body: { provider: 'bamboohr', credentials: { api_key: 'k' }, config: { subdomain: 'acme' }, webhook_secret: 's3cr3t-client-story-3' } }));
    const path = { provider: 'bamboohr', accountId: account.id };
    const first = ok(await client.PUT('/v1/mappings/{provider}/accounts/{accountId}', { params: { path }, body: { webhook: { bindings: { departments: { default: 'Payroll' } } } } }));
    expect(first).toMatchObject({ level: 'account', revisions: { account: first.revision } });
    ok(await client.PUT('/v1/mappings/{provider}/accounts/{accountId}', { params: { path }, body: { webhook: { bindings: { departments: { default: 'Finance' } } } } }));
    const stored = ok(await client.GET('/v1/mappings/{provider}/accounts/{accountId}', { params: { path, query: { level: 'override' } } }));
    expect(stored).toMatchObject({ provider: 'bamboohr', webhook: { bindings: { departments: { default: 'Finance' } } } });
    const history = ok(await client.GET('/v1/mappings/{provider}/accounts/{accountId}/history', { params: { path } }));
    expect(history.data.map((h) => h.operation)).toEqual(['PUT', 'PUT']);
    const restored = ok(await client.POST('/v1/mappings/{provider}/accounts/{accountId}/rollback', { params: { path }, body: { revision: first.revision! } }));
    expect(restored).toMatchObject({ rolled_back_to: first.revision, webhook: { bindings: { departments: { default: 'Payroll' } } } });
  });

  it('throws the coded problem for a request minus its API key, and for an unknown subscription', async () => {
    const anonymous = createSwitchyardClient({ baseUrl: hub.url, token: 'swy_not-a-key' });
    await expect(anonymous.GET('/v1/subscriptions').then(ok)).rejects.toBeInstanceOf(SwitchyardApiError);
    await expect(anonymous.GET('/v1/subscriptions').then(ok)).rejects.toMatchObject({ status: 401, code: 'SWY_ERR_UNAUTHORIZED' });

    const environment = await hub.createEnvironment('client-story-2');
    const client = createSwitchyardClient({ baseUrl: hub.url, token: environment.apiKey });
    await expect(client.GET('/v1/subscriptions/{id}', { params: { path: { id: 'sub_nothere' } } }).then(ok)).rejects.toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });
});
