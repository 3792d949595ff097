import { createHmac } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';
import { startHiBobApi, type HiBobApi } from '../simulators/hibob-api.js';

/**
 * OpenTelemetry traces from provider to endpoint, through a real hub on a real nats-server, delivering
 * to a real HTTP endpoint on loopback: the trace a provider starts (its `traceparent`) is the trace
 * the customer's endpoint and the provider API called for enrichment receive, and (tracing on) every
 * stage's span is in it, each the child of the stage before. Spans go to an in-memory exporter.
 */

const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2, PRODUCER: 3, CONSUMER: 4 } as const;
const serviceUser = { id: 'SERVICE-7', token: 'bob-service-user-token' };

const parts = (traceparent: string) => {
  const [version, traceId, parentId, flags] = traceparent.split('-');
  return { version, traceId, parentId, flags };
};
const randomHex = (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
const newTraceparent = () => `00-${randomHex(16)}-${randomHex(8)}-01`;

/** A stack of one hub, a receiver subscribed to hris/employees:*, a BambooHR tenant and a HiBob account (thin webhooks, enriched). */
async function startStack(env: Record<string, string>, exporter: InMemorySpanExporter) {
  const nats = await startTestNats();
  const hub = await startTestHub(nats.url, env, undefined, { spanExporter: exporter });
  const [endpoint, bob] = await Promise.all([startReceiver(), startHiBobApi({ serviceUser, employees: 5 })]);
  const tenant = await createTenant(hub, endpoint);
  const bobAccount = await hub.call('POST', '/v1/integrated-accounts', {
    token: tenant.apiKey,
    body: { provider: 'hibob', credentials: { username: serviceUser.id, password: serviceUser.token }, webhook_secret: 'bob-webhook-secret', config: { base_url: `${bob.url}/v1` } },
  });
  expect(bobAccount.status).toBe(201);
  return {
    nats,
    hub,
    endpoint,
    bob,
    tenant,
    bobWebhookUrl: bobAccount.body.webhook_url as string,
    bobAccountId: bobAccount.body.id as string,
    close: async () => {
      await Promise.all([endpoint.close(), bob.close()]);
      await hub.close();
      await nats.stop();
    },
  };
}

/** A HiBob v2 thin delivery, signed as Bob signs it, with optional trace headers. */
function sendBob(url: string, employeeId: string, trace: Record<string, string> = {}) {
  const body = JSON.stringify({ companyId: 641_234, type: 'employee.updated', triggeredBy: '1', triggeredAt: '2026-12-04T05:00:00.123456', version: 'v2', data: { employeeId } });
  const signature = createHmac('sha512', 'bob-webhook-secret').update(body).digest('base64');
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'bob-signature': signature, ...trace }, body });
}

/** A BambooHR delivery of `employee.updated` for `employeeId`, signed, with optional trace headers. */
async function sendBambooTraced(tenant: Tenant, employeeId: string, trace: Record<string, string> = {}) {
  const signed = signBamboo(tenant.privateKey, bambooEvent('employee.updated', employeeId));
  return sendBamboo(tenant.webhookUrl, { ...signed, headers: { ...signed.headers, ...trace } });
}

const deliveryOf = (endpoint: Receiver, recordId: string) =>
  eventually(`the delivery of ${recordId}`, () => endpoint.delivered().find((d) => JSON.parse(d.body).record_id === recordId));

describe('tracing on: one trace from the provider’s request to the customer’s endpoint', () => {
  const exporter = new InMemorySpanExporter();
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    stack = await startStack({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'switchyard-test', SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150,150' }, exporter);
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The finished spans of one trace, once `names` are all among them. */
  const spansOf = (traceId: string, names: string[]) =>
    eventually(`spans ${names.join(', ')}`, () => {
      const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      return names.every((name) => spans.some((s) => s.name === name)) && spans;
    });
  const one = (spans: ReadableSpan[], name: string) => {
    const found = spans.filter((s) => s.name === name);
    expect(found.map((s) => s.name), name).toEqual([name]);
    return found[0]!;
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('continues the webhook’s traceparent through verify, RAW, map, EVENTS and fan-out to the delivery POST', async () => {
    const sent = newTraceparent();
    const { traceId, parentId } = parts(sent);
    expect(await sendBambooTraced(stack.tenant, 'trace-1', { traceparent: sent, tracestate: 'vendor=opaque-1' })).toMatchObject({ status: 200 });
    const delivery = await deliveryOf(stack.endpoint, 'trace-1');

    const received = parts(String(delivery.headers.traceparent));
    expect(received.traceId).toBe(traceId);
    expect(received.flags).toBe('01');
    expect(delivery.headers.tracestate).toBe('vendor=opaque-1');

    const spans = await spansOf(traceId!, ['POST /webhooks/{provider}/{integrated_account_id}', 'verify', 'publish RAW', 'map', 'publish EVENTS', 'fanout', 'deliver']);
    const server = one(spans, 'POST /webhooks/{provider}/{integrated_account_id}');
    const verify = one(spans, 'verify');
    const publishRaw = one(spans, 'publish RAW');
    const map = one(spans, 'map');
    const publishEvents = one(spans, 'publish EVENTS');
    const fanout = one(spans, 'fanout');
    const deliver = one(spans, 'deliver');

    // Each stage is the child of the one before: the provider's span → edge → RAW → normalizer → EVENTS → fan-out → POST.
    expect(parentOf(server)).toBe(parentId);
    expect(parentOf(verify)).toBe(server.spanContext().spanId);
    expect(parentOf(publishRaw)).toBe(server.spanContext().spanId);
    expect(parentOf(map)).toBe(publishRaw.spanContext().spanId);
    expect(parentOf(publishEvents)).toBe(map.spanContext().spanId);
    expect(parentOf(fanout)).toBe(publishEvents.spanContext().spanId);
    expect(parentOf(deliver)).toBe(fanout.spanContext().spanId);
    // The endpoint's parent is the POST's own span.
    expect(received.parentId).toBe(deliver.spanContext().spanId);

    expect([server.kind, verify.kind, publishRaw.kind, map.kind, publishEvents.kind, fanout.kind, deliver.kind]).toEqual([
      SPAN_KIND.SERVER,
      SPAN_KIND.INTERNAL,
      SPAN_KIND.PRODUCER,
      SPAN_KIND.CONSUMER,
      SPAN_KIND.PRODUCER,
      SPAN_KIND.CONSUMER,
      SPAN_KIND.CLIENT,
    ]);
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/webhooks/{provider}/{integrated_account_id}', 'http.response.status_code': 200, 'switchyard.provider': 'bamboohr' });
    expect(publishRaw.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'switchyard.account_id': stack.tenant.accountId });
    expect(publishEvents.attributes).toMatchObject({ 'messaging.message.id': JSON.parse(delivery.body).id, 'switchyard.event_type': 'hris/employees:updated' });
    expect(deliver.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'switchyard.subscription_id': stack.tenant.subscriptionId,
      'switchyard.event_id': JSON.parse(delivery.body).id,
    });
    expect(deliver.resource.attributes['service.name']).toBe('switchyard-test');
  });

  it('keeps a retried delivery in its trace: each attempt its own deliver span, with its status', async () => {
    const flaky = await startReceiver((n) => (n === 1 ? 503 : 200));
    try {
      const tenant = await createTenant(stack.hub, flaky);
      const sent = newTraceparent();
      const { traceId } = parts(sent);
      await sendBambooTraced(tenant, 'trace-retry', { traceparent: sent });
      await eventually('the retried delivery', () => flaky.delivered().length === 1);
      expect(flaky.received.map((r) => parts(String(r.headers.traceparent)).traceId)).toEqual([traceId, traceId]);

      const spans = await eventually('two deliver spans', () => {
        const delivers = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId && s.name === 'deliver');
        return delivers.length === 2 && delivers;
      });
      const fanout = exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId && s.name === 'fanout')!;
      expect(spans.map((s) => parentOf(s))).toEqual([fanout.spanContext().spanId, fanout.spanContext().spanId]);
      expect(spans.map((s) => [s.attributes['http.response.status_code'], s.attributes['switchyard.attempt'], s.status.code])).toEqual([
        [503, 1, 2], // SpanStatusCode.ERROR
        [200, 2, 0],
      ]);
      expect(spans[1]!.attributes['http.request.resend_count']).toBe(1);
      // Each attempt's POST names its own span as the parent.
      expect(flaky.received.map((r) => parts(String(r.headers.traceparent)).parentId)).toEqual(spans.map((s) => s.spanContext().spanId));
    } finally {
      await flaky.close();
    }
  });

  it('records no body, secret, signature or endpoint path in any span', async () => {
    const signed = signBamboo(stack.tenant.privateKey, bambooEvent('employee.updated', 'trace-secret'));
    await sendBamboo(stack.tenant.webhookUrl, { ...signed, headers: { ...signed.headers, traceparent: newTraceparent() } });
    const delivery = await deliveryOf(stack.endpoint, 'trace-secret');
    await eventually('its deliver span', () => exporter.getFinishedSpans().some((s) => s.name === 'deliver' && s.attributes['switchyard.event_id'] === JSON.parse(delivery.body).id));
    const recorded = JSON.stringify(exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    for (const secret of [stack.tenant.privateKey, stack.tenant.signingSecret, stack.tenant.apiKey, signed.headers['x-bamboohr-signature']!, String(delivery.headers['webhook-signature']), serviceUser.token, '/hooks', signed.body, delivery.body]) {
      expect(recorded).not.toContain(secret);
    }
  });

  it('starts a new trace when the webhook brings none, and the endpoint receives it', async () => {
    expect(await sendBambooTraced(stack.tenant, 'trace-root')).toMatchObject({ status: 200 });
    const delivery = await deliveryOf(stack.endpoint, 'trace-root');
    const { traceId } = parts(String(delivery.headers.traceparent));
    const spans = await spansOf(traceId!, ['POST /webhooks/{provider}/{integrated_account_id}', 'deliver']);
    expect(parentOf(one(spans, 'POST /webhooks/{provider}/{integrated_account_id}'))).toBeUndefined();
  });

  it('carries the trace into the enrichment call at the provider: enrich, then the provider call, under map', async () => {
    const employee = stack.bob.state.employees[2]!;
    const sent = newTraceparent();
    const { traceId } = parts(sent);
    expect((await sendBob(stack.bobWebhookUrl, employee.id, { traceparent: sent })).status).toBe(200);
    const delivery = await deliveryOf(stack.endpoint, employee.id);
    expect(JSON.parse(delivery.body).enrichment.status).toBe('done');
    expect(parts(String(delivery.headers.traceparent)).traceId).toBe(traceId);

    const spans = await spansOf(traceId!, ['map', 'enrich', 'deliver']);
    const map = one(spans, 'map');
    const enrich = one(spans, 'enrich');
    const call = spans.find((s) => s.kind === SPAN_KIND.CLIENT && parentOf(s) === enrich.spanContext().spanId);
    expect(parentOf(enrich)).toBe(map.spanContext().spanId);
    expect(call?.attributes).toMatchObject({ 'switchyard.provider': 'hibob', 'server.address': '127.0.0.1', 'http.response.status_code': 200 });
    // The provider received the call span's own traceparent, in the webhook's trace.
    const atProvider = stack.bob.state.traceparents.map(parts).filter((p) => p.traceId === traceId);
    expect(atProvider.map((p) => p.parentId)).toContain(call!.spanContext().spanId);
  });

  it("continues a unified read's traceparent: the provider call is a child of the caller's span", async () => {
    const sent = newTraceparent();
    const { traceId, parentId } = parts(sent);
    const employee = stack.bob.state.employees[3]!;
    const read = await fetch(`${stack.hub.url}/unified/hris/employees/${employee.id}`, {
      headers: { authorization: `Bearer ${stack.tenant.apiKey}`, 'x-integrated-account-id': stack.bobAccountId, traceparent: sent },
    });
    expect(read.status).toBe(200);
    const spans = await eventually('the provider call span', () => {
      const found = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId && s.kind === SPAN_KIND.CLIENT);
      return found.length > 0 && found;
    });
    expect(spans.map(parentOf)).toEqual([parentId]);
    expect(stack.bob.state.traceparents.map(parts).filter((p) => p.traceId === traceId).map((p) => p.parentId)).toEqual([spans[0]!.spanContext().spanId]);
  });
});

describe('tracing off (the default): no span, the webhook’s traceparent passed on unchanged', () => {
  const exporter = new InMemorySpanExporter();
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    stack = await startStack({}, exporter);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('delivers the traceparent and tracestate exactly as the provider sent them, and records nothing', async () => {
    expect(stack.hub.runtime.tracer.enabled).toBe(false);
    const sent = newTraceparent();
    await sendBambooTraced(stack.tenant, 'off-1', { traceparent: sent, tracestate: 'vendor=opaque-2' });
    const delivery = await deliveryOf(stack.endpoint, 'off-1');
    expect(delivery.headers.traceparent).toBe(sent);
    expect(delivery.headers.tracestate).toBe('vendor=opaque-2');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('sends the enrichment call the same traceparent', async () => {
    const employee = stack.bob.state.employees[1]!;
    const sent = newTraceparent();
    expect((await sendBob(stack.bobWebhookUrl, employee.id, { traceparent: sent })).status).toBe(200);
    const delivery = await deliveryOf(stack.endpoint, employee.id);
    expect(JSON.parse(delivery.body).enrichment.status).toBe('done');
    expect(delivery.headers.traceparent).toBe(sent);
    expect(stack.bob.state.traceparents).toContain(sent);
  });

  it("sends a unified read's traceparent on to the provider unchanged", async () => {
    const sent = newTraceparent();
    const employee = stack.bob.state.employees[4]!;
    const read = await fetch(`${stack.hub.url}/unified/hris/employees/${employee.id}`, {
      headers: { authorization: `Bearer ${stack.tenant.apiKey}`, 'x-integrated-account-id': stack.bobAccountId, traceparent: sent },
    });
    expect(read.status).toBe(200);
    expect(stack.bob.state.traceparents).toContain(sent);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('starts no trace of its own, and drops a malformed traceparent rather than forwarding it', async () => {
    await sendBambooTraced(stack.tenant, 'off-2');
    await sendBambooTraced(stack.tenant, 'off-3', { traceparent: '00-not-a-trace-01', tracestate: 'vendor=x' });
    for (const record of ['off-2', 'off-3']) {
      const delivery = await deliveryOf(stack.endpoint, record);
      expect(delivery.headers.traceparent).toBeUndefined();
      expect(delivery.headers.tracestate).toBeUndefined();
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
