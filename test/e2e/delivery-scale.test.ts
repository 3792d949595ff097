import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_SHARDS } from '@switchyard/contracts';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** Subscriptions in this lifecycle: enough for every shard to hold dozens, few enough for the suite. */
const COUNT = 2_000;

describe(`${COUNT} subscriptions: create, pause, delete, restart`, () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let endpoint: Receiver;
  let tenant: Tenant;
  const settings = { SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SWITCHYARD_DELIVERY_PAUSE_RECHECK_MS: '300' };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, settings);
    endpoint = await startReceiver();
  });
  afterAll(async () => {
    await hub?.close();
    await endpoint?.close();
    await nats?.stop();
  });

  /** Runs `work` over `items`, 16 at a time (as a client creating many subscriptions would). */
  const eachOf = async <T>(items: T[], work: (item: T) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }));
  };
  /** Distinct (subscription, event) deliveries: each subscription sends its own `x-subscription` header. */
  const delivered = (recordId: string) => new Set(endpoint.delivered().filter((d) => JSON.parse(d.body).record_id === recordId).map((d) => String(d.headers['x-subscription']))).size;
  const send = (recordId: string) => sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', recordId)));

  it('delivers to each one, holds the paused, purges the deleted, and leaves no consumer or task behind after a restart', async () => {
    tenant = await createTenant(hub, await startReceiver());
    await hub.call('DELETE', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey });
    const ids: string[] = new Array(COUNT);
    await eachOf([...ids.keys()], async (i) => {
      const response = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: endpoint.url, event_types: ['hris/*'], headers: { 'x-subscription': String(i) } } });
      expect(response.status).toBe(201);
      ids[i] = response.body.id;
    });

    expect((await send('to-all')).status).toBe(200);
    await eventually(`the first event at all ${COUNT}`, () => delivered('to-all') === COUNT, 60_000);

    // A quarter paused, and half of those then deleted while their second event waits.
    const paused = ids.slice(0, COUNT / 4);
    const deleted = paused.slice(0, COUNT / 8);
    await eachOf(paused, (id) => hub.call('POST', `/v1/subscriptions/${id}/pause`, { token: tenant.apiKey }));
    expect((await send('while-paused')).status).toBe(200);
    await eventually('the second event at every active subscription', () => delivered('while-paused') === COUNT - paused.length, 60_000);
    await eachOf(deleted, (id) => hub.call('DELETE', `/v1/subscriptions/${id}`, { token: tenant.apiKey }));

    await hub.close();
    hub = await startTestHub(nats.url, settings);
    await eachOf(paused.slice(deleted.length), (id) => hub.call('POST', `/v1/subscriptions/${id}/resume`, { token: tenant.apiKey }));
    await eventually('the held events after resume', () => delivered('while-paused') === COUNT - deleted.length, 60_000);
    const deletedHeaders = new Set(deleted.map((id) => String(ids.indexOf(id))));
    expect(endpoint.delivered().some((d) => JSON.parse(d.body).record_id === 'while-paused' && deletedHeaders.has(String(d.headers['x-subscription'])))).toBe(false);

    // Nothing left: no task (the deleted ones' held tasks were purged), and only the lanes' fixed consumers.
    const { jsm } = hub.runtime.bus;
    await eventually('DELIVERIES empty', async () => (await jsm.streams.info('DELIVERIES')).state.messages === 0, 30_000);
    const consumers: string[] = [];
    for await (const info of jsm.consumers.list('DELIVERIES')) consumers.push(info.name);
    expect(consumers.sort()).toEqual(
      Array.from({ length: DELIVERY_SHARDS }, (_, shard) => [`dq_${String(shard).padStart(2, '0')}_retries`, `dq_${String(shard).padStart(2, '0')}_tasks`]).flat().sort(),
    );
  }, 300_000);
});
