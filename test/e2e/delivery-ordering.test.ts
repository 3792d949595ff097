import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@switchyard/nats-server';
import { createVia } from '../harness/api.js';
import { startChildService, type ChildHub } from '../harness/child-hub.js';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Answer, type Received, type Receiver } from '../harness/receiver.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** What the endpoint saw of one event: its record, its change time (the send order), its sequence. */
interface Seen {
  id: string;
  record: string;
  timestamp: string;
  sequence: number;
}

const seen = (r: Received): Seen => {
  const body = JSON.parse(r.body) as { id: string; record_id: string; timestamp: string; sequence: number };
  return { id: body.id, record: body.record_id, timestamp: body.timestamp, sequence: body.sequence };
};

/**
 * Each record's events in the order of their first successful delivery (repeats of an event already
 * delivered are at-least-once copies, not reordering).
 */
function firstDeliveries(receiver: Receiver): Map<string, Seen[]> {
  const byRecord = new Map<string, Seen[]>();
  const done = new Set<string>();
  for (const event of receiver.delivered().map(seen)) {
    if (done.has(event.id)) continue;
    done.add(event.id);
    byRecord.set(event.record, [...(byRecord.get(event.record) ?? []), event]);
  }
  return byRecord;
}

/** Events delivered (first time) after an event of the same record that was sent later. */
function violations(byRecord: Map<string, Seen[]>): string[] {
  const out: string[] = [];
  for (const [record, events] of byRecord) {
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.timestamp < events[i - 1]!.timestamp) out.push(`${record}: ${events[i]!.timestamp} after ${events[i - 1]!.timestamp}`);
      if (events[i]!.sequence <= events[i - 1]!.sequence) out.push(`${record}: sequence ${events[i]!.sequence} after ${events[i - 1]!.sequence}`);
    }
  }
  return out;
}

describe('per-record ordering (ordering: "record")', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];
  const receiver = async (respond?: (n: number, body: string) => Answer) => {
    const r = await startReceiver(respond);
    receivers.push(r);
    return r;
  };
  const subscribe = async (tenant: Tenant, url: string, ordering?: 'record' | 'none') => {
    const response = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url, event_types: ['hris/employees:*'], ...(ordering ? { ordering } : {}) } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { id: string; ordering: string };
  };
  /** Sends `count` changes of each record: one record's changes one after the other, records at once. */
  const sendChanges = async (tenant: Tenant, records: string[], count: number) => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    await Promise.all(
      records.map(async (record) => {
        for (let i = 0; i < count; i++) {
          const body = bambooEvent('employee.updated', record, new Date(base + i * 1_000));
          const response = await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, body));
          expect(response.status).toBe(200);
        }
      }),
    );
  };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_DELIVERY_SCHEDULE_MS: Array.from({ length: 20 }, () => '100').join(','), SWITCHYARD_DELIVERY_JITTER: '0' });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  it('delivers each record’s events in the order sent while the endpoint fails at random, and unordered subscriptions still get everything', async () => {
    // One in three answers is a 500: every record sees retries, and its later events must wait for them.
    let n = 0;
    const flaky = await receiver(() => (++n % 3 === 0 ? 500 : 200));
    const plain = await receiver();
    const tenant = await createTenant(hub, plain);
    const ordered = await subscribe(tenant, flaky.url, 'record');
    expect(ordered.ordering).toBe('record');
    const records = Array.from({ length: 8 }, (_, i) => `ord-${i}`);
    await sendChanges(tenant, records, 10);

    const byRecord = await eventually('80 events delivered in order', () => {
      const delivered = firstDeliveries(flaky);
      return [...delivered.values()].reduce((sum, events) => sum + events.length, 0) === 80 && delivered;
    }, 60_000);
    expect(flaky.received.some((r) => r.status === 500)).toBe(true);
    expect(violations(byRecord)).toEqual([]);
    for (const record of records) expect(byRecord.get(record)).toHaveLength(10);
    // The tenant's unordered subscription (created with the tenant) got every event too, once each.
    await eventually('the unordered subscription has all 80', () => new Set(plain.delivered().map((r) => seen(r).id)).size === 80);
  });

  it('a failing event holds back only the later events of its own record', async () => {
    // Every delivery of record "stuck"'s first event fails four times; other records pass at once.
    const failures = new Map<string, number>();
    const endpoint = await receiver((_, body) => {
      const event = JSON.parse(body) as { id: string; record_id: string };
      if (event.record_id !== 'stuck') return 200;
      const count = (failures.get(event.id) ?? 0) + 1;
      failures.set(event.id, count);
      return failures.size === 1 && count <= 4 ? 500 : 200;
    });
    const tenant = await createTenant(hub, await receiver());
    await subscribe(tenant, endpoint.url, 'record');
    await sendChanges(tenant, ['stuck', 'free-1', 'free-2'], 5);

    const byRecord = await eventually('15 events delivered', () => {
      const delivered = firstDeliveries(endpoint);
      return [...delivered.values()].reduce((sum, events) => sum + events.length, 0) === 15 && delivered;
    }, 60_000);
    expect(violations(byRecord)).toEqual([]);
    // The stuck record's first event needed five attempts; no later event of it went before.
    const stuckFirst = byRecord.get('stuck')![0]!;
    expect(endpoint.received.filter((r) => seen(r).id === stuckFirst.id)).toHaveLength(5);
    const firstSuccessOf = (id: string) => endpoint.received.findIndex((r) => r.status === 200 && seen(r).id === id);
    const stuckAt = firstSuccessOf(stuckFirst.id);
    for (const later of byRecord.get('stuck')!.slice(1)) expect(firstSuccessOf(later.id)).toBeGreaterThan(stuckAt);
    // The other records did not wait for it: their last events were delivered before the stuck one's first.
    for (const record of ['free-1', 'free-2']) expect(firstSuccessOf(byRecord.get(record)!.at(-1)!.id)).toBeLessThan(stuckAt);
    // Nothing is left waiting once the record's queue has drained.
    await eventually('no record queue left', async () => {
      const keys: string[] = [];
      for await (const key of await hub.runtime.bus.kv.delivery_order.keys()) keys.push(key);
      return keys.length === 0;
    });
  });

  it('refuses to change ordering after creation, and an unknown value, with coded errors', async () => {
    const tenant = await createTenant(hub, await receiver());
    const bad = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: 'http://127.0.0.1:9/x', event_types: ['hris/employees:*'], ordering: 'endpoint' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('SWY_ERR_VALIDATION');
    const patch = await hub.call('PATCH', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey, body: { ordering: 'record' } });
    expect(patch.status).toBe(400);
    expect(patch.body.code).toBe('SWY_ERR_VALIDATION');
    const view = await hub.call('GET', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey });
    expect(view.body.ordering).toBe('none');
  });
});

describe('per-record ordering across processes and a kill -9', () => {
  const services: ChildHub[] = [];
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let endpoint: Receiver | undefined;
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await endpoint?.close();
    await nats?.stop();
  });

  it('two normalizers and two delivery processes, one of each killed mid-stream: every event delivered, none out of order', async () => {
    nats = await startTestNats();
    let n = 0;
    endpoint = await startReceiver(() => (++n % 4 === 0 ? 503 : 200));
    const adminToken = randomBytes(24).toString('hex');
    const common = { NATS_URL: nats.url, SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8', SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8' };
    const delivery = { ...common, SWITCHYARD_DELIVERY_SCHEDULE_MS: Array.from({ length: 20 }, () => '200').join(','), SWITCHYARD_DELIVERY_JITTER: '0' };
    const start = async (service: Parameters<typeof startChildService>[0], env: Record<string, string>) => {
      const child = await startChildService(service, await freePort(), env);
      services.push(child);
      return child;
    };
    const edge = await start('edge', common);
    const request = await start('request', { ...common, SWITCHYARD_ADMIN_TOKEN: adminToken });
    const [normalizerA] = await Promise.all([start('normalizer', common), start('normalizer', common)]);
    const [deliveryA] = await Promise.all([start('delivery', delivery), start('delivery', delivery)]);

    const environment = await createVia(request.url, '/v1/environments', adminToken, { name: 'order' });
    const account = await createVia(request.url, '/v1/integrated-accounts', environment.api_key!, { provider: 'bamboohr', credentials: {}, webhook_secret: 'order-key' });
    await createVia(request.url, '/v1/subscriptions', environment.api_key!, { url: endpoint.url, event_types: ['hris/*'], ordering: 'record' });

    const webhookUrl = `${edge.url}/webhooks/bamboohr/${account.id}`;
    const records = Array.from({ length: 10 }, (_, i) => `k-${i}`);
    const base = Date.parse('2026-02-01T00:00:00Z');
    let sent = 0;
    await Promise.all(
      records.map(async (record) => {
        for (let i = 0; i < 12; i++) {
          expect((await sendBamboo(webhookUrl, signBamboo('order-key', bambooEvent('employee.updated', record, new Date(base + i * 1_000))))).status).toBe(200);
          // Halfway through, one normalizer and one delivery process die without a word.
          if (++sent === 60) await Promise.all([normalizerA!.stop('SIGKILL'), deliveryA!.stop('SIGKILL')]);
        }
      }),
    );

    const byRecord = await eventually('120 events delivered', () => {
      const delivered = firstDeliveries(endpoint!);
      return [...delivered.values()].reduce((sum, events) => sum + events.length, 0) === 120 && delivered;
    }, 90_000);
    expect(violations(byRecord)).toEqual([]);
    for (const record of records) expect(byRecord.get(record)).toHaveLength(12);
  });
});
