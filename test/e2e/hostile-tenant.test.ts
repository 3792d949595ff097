/**
 * A tenant's own JSONata — previews, overrides, subscription filters — costs that tenant and nobody
 * else: it runs in the expression sandbox (RE2 regexes, worker processes with a hard deadline), so
 * the hub keeps answering health checks and other tenants' webhooks while it runs, and its failures
 * are logged by code, never with the event data JSONata's messages quote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** One native step no evaluation budget can interrupt, compiled or interpreted (twenty million regex replacements in one `$replace`, seconds of CPU): only the sandbox stops it. */
const ONE_LONG_STEP = `$length($replace($pad('', 20000000, 'a'), /a/, 'b'))`;
/** The report's regex: 7 s on the native engine at 27 characters, doubling per character. */
const BACKTRACKING = `$contains($pad('', 40, 'a') & '!', /^(a+)+$/)`;
/** Budget for tenant mappings in this file: long enough that "answered before it ended" is not a race. */
const TENANT_BUDGET_MS = 3_000;

describe('hostile tenant expressions cost only their tenant', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const logs: string[] = [];
  const receivers: Receiver[] = [];

  const setup = async () => {
    const endpoint = await startReceiver();
    receivers.push(endpoint);
    return { endpoint, tenant: await createTenant(hub, endpoint) };
  };
  const call = (tenant: Tenant, method: string, path: string, body?: unknown) => hub.call(method, path, { token: tenant.apiKey, body });
  const send = (tenant: Tenant, id: string) => sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', id)));
  const deadLetters = async (tenant: Tenant) => (await call(tenant, 'GET', `/v1/dead-letters?integrated_account_id=${tenant.accountId}`)).body.data as Array<Record<string, any>>;
  /** Runs `slow`, and `fast` once it is under way; returns which settled first and both results. */
  const race = async <A, B>(slow: () => Promise<A>, fast: () => Promise<B>) => {
    const order: string[] = [];
    const slowDone = slow().finally(() => order.push('slow'));
    const fastDone = fast().finally(() => order.push('fast'));
    const [slowResult, fastResult] = await Promise.all([slowDone, fastDone]);
    return { order, slowResult, fastResult };
  };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_TENANT_MAPPING_TIMEOUT_MS: String(TENANT_BUDGET_MS), SWITCHYARD_FILTER_TIMEOUT_MS: '100', SWITCHYARD_SANDBOX_TENANT_QUEUE: '4' }, logs);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  it('answers the backtracking regex from the report at once, in a preview, with the right answer', async () => {
    const { tenant } = await setup();
    const preview = await call(tenant, 'POST', '/v1/mappings/preview', {
      provider: 'bamboohr',
      mapping: `${BACKTRACKING} ? [] : [{"type": "hris/employees:updated", "record_id": "1", "data": {"remote_id": "1"}}]`,
      payload: {},
    });
    expect(preview.status).toBe(200);
    expect(preview.body.events.map((e: { record_id: string }) => e.record_id)).toEqual(['1']);
  });

  it('stops a preview stuck in one long step with a coded error, while health checks and another tenant are answered', async () => {
    const [{ tenant: hostile }, { tenant: other }] = await Promise.all([setup(), setup()]);
    const { order, slowResult, fastResult } = await race(
      () => call(hostile, 'POST', '/v1/mappings/preview', { provider: 'bamboohr', mapping: ONE_LONG_STEP, payload: {} }),
      async () => {
        const health = await fetch(`${hub.url}/healthz`);
        const preview = await call(other, 'POST', '/v1/mappings/preview', { provider: 'bamboohr', mapping: '[]', payload: {} });
        return { health: health.status, preview };
      },
    );
    expect(order).toEqual(['fast', 'slow']);
    expect(fastResult.health).toBe(200);
    expect(fastResult.preview.body).toEqual({ mapping_version: 'preview', events: [] });
    expect(slowResult.status).toBe(422);
    expect(slowResult.body).toMatchObject({ code: 'SWY_ERR_MAPPING_TIMEOUT' });
  });

  it('refuses a tenant flooding previews with a coded 429 once its queue is full, and nobody else', async () => {
    const [{ tenant: hostile }, { tenant: other }] = await Promise.all([setup(), setup()]);
    const flood = Array.from({ length: 10 }, () => call(hostile, 'POST', '/v1/mappings/preview', { provider: 'bamboohr', mapping: ONE_LONG_STEP, payload: {} }));
    const calm = await call(other, 'POST', '/v1/mappings/preview', { provider: 'bamboohr', mapping: '[]', payload: {} });
    expect(calm.status).toBe(200);
    const answers = await Promise.all(flood);
    const codes = new Set(answers.map((a) => a.body.code));
    expect(answers.every((a) => a.status === 422 || a.status === 429)).toBe(true);
    expect(codes).toEqual(new Set(['SWY_ERR_MAPPING_TIMEOUT', 'SWY_ERR_MAPPING_BUSY']));
  });

  it("dead-letters a hostile override's delivery after its deadline while another tenant's webhook is delivered", async () => {
    const [{ tenant: hostile }, { tenant: other, endpoint }] = await Promise.all([setup(), setup()]);
    expect((await call(hostile, 'PUT', '/v1/mappings/bamboohr', { webhook: { mapping: ONE_LONG_STEP } })).status).toBe(200);
    const { order } = await race(
      async () => {
        expect((await send(hostile, 'stuck-1')).status).toBe(200);
        await eventually('the timeout dead letter', async () => (await deadLetters(hostile)).some((d) => d.code === 'SWY_ERR_MAPPING_TIMEOUT'));
      },
      async () => {
        expect((await send(other, 'calm-1')).status).toBe(200);
        await eventually("the other tenant's delivery", () => endpoint.delivered().some((d) => JSON.parse(d.body).record_id === 'calm-1'));
      },
    );
    expect(order).toEqual(['fast', 'slow']);
  });

  it('skips a subscription whose filter overruns, delivers the others, and logs the code without event data', async () => {
    const [{ tenant: hostile, endpoint: hostileEndpoint }, { tenant: other, endpoint }] = await Promise.all([setup(), setup()]);
    const marker = `marker-${Date.now()}`;
    // A filter that fails by quoting the event: its message would carry the employee id into the logs.
    expect((await call(hostile, 'PATCH', `/v1/subscriptions/${hostile.subscriptionId}`, { filter: `$error("leak " & record_id)` })).status).toBe(200);
    const second = await call(hostile, 'POST', '/v1/subscriptions', { url: hostileEndpoint.url, event_types: ['hris/employees:*'], filter: ONE_LONG_STEP });
    expect(second.status).toBe(201);
    expect((await send(hostile, marker)).status).toBe(200);
    expect((await send(other, `${marker}-other`)).status).toBe(200);
    await eventually("the other tenant's delivery", () => endpoint.delivered().some((d) => JSON.parse(d.body).record_id === `${marker}-other`));
    await eventually('both filter failures logged', () => logs.filter((l) => l.includes('subscription filter failed')).length >= 2);
    const failures = logs.filter((l) => l.includes('subscription filter failed')).map((l) => JSON.parse(l));
    expect(failures.map((f) => f.code).sort()).toEqual(['SWY_ERR_MAPPING_FAILED', 'SWY_ERR_MAPPING_TIMEOUT']);
    expect(hostileEndpoint.received).toHaveLength(0);
    expect(logs.filter((l) => l.includes(marker) && !l.includes(`${marker}-other`))).toEqual([]);
  });
});
