import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { readStream } from '../harness/streams.js';
import { eventually } from '../harness/wait.js';

/**
 * HubSpot, QuickBooks Online and Xero send one app-level webhook for every connected account. Through
 * the real HTTP edge of a hub on a real nats-server: a provider app, two accounts with different remote
 * keys (portalId / realmId / tenantId), a subscription, and requests signed exactly as each provider signs.
 */

/** One item of a batch, for the account with this remote key; `record` is the record id it maps to. */
interface Item {
  key: string;
  record: string;
}

interface AppProvider {
  slug: string;
  /** Body of `POST /v1/provider-apps`, with the secret the provider signs with. */
  app: (secret: string) => Record<string, unknown>;
  eventTypes: string[];
  /** Two remote keys as the provider spells them. */
  keys: [string, string];
  /** A delivery body carrying these items, as the provider batches them. */
  batch: (items: Item[]) => string;
  /** Headers signed exactly as the provider signs the request to `url`. */
  sign: (secret: string, url: string, body: string) => Record<string, string>;
}

const hmacBase64 = (key: string, message: string) => createHmac('sha256', key).update(message, 'utf8').digest('base64');

let sequence = 0;
const next = () => ++sequence;

/** HubSpot v3: base64 HMAC-SHA256 (client secret) of method + URL + body + X-HubSpot-Request-Timestamp (ms). */
const hubspot: AppProvider = {
  slug: 'hubspot',
  app: (secret) => ({ provider: 'hubspot', client_id: 'hubspot-client-id', client_secret: secret }),
  eventTypes: ['crm/*'],
  keys: ['6021777', '6021888'],
  batch: (items) =>
    JSON.stringify(
      items.map((item) => {
        const n = next();
        return {
          eventId: 4_470_000 + n,
          subscriptionId: 90_112,
          portalId: Number(item.key),
          appId: 51_234,
          occurredAt: Date.now() - 1_000 + n,
          subscriptionType: 'contact.propertyChange',
          attemptNumber: 0,
          objectId: Number(item.record),
          propertyName: 'email',
          propertyValue: `c${item.record}@example.com`,
          changeSource: 'CRM_UI',
        };
      }),
    ),
  sign: (secret, url, body) => {
    const timestamp = String(Date.now());
    return {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': timestamp,
      'x-hubspot-signature-v3': hmacBase64(secret, `POST${url}${body}${timestamp}`),
    };
  },
};

/** QuickBooks Online: `intuit-signature` = base64 HMAC-SHA256 of the raw body, keyed by the verifier token. */
const quickbooks: AppProvider = {
  slug: 'quickbooks-online',
  app: (secret) => ({ provider: 'quickbooks-online', client_id: 'qbo-client-id', webhook_secret: secret }),
  eventTypes: ['accounting/*'],
  keys: ['9341453000000001', '9341453000000002'],
  batch: (items) => {
    const realms = [...new Set(items.map((item) => item.key))];
    return JSON.stringify({
      eventNotifications: realms.map((realmId) => ({
        realmId,
        dataChangeEvent: {
          entities: items
            .filter((item) => item.key === realmId)
            .map((item) => ({ name: 'Customer', id: item.record, operation: 'Update', lastUpdated: new Date(Date.now() - 1_000 + next()).toISOString() })),
        },
      })),
    });
  },
  sign: (secret, _url, body) => ({ 'content-type': 'application/json', 'intuit-signature': hmacBase64(secret, body) }),
};

/** Xero: `x-xero-signature` = base64 HMAC-SHA256 of the raw body, keyed by the webhook signing key. */
const xero: AppProvider = {
  slug: 'xero',
  app: (secret) => ({ provider: 'xero', client_id: 'xero-client-id', webhook_secret: secret }),
  eventTypes: ['accounting/*'],
  keys: ['a1b2c3d4-0000-4000-8000-000000000001', 'a1b2c3d4-0000-4000-8000-000000000002'],
  batch: (items) => {
    const first = next();
    return JSON.stringify({
      events: items.map((item) => ({
        resourceUrl: `https://api.xero.com/api.xro/2.0/Contacts/${item.record}`,
        resourceId: item.record,
        eventDateUtc: new Date(Date.now() - 1_000 + next()).toISOString().replace(/Z$/, ''),
        eventType: 'UPDATE',
        eventCategory: 'CONTACT',
        tenantId: item.key,
        tenantType: 'ORGANISATION',
      })),
      firstEventSequence: first,
      lastEventSequence: first + items.length - 1,
      entropy: `E${first}NTROPY`,
    });
  },
  sign: (secret, _url, body) => ({ 'content-type': 'application/json', 'x-xero-signature': hmacBase64(secret, body) }),
};

describe('app-level providers: one provider app URL, accounts found by remote key', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150,150' });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  /** An environment with a provider app, two accounts (one per remote key) and a subscription to a receiver. */
  const connect = async (provider: AppProvider) => {
    const secret = `${provider.slug}-secret-${Math.random().toString(36).slice(2)}`;
    const environment = await hub.createEnvironment(`${provider.slug}-app-level`);
    const app = await hub.call('POST', '/v1/provider-apps', { token: environment.apiKey, body: provider.app(secret) });
    expect(app.status).toBe(201);
    expect(app.body.webhook_url).toBe(`${hub.publicUrl}/webhooks/${provider.slug}/apps/${app.body.id}`);
    const accounts: string[] = [];
    for (const remoteKey of provider.keys) {
      const account = await hub.call('POST', '/v1/integrated-accounts', {
        token: environment.apiKey,
        body: { provider: provider.slug, provider_app_id: app.body.id, remote_key: remoteKey, credentials: { access_token: `token-${remoteKey}` } },
      });
      expect(account.status).toBe(201);
      expect(account.body).toMatchObject({ provider_app_id: app.body.id, remote_key: remoteKey });
      accounts.push(account.body.id);
    }
    const endpoint = await startReceiver();
    receivers.push(endpoint);
    const subscription = await hub.call('POST', '/v1/subscriptions', { token: environment.apiKey, body: { url: endpoint.url, event_types: provider.eventTypes } });
    expect(subscription.status).toBe(201);
    const url: string = app.body.webhook_url;
    const post = async (body: string, signWith = secret) => {
      const response = await fetch(url, { method: 'POST', headers: provider.sign(signWith, url, body), body });
      const text = await response.text();
      return { status: response.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };
    /** Delivered events as [integrated_account_id, record_id], sorted. */
    const delivered = () =>
      endpoint
        .delivered()
        .map((d) => JSON.parse(d.body) as { integrated_account_id: string; record_id: string; provider: string })
        .map((e) => [e.integrated_account_id, e.record_id] as const)
        .sort();
    return { appId: app.body.id as string, accounts: accounts as [string, string], secret, url, endpoint, post, delivered };
  };

  describe.each([hubspot, quickbooks, xero])('$slug', (provider) => {
    const [keyA, keyB] = provider.keys;

    it('routes a signed batch of one account to that account', async () => {
      const setup = await connect(provider);
      const response = await setup.post(provider.batch([{ key: keyA, record: '101' }, { key: keyA, record: '102' }]));
      expect(response).toMatchObject({ status: 200, body: { status: 'accepted', duplicate: false } });
      const events = await eventually('two events', () => setup.endpoint.delivered().length >= 2 && setup.delivered());
      expect(events).toEqual([
        [setup.accounts[0], '101'],
        [setup.accounts[0], '102'],
      ]);
      expect(JSON.parse(setup.endpoint.delivered()[0]!.body)).toMatchObject({ provider: provider.slug, origin: 'webhook' });
    });

    it('splits a batch spanning both accounts, each event carrying its own account', async () => {
      const setup = await connect(provider);
      const response = await setup.post(
        provider.batch([
          { key: keyA, record: '201' },
          { key: keyB, record: '301' },
          { key: keyA, record: '202' },
        ]),
      );
      expect(response).toMatchObject({ status: 200, body: { status: 'accepted', duplicate: false } });
      const events = await eventually('three events', () => setup.endpoint.delivered().length >= 3 && setup.delivered());
      expect(events).toEqual(
        [
          [setup.accounts[0], '201'],
          [setup.accounts[0], '202'],
          [setup.accounts[1], '301'],
        ].sort(),
      );
    });

    it('answers a retried batch spanning both accounts as a duplicate and delivers nothing twice', async () => {
      const setup = await connect(provider);
      const body = provider.batch([{ key: keyA, record: '251' }, { key: keyB, record: '351' }]);
      expect(await setup.post(body)).toMatchObject({ status: 200, body: { duplicate: false } });
      expect(await setup.post(body)).toMatchObject({ status: 200, body: { status: 'accepted', duplicate: true } });
      await setup.post(provider.batch([{ key: keyB, record: '352' }]));
      await eventually('three events', () => setup.endpoint.delivered().length >= 3);
      expect(setup.delivered()).toEqual(
        [
          [setup.accounts[0], '251'],
          [setup.accounts[1], '351'],
          [setup.accounts[1], '352'],
        ].sort(),
      );
    });

    it('delivers the known account and keeps the unknown remote key in DEAD', async () => {
      const setup = await connect(provider);
      const unknownKey = provider.slug === 'xero' ? 'ffffffff-0000-4000-8000-00000000dead' : '999000999';
      const response = await setup.post(provider.batch([{ key: keyB, record: '401' }, { key: unknownKey, record: '901' }]));
      expect(response).toMatchObject({ status: 200, body: { status: 'accepted', duplicate: false } });
      const events = await eventually('the known event', () => setup.endpoint.delivered().length >= 1 && setup.delivered());
      expect(events).toEqual([[setup.accounts[1], '401']]);

      const dead = await eventually('the dead letter', async () => {
        const found = await readStream(hub.runtime.bus, 'DEAD', `dead.edge.${provider.slug}.${setup.appId}`);
        return found.length === 1 && found;
      });
      // Only the unknown account's share is kept, rebuilt in the provider's own batch shape.
      expect(dead[0]!.body).toContain(unknownKey);
      expect(dead[0]!.body).toContain('901');
      expect(dead[0]!.body).not.toContain(keyB);
      expect(dead[0]!.headers).toMatchObject({ 'swy-stage': 'edge', 'swy-error-code': 'SWY_ERR_ACCOUNT_UNKNOWN' });
    });

    it('answers 404 SWY_ERR_ACCOUNT_UNKNOWN when no remote key is known', async () => {
      const setup = await connect(provider);
      const response = await setup.post(provider.batch([{ key: '555000555', record: '501' }]));
      expect(response).toMatchObject({ status: 404, body: { code: 'SWY_ERR_ACCOUNT_UNKNOWN' } });
    });

    it('answers 401 to a request signed with another secret, and delivers nothing', async () => {
      const setup = await connect(provider);
      const response = await setup.post(provider.batch([{ key: keyA, record: '601' }]), 'not-the-secret');
      expect(response).toMatchObject({ status: 401, body: { code: 'SWY_ERR_SIGNATURE_MISMATCH' } });
      // A genuine batch sent afterwards arrives alone.
      expect((await setup.post(provider.batch([{ key: keyA, record: '602' }]))).status).toBe(200);
      await eventually('the genuine event', () => setup.endpoint.delivered().length >= 1);
      expect(setup.delivered()).toEqual([[setup.accounts[0], '602']]);
    });
  });

  it('hubspot: refuses a v3 signature over another URL and a timestamp older than 5 minutes', async () => {
    const setup = await connect(hubspot);
    const body = hubspot.batch([{ key: hubspot.keys[0], record: '701' }]);
    const otherUrl = await fetch(setup.url, { method: 'POST', headers: hubspot.sign(setup.secret, `${setup.url}/elsewhere`, body), body });
    expect(otherUrl.status).toBe(401);
    const staleAt = String(Date.now() - 6 * 60_000);
    const stale = await fetch(setup.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': staleAt, 'x-hubspot-signature-v3': hmacBase64(setup.secret, `POST${setup.url}${body}${staleAt}`) },
      body,
    });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW' });
  });

  it('xero: answers Intent to Receive 200 with an empty body when signed, 401 when not', async () => {
    const setup = await connect(xero);
    // The documented Intent-to-Receive shape, spacing exactly (reference Appendix A.8).
    const body = '{ "events" : [], "lastEventSequence" : 0 , "firstEventSequence" : 0 , "entropy" : "S0m3r4Nd0mt3xt" }';
    const rawBefore = (await hub.runtime.bus.jsm.streams.info('RAW')).state.messages;

    const signed = await fetch(setup.url, { method: 'POST', headers: xero.sign(setup.secret, setup.url, body), body });
    expect(signed.status).toBe(200);
    expect(Buffer.from(await signed.arrayBuffer()).length).toBe(0);

    const forged = await fetch(setup.url, { method: 'POST', headers: xero.sign('not-the-key', setup.url, body), body });
    expect(forged.status).toBe(401);

    const unsigned = await fetch(setup.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);

    expect((await hub.runtime.bus.jsm.streams.info('RAW')).state.messages).toBe(rawBefore);
    expect(setup.endpoint.received).toHaveLength(0);
  });

  it('xero: the published A.8 vector is accepted by an app whose webhook key is the vector key', async () => {
    const environment = await hub.createEnvironment('xero-a8');
    const app = await hub.call('POST', '/v1/provider-apps', { token: environment.apiKey, body: { provider: 'xero', webhook_secret: 'xero_webhook_test_secret' } });
    const body = '{ "events" : [], "lastEventSequence" : 0 , "firstEventSequence" : 0 , "entropy" : "S0m3r4Nd0mt3xt" }';
    const response = await fetch(app.body.webhook_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-xero-signature': 'hnekiT0GuNX9rRmSlg0oxCxyBHwzBcb0J24w8gQbXo0=' },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});
