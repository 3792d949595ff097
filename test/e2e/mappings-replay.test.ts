import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { createTenant, type Tenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** A mapping that keeps the event-based shape and stamps a department from a binding. */
const WITH_DEPARTMENT = `[{
  "type": "hris/employees:" & $lookup({"employee.created": "created", "employee.updated": "updated", "employee.deleted": "deleted"}, payload.type),
  "record_id": $string(payload.data.employeeId),
  "data": { "remote_id": $string(payload.data.employeeId), "department": $lookup($departments, "default") }
}]`;

describe('mappings as data: overrides, history, dead letters, replay', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];

  const setup = async () => {
    const endpoint = await startReceiver();
    receivers.push(endpoint);
    return { endpoint, tenant: await createTenant(hub, endpoint) };
  };
  const send = (tenant: Tenant, id: string) => sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', id)));
  const call = (tenant: Tenant, method: string, path: string, body?: unknown) => hub.call(method, path, { token: tenant.apiKey, body });
  const waitForJob = (tenant: Tenant, id: string) =>
    eventually(`replay ${id}`, async () => {
      const job = (await call(tenant, 'GET', `/v1/replays/${id}`)).body;
      return job.status !== 'running' && job;
    });
  const deadLetters = async (tenant: Tenant) => (await call(tenant, 'GET', `/v1/dead-letters?integrated_account_id=${tenant.accountId}`)).body.data as Array<Record<string, any>>;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  it('resolves base ▸ environment ▸ account, keeps every change in history, and rolls back', async () => {
    const { tenant } = await setup();
    const base = (await call(tenant, 'GET', '/v1/mappings/bamboohr')).body;
    expect(base).toMatchObject({ level: 'environment', revisions: { environment: null, account: null } });
    expect(base.webhook.mapping).toContain('employee.created');
    expect((await call(tenant, 'GET', '/v1/mappings/bamboohr?level=override')).status).toBe(404);

    const first = await call(tenant, 'PUT', '/v1/mappings/bamboohr', { webhook: { mapping: WITH_DEPARTMENT, bindings: { departments: { default: 'Sales', other: 'X' } } } });
    expect(first.status).toBe(200);
    expect(first.body.mapping_version).not.toBe(base.mapping_version);
    const second = await call(tenant, 'PUT', '/v1/mappings/bamboohr', { webhook: { bindings: { departments: { default: 'Engineering' } } } });
    expect(second.body.webhook.bindings).toEqual({ departments: { default: 'Engineering', other: 'X' } });
    const account = await call(tenant, 'PUT', `/v1/mappings/bamboohr/accounts/${tenant.accountId}`, { webhook: { bindings: { departments: { default: 'Payroll' } } } });
    expect(account.body).toMatchObject({ level: 'account', webhook: { bindings: { departments: { default: 'Payroll', other: 'X' } } } });
    expect(account.body.webhook.mapping).toBe(WITH_DEPARTMENT);
    expect((await call(tenant, 'GET', '/v1/mappings/bamboohr?level=override')).body).toMatchObject({ webhook: { bindings: { departments: { default: 'Engineering' } } } });

    const history = (await call(tenant, 'GET', '/v1/mappings/bamboohr/history')).body.data;
    expect(history.map((h: { revision: number }) => h.revision)).toEqual([first.body.revision, second.body.revision]);
    const rolled = await call(tenant, 'POST', '/v1/mappings/bamboohr/rollback', { revision: first.body.revision });
    expect(rolled.body.webhook.bindings.departments.default).toBe('Sales');
    expect((await call(tenant, 'GET', '/v1/mappings/bamboohr/history')).body.data).toHaveLength(3);

    const broken = await call(tenant, 'PUT', '/v1/mappings/bamboohr', { webhook: { mapping: 'payload.(' } });
    expect(broken).toMatchObject({ status: 422, body: { code: 'SWY_ERR_MAPPING_FAILED' } });
    await call(tenant, 'DELETE', `/v1/mappings/bamboohr/accounts/${tenant.accountId}`);
    await call(tenant, 'DELETE', '/v1/mappings/bamboohr');
    expect((await call(tenant, 'GET', '/v1/mappings/bamboohr')).body.mapping_version).toBe(base.mapping_version);
  });

  it('applies an override to the running normalizer, without a restart, for that environment only', async () => {
    const { endpoint, tenant } = await setup();
    const other = await setup();
    await call(tenant, 'PUT', '/v1/mappings/bamboohr', { webhook: { mapping: WITH_DEPARTMENT, bindings: { departments: { default: 'Sales' } } } });
    await eventually('the override to reach the worker', async () => {
      await send(tenant, `live-${Math.random()}`);
      await new Promise((r) => setTimeout(r, 100));
      return endpoint.delivered().some((d) => JSON.parse(d.body).data.department === 'Sales');
    });
    await send(other.tenant, 'untouched');
    const [untouched] = await eventually('other environment delivery', () => other.endpoint.delivered().length === 1 && other.endpoint.delivered());
    expect(JSON.parse(untouched!.body).data).not.toHaveProperty('department');
    await call(tenant, 'DELETE', '/v1/mappings/bamboohr');
  });

  it('keeps a delivery a broken mapping cannot handle, and after the fix a replay delivers its event exactly once', async () => {
    const { endpoint, tenant } = await setup();
    const put = await call(tenant, 'PUT', '/v1/mappings/bamboohr', { webhook: { mapping: '$error("mapping under repair")' } });
    expect((await send(tenant, 'repaired-1')).status).toBe(200);
    const [dead] = await eventually('the dead letter', async () => {
      const list = await deadLetters(tenant);
      return list.length === 1 && list;
    });
    expect(dead).toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED', provider: 'bamboohr', mapping_revisions: `environment=${put.body.revision},account=-` });
    expect(dead!.message).toContain('mapping under repair');
    expect(JSON.stringify(dead)).not.toContain('repaired-1');
    expect(endpoint.received).toHaveLength(0);

    await call(tenant, 'DELETE', '/v1/mappings/bamboohr');
    const job = await call(tenant, 'POST', '/v1/dead-letters/replay', { filter: { provider: 'bamboohr' } });
    expect(job.status).toBe(202);
    expect(await waitForJob(tenant, job.body.id)).toMatchObject({ status: 'done', matched: 1, republished: 1 });
    const [delivered] = await eventually('the repaired delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    expect(JSON.parse(delivered!.body)).toMatchObject({ record_id: 'repaired-1', origin: 'replay' });
    expect(await deadLetters(tenant)).toEqual([]);

    // Replaying the raw delivery twice more through the same mapping yields the same event id: nothing new is delivered.
    const since = new Date(Date.now() - 60_000).toISOString();
    for (let i = 0; i < 2; i++) {
      const raw = await call(tenant, 'POST', '/v1/raw/replay', { provider: 'bamboohr', integrated_account_id: tenant.accountId, since });
      expect(await waitForJob(tenant, raw.body.id)).toMatchObject({ status: 'done', matched: 1 });
    }
    await send(tenant, 'barrier');
    await eventually('the barrier delivery', () => endpoint.delivered().some((d) => JSON.parse(d.body).record_id === 'barrier'));
    expect(endpoint.delivered().filter((d) => JSON.parse(d.body).record_id === 'repaired-1')).toHaveLength(1);
  });

  it('stops a runaway expression and dead-letters a schema violation, and the worker keeps going', async () => {
    const { endpoint, tenant } = await setup();
    await call(tenant, 'PUT', '/v1/mappings/bamboohr', { webhook: { mapping: '($f := function($n) { $n > 0 ? $f($n) : 0 }; $f(1))' } });
    await send(tenant, 'runaway');
    await eventually('timeout dead letter', async () => (await deadLetters(tenant)).some((d) => d.code === 'SWY_ERR_MAPPING_TIMEOUT'));
    await call(tenant, 'PUT', '/v1/mappings/bamboohr', {
      webhook: { mapping: '[{"type": "hris/employees:updated", "record_id": "1", "data": {"remote_id": "1", "employment_status": "on-a-boat"}}]' },
    });
    await send(tenant, 'invalid');
    await eventually('schema dead letter', async () => (await deadLetters(tenant)).some((d) => d.code === 'SWY_ERR_EVENT_INVALID'));
    await call(tenant, 'DELETE', '/v1/mappings/bamboohr');
    await send(tenant, 'healthy');
    await eventually('a healthy delivery after both', () => endpoint.delivered().some((d) => JSON.parse(d.body).record_id === 'healthy'));
  });

  it('previews the events a payload would produce and publishes nothing', async () => {
    const { tenant } = await setup();
    const events = async () => (await hub.runtime.bus.jsm.streams.info('EVENTS')).state.messages;
    const before = await events();
    const preview = await call(tenant, 'POST', '/v1/mappings/preview', {
      provider: 'bamboohr',
      integrated_account_id: tenant.accountId,
      payload: { employees: [{ id: '5', fields: { 'First name': { value: 'Tefi' } } }, { id: '6', fields: {} }] },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.events.map((e: { record_id: string; data: { first_name?: string } }) => [e.record_id, e.data.first_name])).toEqual([
      ['5', 'Tefi'],
      ['6', undefined],
    ]);
    const tried = await call(tenant, 'POST', '/v1/mappings/preview', { provider: 'bamboohr', mapping: '[]', payload: {} });
    expect(tried.body).toEqual({ mapping_version: 'preview', events: [] });
    expect(await events()).toBe(before);
  });
});
