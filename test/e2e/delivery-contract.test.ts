import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { deliverySubjects } from '@switchyard/contracts';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Answer, type Received, type Receiver } from '../harness/receiver.js';
import { readStream } from '../harness/streams.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

const SCHEDULE = [100, 200, 300];

const signatureHeaders = (r: Received) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

/** A v1a verifier written from the Standard Webhooks spec (no published JS library verifies v1a). */
function verifiesV1a(publicKey: string, r: Received): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
  const signed = Buffer.from(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`);
  return String(r.headers['webhook-signature'])
    .split(' ')
    .filter((entry) => entry.startsWith('v1a,'))
    .some((entry) => verify(null, signed, key, Buffer.from(entry.slice(4), 'base64')));
}

describe('delivery contract: signatures, retries, statuses, operations', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];

  const receiver = async (respond?: (n: number, body: string) => Answer) => {
    const r = await startReceiver(respond);
    receivers.push(r);
    return r;
  };
  const send = async (tenant: Tenant, recordId: string) => {
    const response = await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', recordId)));
    expect(response.status).toBe(200);
  };
  const subscribe = async (tenant: Tenant, body: Record<string, unknown>) => {
    const response = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  };
  const attempts = async (tenant: Tenant, subscriptionId: string, query = '') =>
    (await hub.call('GET', `/v1/subscriptions/${subscriptionId}/attempts${query}`, { token: tenant.apiKey })).body.data as Array<Record<string, any>>;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_DELIVERY_SCHEDULE_MS: SCHEDULE.join(','), SWITCHYARD_DELIVERY_JITTER: '0', SWITCHYARD_SECRET_ROTATION_OVERLAP_MS: '3600000', SWITCHYARD_DELIVERY_PAUSE_RECHECK_MS: '300' });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  it('signs v1 so that the standardwebhooks and svix verifiers accept it, before and during a rotation', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    await send(tenant, 'sig-1');
    const [before] = await eventually('first delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    expect(new StandardWebhook(tenant.signingSecret).verify(before!.body, signatureHeaders(before!))).toMatchObject({ record_id: 'sig-1' });
    expect(new SvixWebhook(tenant.signingSecret).verify(before!.body, signatureHeaders(before!))).toMatchObject({ record_id: 'sig-1' });

    const rotated = await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/rotate-secret`, { token: tenant.apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(tenant.signingSecret);
    await send(tenant, 'sig-2');
    const during = await eventually('second delivery', () => endpoint.delivered()[1]);
    for (const secret of [tenant.signingSecret, rotated.body.secret]) {
      expect(new StandardWebhook(secret).verify(during.body, signatureHeaders(during))).toMatchObject({ record_id: 'sig-2' });
      expect(new SvixWebhook(secret).verify(during.body, signatureHeaders(during))).toMatchObject({ record_id: 'sig-2' });
    }
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
  });

  it('signs v1a with ed25519 for subscriptions that ask for it, verifiable with the pinned public key, before and during a rotation', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, await receiver());
    const subscription = await subscribe(tenant, { url: endpoint.url, event_types: ['hris/*'], key_type: 'ed25519' });
    expect(subscription.public_key).toMatch(/^whpk_/);
    expect(subscription).not.toHaveProperty('secret');
    await send(tenant, 'ed-1');
    const [first] = await eventually('v1a delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    expect(String(first!.headers['webhook-signature'])).toMatch(/^v1a,/);
    expect(verifiesV1a(subscription.public_key, first!)).toBe(true);

    const rotated = await hub.call('POST', `/v1/subscriptions/${subscription.id}/rotate-secret`, { token: tenant.apiKey });
    await send(tenant, 'ed-2');
    const second = await eventually('v1a delivery after rotation', () => endpoint.delivered()[1]);
    expect(verifiesV1a(subscription.public_key, second)).toBe(true);
    expect(verifiesV1a(rotated.body.public_key, second)).toBe(true);
  });

  it('retries on the schedule, records every attempt, and delivers with one webhook-id', async () => {
    const endpoint = await receiver((n) => (n <= 3 ? 500 : 200));
    const tenant = await createTenant(hub, endpoint);
    await send(tenant, 'retry-1');
    await eventually('delivery after three failures', () => endpoint.delivered().length === 1);
    expect(new Set(endpoint.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const log = await eventually('four attempt records', async () => {
      const data = await attempts(tenant, tenant.subscriptionId);
      return data.length === 4 && data;
    });
    expect(log.map((a) => [a.attempt, a.status, a.outcome, a.next_attempt_in_ms])).toEqual([
      [1, 500, 'failed', SCHEDULE[0]],
      [2, 500, 'failed', SCHEDULE[1]],
      [3, 500, 'failed', SCHEDULE[2]],
      [4, 200, 'delivered', null],
    ]);
    // The receiver is on loopback, reachable only by the operator's exception: the attempt log (which
    // the tenant reads) keeps no excerpt of what an internal address answered.
    expect(log[0]).toMatchObject({ response_excerpt: null, event_type: 'hris/employees:updated', task_id: 'o' });
    expect(JSON.stringify(log)).not.toContain('retry-1');
    const failedOnly = await attempts(tenant, tenant.subscriptionId, '?status=failed');
    expect(failedOnly).toHaveLength(3);
    expect(await attempts(tenant, tenant.subscriptionId, '?status=200')).toHaveLength(1);
  });

  it('honours Retry-After on 429 instead of the schedule', async () => {
    const endpoint = await receiver((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : 200));
    const tenant = await createTenant(hub, endpoint);
    await send(tenant, 'slow-down');
    await eventually('delivery after 429', () => endpoint.delivered().length === 1, 10_000);
    const log = await eventually('two attempts', async () => {
      const data = await attempts(tenant, tenant.subscriptionId);
      return data.length === 2 && data;
    });
    expect(log[0]).toMatchObject({ status: 429, next_attempt_in_ms: 1_000 });
  });

  it('dead-letters a task whose attempts are exhausted, tells the operations subscription, and recovers it once fixed', async () => {
    let healthy = false;
    const endpoint = await receiver(() => (healthy ? 200 : 500));
    const ops = await receiver();
    const tenant = await createTenant(hub, endpoint);
    await subscribe(tenant, { url: ops.url, event_types: ['webhook/*'] });
    await send(tenant, 'doomed');

    const [notice] = await eventually('attempts_exhausted notice', () => ops.delivered().length >= 1 && ops.delivered());
    const exhausted = JSON.parse(notice!.body);
    expect(exhausted).toMatchObject({ type: 'webhook/message:attempts_exhausted', data: { subscription_id: tenant.subscriptionId, attempts: 4, last_status: 500 } });
    expect(endpoint.received).toHaveLength(SCHEDULE.length + 1);
    const dead = await readStream(hub.runtime.bus, 'DEAD', `dead.delivery.${tenant.subscriptionId}`);
    expect(dead.map((d) => d.headers['swy-error-code'])).toEqual(['SWY_ERR_DELIVERY_EXHAUSTED']);
    // The tenant sees it through the API too, and only the tenant: another environment's key lists nothing.
    const listed = await hub.call('GET', `/v1/dead-letters?stage=delivery&subscription_id=${tenant.subscriptionId}`, { token: tenant.apiKey });
    expect(listed.body.data).toEqual([
      expect.objectContaining({ stage: 'delivery', code: 'SWY_ERR_DELIVERY_EXHAUSTED', subscription_id: tenant.subscriptionId, event_id: exhausted.data.event_id }),
    ]);
    const stranger = await hub.createEnvironment('stranger');
    expect((await hub.call('GET', '/v1/dead-letters?stage=delivery', { token: stranger.apiKey })).body.data).toEqual([]);

    healthy = true;
    const recovered = await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/recover`, { token: tenant.apiKey, body: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(recovered.body).toMatchObject({ recovered: 1 });
    const delivered = await eventually('recovered delivery', () => endpoint.delivered()[0]);
    expect(delivered.headers['webhook-id']).toBe(exhausted.data.event_id);
  });

  it('disables an endpoint that answers 410, tells the operations subscription, and dead-letters what follows', async () => {
    let gone = true;
    const endpoint = await receiver(() => (gone ? 410 : 200));
    const ops = await receiver();
    const tenant = await createTenant(hub, endpoint);
    await subscribe(tenant, { url: ops.url, event_types: ['webhook/endpoint:disabled'] });
    await send(tenant, 'gone-1');
    const [notice] = await eventually('disabled notice', () => ops.delivered().length >= 1 && ops.delivered());
    expect(JSON.parse(notice!.body)).toMatchObject({ type: 'webhook/endpoint:disabled', data: { subscription_id: tenant.subscriptionId, reason: 'endpoint_gone' } });
    const view = await hub.call('GET', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey });
    expect(view.body).toMatchObject({ status: 'disabled', disabled_reason: 'endpoint_gone' });
    expect(endpoint.received).toHaveLength(1);
    expect((await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/recover`, { token: tenant.apiKey, body: { since: new Date(0).toISOString() } })).body.code).toBe('SWY_ERR_ENDPOINT_DISABLED');

    // An event published while it is disabled is kept as a dead letter, not skipped: resume + recover brings both back.
    await send(tenant, 'gone-2');
    const deadLetters = async () => (await hub.call('GET', `/v1/dead-letters?stage=delivery&subscription_id=${tenant.subscriptionId}`, { token: tenant.apiKey })).body.data as Array<{ code: string }>;
    await eventually('the disabled-time event dead-lettered', async () => (await deadLetters()).length === 2);
    expect((await deadLetters()).map((d) => d.code)).toEqual(['SWY_ERR_ENDPOINT_DISABLED', 'SWY_ERR_ENDPOINT_DISABLED']);
    expect(endpoint.received).toHaveLength(1);
    gone = false;
    expect((await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/resume`, { token: tenant.apiKey })).body).toMatchObject({ status: 'active' });
    const recovered = await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/recover`, { token: tenant.apiKey, body: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(recovered.body).toMatchObject({ recovered: 2 });
    await eventually('both events delivered after recovery', () => endpoint.delivered().length === 2);
    expect(endpoint.delivered().map((d) => JSON.parse(d.body).record_id).sort()).toEqual(['gone-1', 'gone-2']);
  });

  it('holds deliveries while paused and delivers them on resume, without counting the wait as attempts', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    expect((await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/pause`, { token: tenant.apiKey })).body.status).toBe('paused');
    await send(tenant, 'held-1');
    // DELIVERIES is a work queue, so look at the held task directly, in either of its lanes.
    const held = async () => {
      for (const subject of deliverySubjects(tenant.subscriptionId)) if (await hub.runtime.bus.jsm.streams.getMessage('DELIVERIES', { last_by_subj: subject })) return true;
      return false;
    };
    await eventually('the held task', held);
    expect(endpoint.received).toHaveLength(0);
    expect((await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/resume`, { token: tenant.apiKey })).body.status).toBe('active');
    await eventually('delivery after resume', () => endpoint.delivered().length === 1, 15_000);
    const log = await attempts(tenant, tenant.subscriptionId);
    expect(log.map((a) => a.attempt)).toEqual([1]);
  });

  it('applies the subscription filter and static headers, and refuses reserved headers', async () => {
    const filtered = await receiver();
    const all = await receiver();
    const tenant = await createTenant(hub, all);
    await subscribe(tenant, { url: filtered.url, event_types: ['hris/*'], filter: 'record_id = "keep"', headers: { 'X-Team': 'payroll' } });
    await send(tenant, 'drop');
    await send(tenant, 'keep');
    await eventually('both events at the unfiltered endpoint', () => all.delivered().length === 2);
    await eventually('the kept event', () => filtered.delivered().length === 1);
    expect(filtered.delivered().map((d) => JSON.parse(d.body).record_id)).toEqual(['keep']);
    expect(filtered.delivered()[0]!.headers['x-team']).toBe('payroll');
    const reserved = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: all.url, event_types: ['*'], headers: { 'Webhook-Id': 'x' } } });
    expect(reserved).toMatchObject({ status: 400, body: { code: 'SWY_ERR_VALIDATION' } });
    const badFilter = await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: all.url, event_types: ['*'], filter: 'record_id = (' } });
    expect(badFilter).toMatchObject({ status: 400, body: { code: 'SWY_ERR_VALIDATION' } });
  });

  it('sends a signed test event on request', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    const sent = await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/test`, { token: tenant.apiKey });
    expect(sent.status).toBe(202);
    const [test] = await eventually('test delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    expect(new StandardWebhook(tenant.signingSecret).verify(test!.body, signatureHeaders(test!))).toMatchObject({ id: sent.body.event_id, type: 'webhook/endpoint:test' });
  });

  it('lists events, shows their attempts, and resends one with the same webhook-id', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    await send(tenant, 'listed-1');
    const [first] = await eventually('delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    const eventId = String(first!.headers['webhook-id']);

    const listed = await hub.call('GET', '/v1/events?type=hris/employees:*', { token: tenant.apiKey });
    expect(listed.body.data.map((e: { id: string }) => e.id)).toEqual([eventId]);
    expect((await hub.call('GET', '/v1/events?type=crm/*', { token: tenant.apiKey })).body.data).toEqual([]);
    expect((await hub.call('GET', `/v1/events/${eventId}`, { token: tenant.apiKey })).body).toMatchObject({ id: eventId, record_id: 'listed-1' });
    const eventAttempts = await hub.call('GET', `/v1/events/${eventId}/attempts`, { token: tenant.apiKey });
    expect(eventAttempts.body.data).toHaveLength(1);

    const resent = await hub.call('POST', `/v1/events/${eventId}/resend`, { token: tenant.apiKey, body: {} });
    expect(resent.status).toBe(202);
    expect(resent.body.subscription_ids).toEqual([tenant.subscriptionId]);
    const again = await eventually('resent delivery', () => endpoint.delivered()[1]);
    expect(again.headers['webhook-id']).toBe(eventId);

    const other = await hub.createEnvironment('other');
    expect((await hub.call('GET', `/v1/events/${eventId}`, { token: other.apiKey })).body.code).toBe('SWY_ERR_EVENT_NOT_FOUND');
    expect((await hub.call('GET', `/v1/events/${eventId}/attempts`, { token: other.apiKey })).body.data).toEqual([]);
  });
});

describe('an endpoint failing continuously past the limit', () => {
  it('is disabled with reason "failing" and the operations subscription is told', async () => {
    const nats = await startTestNats();
    const hub = await startTestHub(nats.url, {
      SWITCHYARD_DELIVERY_SCHEDULE_MS: Array.from({ length: 40 }, () => '100').join(','),
      SWITCHYARD_DELIVERY_JITTER: '0',
      SWITCHYARD_DELIVERY_DISABLE_AFTER_MS: '600',
    });
    const failing = await startReceiver(() => 503);
    const ops = await startReceiver();
    try {
      const tenant = await createTenant(hub, failing);
      await hub.call('POST', '/v1/subscriptions', { token: tenant.apiKey, body: { url: ops.url, event_types: ['webhook/endpoint:*'] } });
      await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'streak')));
      const [notice] = await eventually('disabled notice', () => ops.delivered().length >= 1 && ops.delivered());
      const body = JSON.parse(notice!.body);
      expect(body).toMatchObject({ type: 'webhook/endpoint:disabled', data: { subscription_id: tenant.subscriptionId, reason: 'failing' } });
      expect(Date.parse(body.timestamp) - Date.parse(body.data.failing_since)).toBeGreaterThanOrEqual(600);
      const view = await hub.call('GET', `/v1/subscriptions/${tenant.subscriptionId}`, { token: tenant.apiKey });
      expect(view.body).toMatchObject({ status: 'disabled', disabled_reason: 'failing' });
      // Far fewer attempts than the 41 the schedule allows: the streak, not the schedule, ended it.
      expect(failing.received.length).toBeLessThan(41);
      const resumed = await hub.call('POST', `/v1/subscriptions/${tenant.subscriptionId}/resume`, { token: tenant.apiKey });
      expect(resumed.body).toMatchObject({ status: 'active', disabled_reason: null, failing_since: null });
    } finally {
      await failing.close();
      await ops.close();
      await hub.close();
      await nats.stop();
    }
  });
});
