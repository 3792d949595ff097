import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { TASK_HEADERS } from '@switchyard/bus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deliveryShard } from '@switchyard/contracts';
import { freePort } from '@switchyard/nats-server';
import { createVia } from '../harness/api.js';
import { startChildService, type ChildHub } from '../harness/child-hub.js';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { createTenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

describe('one endpoint never holds up another', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    // A small shard window and wait limit, so a hanging endpoint could fill its shard's window in a few events.
    hub = await startTestHub(nats.url, {
      SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY: '2',
      SWITCHYARD_DELIVERY_CONCURRENCY: '8',
      SWITCHYARD_DELIVERY_TIMEOUT_MS: '60000',
      SWITCHYARD_DELIVERY_SHARD_WINDOW: '8',
      SWITCHYARD_DELIVERY_MAX_WAIT_MS: '300',
    });
  });
  afterAll(async () => {
    for (const r of receivers) r.release();
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  it('delivers every event to a fast endpoint while a hanging one holds its in-flight cap', async () => {
    let released = false;
    const hanging = await startReceiver(() => (released ? 200 : 'hang'));
    const fast = await startReceiver();
    receivers.push(hanging, fast);
    const tenant = await createTenant(hub, fast);
    await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: hanging.url, event_types: ['hris/*'] } });

    for (let i = 0; i < 20; i++) await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', `iso-${i}`)));
    await eventually('all 20 at the fast endpoint', () => fast.delivered().length === 20, 30_000);
    // Every hung request is still open: the fast endpoint did not wait for any of them.
    expect(hanging.received.every((r) => r.status === 0)).toBe(true);
    expect(hanging.hanging()).toBeLessThanOrEqual(2);

    released = true;
    hanging.release(200);
    await eventually('the hanging endpoint catches up', () => hanging.delivered().length === 20, 30_000);
  });

  it('delivers every event to a fast endpoint that shares its delivery shard with a hanging one', async () => {
    const hanging = await startReceiver(() => 'hang');
    const fast = await startReceiver();
    receivers.push(hanging, fast);
    const tenant = await createTenant(hub, fast);
    await hub.call('DELETE', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey });
    const subscribe = async (url: string) => (await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url, event_types: ['hris/*'] } })).body.id as string;
    const hangingId = await subscribe(hanging.url);
    // Subscriptions to the fast endpoint until one lands in the hanging one's shard (1 in 32 each).
    let fastId = await subscribe(fast.url);
    while (deliveryShard(fastId) !== deliveryShard(hangingId)) {
      await hub.call('DELETE', `/v1/subscriptions/${fastId}`, { token: tenant.apiKey });
      fastId = await subscribe(fast.url);
    }

    // Five times the shard's window: without stepping aside, the hanging endpoint's tasks would fill it.
    for (let i = 0; i < 40; i++) await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', `shard-${i}`)));
    await eventually('all 40 at the fast endpoint', () => fast.delivered().length === 40, 30_000);
    expect(new Set(fast.delivered().map((d) => JSON.parse(d.body).record_id)).size).toBe(40);
    expect(hanging.hanging()).toBeLessThanOrEqual(2);
  });

  it('delivers new events to a recovered endpoint at once while its failed tasks wait for their retry', async () => {
    let healthy = false;
    const endpoint = await startReceiver(() => (healthy ? 200 : 500));
    receivers.push(endpoint);
    const tenant = await createTenant(hub, endpoint);
    const send = (id: string) => sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', id)));
    // More failed tasks than the endpoint's in-flight cap (2): all wait for the first retry (5 s).
    for (const id of ['down-1', 'down-2', 'down-3']) await send(id);
    await eventually('three failed attempts', () => endpoint.received.length === 3);
    healthy = true;
    await send('after-recovery');
    await eventually('every event delivered', () => endpoint.delivered().length === 4, 30_000);
    // The new event did not wait behind the backoff of the failed ones.
    const order = endpoint.delivered().map((d) => JSON.parse(d.body).record_id as string);
    expect(order[0]).toBe('after-recovery');
    expect(order.slice(1).sort()).toEqual(['down-1', 'down-2', 'down-3']);
  });
});

describe('the delivery worker killed mid-flight', () => {
  const services: ChildHub[] = [];
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await nats?.stop();
  });

  it('loses nothing: after a restart every event is delivered, redeliveries with the same webhook-id', async () => {
    nats = await startTestNats();
    const slowly = await startReceiver();
    const adminToken = randomBytes(24).toString('hex');
    const common = { NATS_URL: nats.url, SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8', SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8' };
    const [edgePort, requestPort, normalizerPort, deliveryPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const edge = await startChildService('edge', edgePort, common);
    const request = await startChildService('request', requestPort, { ...common, SWITCHYARD_ADMIN_TOKEN: adminToken });
    const normalizer = await startChildService('normalizer', normalizerPort, common);
    const delivery = await startChildService('delivery', deliveryPort, { ...common, SWITCHYARD_DELIVERY_SCHEDULE_MS: '200,200,200,200,200' });
    services.push(edge, request, normalizer, delivery);

    const environment = await createVia(request.url, '/v1/environments', adminToken, { name: 'kill' });
    const account = await createVia(request.url, '/v1/integrated-accounts', environment.api_key!, { provider: 'bamboohr', credentials: {}, webhook_secret: 'kill-key' });
    await createVia(request.url, '/v1/subscriptions', environment.api_key!, { url: slowly.url, event_types: ['hris/*'] });

    const webhookUrl = `${edge.url}/webhooks/bamboohr/${account.id}`;
    for (let i = 0; i < 40; i++) {
      expect((await sendBamboo(webhookUrl, signBamboo('kill-key', bambooEvent('employee.updated', `k-${i}`)))).status).toBe(200);
      if (i === 10) await delivery.stop('SIGKILL');
    }
    services.push(await startChildService('delivery', await freePort(), { ...common, SWITCHYARD_DELIVERY_SCHEDULE_MS: '200,200,200,200,200' }));

    await eventually('all 40 delivered', () => new Set(slowly.delivered().map((d) => JSON.parse(d.body).record_id)).size === 40, 45_000);
    const ids = new Map<string, Set<string>>();
    for (const d of slowly.delivered()) {
      const record = JSON.parse(d.body).record_id as string;
      ids.set(record, (ids.get(record) ?? new Set()).add(String(d.headers['webhook-id'])));
    }
    for (const [record, set] of ids) expect(set.size, record).toBe(1);
    await slowly.close();
  });
});

describe('upgrading from per-subscription delivery lanes', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub | undefined;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await hub?.close();
    await Promise.all(receivers.map((r) => r.close()));
    await nats?.stop();
  });

  it('moves tasks queued in the old layout, new and waiting for a retry, and delivers each once', async () => {
    const endpoint = await startReceiver();
    receivers.push(endpoint);
    const sameKeys = { SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    hub = await startTestHub(nats.url, sameKeys);
    const tenant = await createTenant(hub, endpoint);
    const { jsm } = hub.runtime.bus;
    // What an older version left behind: its consumer and tasks on deliveries.<sub>[.retry].
    await jsm.consumers.add('DELIVERIES', { durable_name: `dlv_${tenant.subscriptionId}`, ack_policy: AckPolicy.Explicit, filter_subject: `deliveries.${tenant.subscriptionId}` });
    await hub.close();
    hub = undefined;
    const raw = await connect({ servers: nats.url });
    const rawJs = jetstream(raw);
    const publishVia = async (subject: string, eventId: string, extra: Record<string, string> = {}) => {
      const h = natsHeaders();
      for (const [name, value] of Object.entries({ [TASK_HEADERS.eventId]: eventId, [TASK_HEADERS.subscription]: tenant.subscriptionId, [TASK_HEADERS.eventType]: 'hris/employees:updated', [TASK_HEADERS.taskId]: 'o', ...extra })) h.set(name, value);
      await rawJs.publish(subject, JSON.stringify({ id: eventId, type: 'hris/employees:updated', record_id: eventId }), { headers: h, msgID: `${eventId}:${tenant.subscriptionId}:o` });
    };
    await publishVia(`deliveries.${tenant.subscriptionId}`, 'evt_legacy_new');
    await publishVia(`deliveries.${tenant.subscriptionId}.retry`, 'evt_legacy_retry', { [TASK_HEADERS.attempts]: '1', [TASK_HEADERS.notBefore]: String(Date.now()) });
    await raw.close();

    hub = await startTestHub(nats.url, sameKeys);
    await eventually('both old tasks delivered', () => endpoint.delivered().length === 2, 15_000);
    expect(endpoint.delivered().map((d) => d.headers['webhook-id']).sort()).toEqual(['evt_legacy_new', 'evt_legacy_retry']);
    const consumers: string[] = [];
    for await (const info of hub.runtime.bus.jsm.consumers.list('DELIVERIES')) consumers.push(info.name);
    expect(consumers.filter((name) => name.startsWith('dlv_') || name.startsWith('dq_legacy'))).toEqual([]);
    // The retry-lane task kept its count: this was its second attempt.
    const log = (await hub.call('GET', `/v1/subscriptions/${tenant.subscriptionId}/attempts`, { token: tenant.apiKey })).body.data as Array<{ event_id: string; attempt: number }>;
    expect(log.find((a) => a.event_id === 'evt_legacy_retry')?.attempt).toBe(2);
  });
});

describe('two delivery processes on one bus', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  const hubs: TestHub[] = [];
  const receivers: Receiver[] = [];
  const settings = { SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY: '2', SWITCHYARD_DELIVERY_TIMEOUT_MS: '60000' };
  const shardsHeld = async (hub: TestHub) => (await hub.runtime.metrics.deliveryShardsHeld.get()).values[0]?.value ?? 0;
  const attemptsMade = async (hub: TestHub) => (await hub.runtime.metrics.deliveries.get()).values.reduce((sum, v) => sum + v.value, 0);
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    for (const r of receivers) r.release();
    await Promise.all(hubs.map((h) => h.close()));
    await Promise.all(receivers.map((r) => r.close()));
    await nats?.stop();
  });

  it('splits the shards between them, keeps an endpoint’s in-flight cap through the hand-over, and both deliver', async () => {
    let released = false;
    const hanging = await startReceiver(() => (released ? 200 : 'hang'));
    const fast = await startReceiver();
    receivers.push(hanging, fast);
    const first = await startTestHub(nats.url, settings);
    hubs.push(first);
    const tenant = await createTenant(first, fast);
    const subscribe = async (url: string) => (await first.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url, event_types: ['hris/*'] } })).body.id as string;
    // A hanging endpoint in one of the shards the first process will hand over (it gives back the highest).
    let hangingId = await subscribe(hanging.url);
    while (deliveryShard(hangingId) < 16) {
      await first.call('DELETE', `/v1/subscriptions/${hangingId}`, { token: tenant.apiKey });
      hangingId = await subscribe(hanging.url);
    }
    const fastIds: string[] = [];
    const fasts: Receiver[] = [];
    for (let i = 0; i < 15; i++) {
      const endpoint = await startReceiver();
      receivers.push(endpoint);
      fasts.push(endpoint);
      fastIds.push(await subscribe(endpoint.url));
    }
    // Endpoints sharing the hanging one's shard wait for its hand-over (its open attempts end first).
    const besideHanging = fastIds.filter((id) => deliveryShard(id) === deliveryShard(hangingId)).length;
    const send = (id: string) => sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', id)));
    for (const id of ['h-1', 'h-2', 'h-3']) await send(id);
    await eventually('the hanging endpoint holds its two places', () => hanging.hanging() === 2);

    // Most open requests the endpoint ever had at once, sampled all along.
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, hanging.hanging())), 5);
    try {
      const second = await startTestHub(nats.url, settings);
      hubs.push(second);
      // The first process hands back its highest sixteen shards; the hanging endpoint's is among them but
      // stays leased to it while its two attempts are open (draining), so the second takes fifteen.
      await eventually('shards split: 16 stay (one of them draining), 15 move', async () => (await shardsHeld(first)) === 16 && (await shardsHeld(second)) === 15, 20_000);
      expect(hanging.hanging()).toBe(2);

      const before = [await attemptsMade(first), await attemptsMade(second)];
      for (let i = 0; i < 5; i++) await send(`split-${i}`);
      // Distinct (endpoint, event) pairs: a redelivery after the hand-over is at-least-once, not a new copy.
      const splitCopies = () => fasts.reduce((sum, r) => sum + new Set(r.delivered().map((d) => JSON.parse(d.body).record_id).filter((id) => id.startsWith('split-'))).size, 0);
      await eventually('the five events at every endpoint outside the draining shard', () => splitCopies() >= (15 - besideHanging) * 5, 30_000);
      expect(await attemptsMade(first)).toBeGreaterThan(before[0]!);
      expect(await attemptsMade(second)).toBeGreaterThan(before[1]!);

      // The endpoint answers again: the drained shard is taken up, and every event reaches it once.
      released = true;
      hanging.release(200);
      await eventually('all 32 shards held again, 16 each', async () => (await shardsHeld(first)) === 16 && (await shardsHeld(second)) === 16, 20_000);
      await eventually('the once-hanging endpoint has every event', () => new Set(hanging.delivered().map((d) => JSON.parse(d.body).record_id)).size === 8, 30_000);
      await eventually('and so has every other endpoint', () => splitCopies() === 15 * 5, 30_000);
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBeLessThanOrEqual(2);
  });
});
