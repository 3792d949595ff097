import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { startHiBobApi, type HiBobApi } from '../simulators/hibob-api.js';
import { startRipplingApi, type RipplingApi } from '../simulators/rippling-api.js';

type Row = { id: string; remote_id: string } & Record<string, unknown>;

/**
 * HiBob and Rippling send thin webhooks (an employee id and an event name). With their API sections the
 * unified reads work, and the normalizer enriches each event with the record read back through them:
 * `enrichment: done` instead of `failed`. Real hub, real NATS, simulators on loopback.
 */
describe('unified reads and enrichment for HiBob and Rippling', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let bob: HiBobApi;
  let rippling: RipplingApi;
  let endpoint: Receiver;
  let apiKey: string;
  const accounts = { hibob: { id: '', url: '' }, rippling: { id: '', url: '' } };
  const logs: string[] = [];
  const serviceUser = { id: 'SERVICE-4242', token: 'bob-service-user-token' };

  const get = async (path: string) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const walk = async (resource: string, account: string, query = '') => {
    const seen: Row[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/unified/${resource}?integrated_account_id=${account}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...(page.body.result as Row[]));
      sizes.push(page.body.result.length);
      cursor = page.body.next_cursor;
      expect(sizes.length).toBeLessThan(50);
    } while (cursor);
    return { seen, ids: seen.map((r) => r.remote_id), sizes };
  };
  const connect = async (provider: string, credentials: Record<string, string>, webhookSecret: string, baseUrl: string) => {
    const created = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider, credentials, webhook_secret: webhookSecret, config: { base_url: baseUrl } } });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, url: created.body.webhook_url as string };
  };
  const delivered = (recordId: string) =>
    eventually(`the event for ${recordId}`, () => endpoint.delivered().map((d) => JSON.parse(d.body)).find((e) => e.record_id === recordId), 20_000);

  /** A HiBob v2 delivery signed as Bob signs it: base64 HMAC-SHA512 of the raw body. */
  const sendBob = (type: string, employeeId: string, secret = 'bob-webhook-secret') => {
    const body = JSON.stringify({ companyId: 641_234, type, triggeredBy: '3332883884017713000', triggeredAt: '2026-12-04T05:00:00.123456', version: 'v2', data: { employeeId } });
    const signature = createHmac('sha512', secret).update(body).digest('base64');
    return fetch(accounts.hibob.url, { method: 'POST', headers: { 'content-type': 'application/json', 'bob-signature': signature }, body });
  };
  /** A Rippling partner delivery: form-encoded, the static Bearer token configured in the app's settings. */
  const sendRippling = (eventName: string, id: string, token = 'rippling-webhook-token') =>
    fetch(accounts.rippling.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams({ event_name: eventName, company_id: 'c-1', company_primary_email: 'ops@example.com', id }).toString(),
    });

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    [bob, rippling, endpoint] = await Promise.all([startHiBobApi({ serviceUser }), startRipplingApi({ tokens: ['rippling-api-token'] }), startReceiver()]);
    apiKey = (await hub.createEnvironment('thin-hris')).apiKey;
    accounts.hibob = await connect('hibob', { username: serviceUser.id, password: serviceUser.token }, 'bob-webhook-secret', `${bob.url}/v1`);
    accounts.rippling = await connect('rippling', { api_key: 'rippling-api-token' }, 'rippling-webhook-token', rippling.url);
    await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: endpoint.url, event_types: ['hris/employees:*'] } });
  });
  afterAll(async () => {
    await Promise.all([bob?.close(), rippling?.close(), endpoint?.close()]);
    await hub?.close();
    await nats?.stop();
  });

  describe('HiBob', () => {
    it('lists every employee, inactive ones included, paged by the hub from the one unpaginated search answer', async () => {
      const { ids, sizes, seen } = await walk('hris/employees', accounts.hibob.id, '&limit=50');
      expect(sizes).toEqual([50, 50, 20]);
      expect(ids).toEqual(bob.state.employees.map((e) => e.id));
      expect(bob.state.requests['POST /v1/people/search']).toBe(3);
      const leaver = bob.state.employees[9]!;
      expect(seen[9]).toEqual({
        id: expect.stringMatching(/^rec_/),
        remote_id: leaver.id,
        employee_number: String(leaver.work.employeeIdInCompany),
        first_name: leaver.firstName,
        last_name: leaver.surname,
        display_name: leaver.displayName,
        work_email: leaver.email.toLowerCase(),
        job_title: 'Engineer',
        department: leaver.work.department,
        manager_id: bob.state.employees[0]!.id,
        employment_status: 'terminated',
        start_date: leaver.work.startDate,
        termination_date: '2026-06-30',
        custom_fields: { site: leaver.work.site, lifecycle_status: 'Terminated' },
      });
      const active = await walk('hris/employees', accounts.hibob.id, '&limit=100&show_inactive=false');
      expect(active.ids).toEqual(bob.state.employees.filter((e) => e.internal.status === 'Active').map((e) => e.id));
    });

    it('reads one employee by id, the same record the search gave, and 404s an unknown one', async () => {
      const [, second] = (await get(`/unified/hris/employees?integrated_account_id=${accounts.hibob.id}&limit=2`)).body.result as Row[];
      const one = await get(`/unified/hris/employees/${second!.remote_id}?integrated_account_id=${accounts.hibob.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(second);
      expect(bob.state.lastFields).toContain('work.reportsTo.id');
      expect((await get(`/unified/hris/employees/123?integrated_account_id=${accounts.hibob.id}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    });

    it('enriches a thin employee.updated event with the record, after a throttled first try', async () => {
      const employee = bob.state.employees[4]!;
      bob.state.throttleNext(1, { retryAfterS: 1 });
      expect((await sendBob('employee.updated', employee.id)).status).toBe(200);
      const event = await delivered(employee.id);
      expect(event.enrichment).toEqual({ status: 'done', resource: 'hris/employees', remote_id: employee.id });
      expect(event.data).toMatchObject({ remote_id: employee.id, first_name: employee.firstName, last_name: employee.surname, job_title: employee.work.title });
    });

    it('sends the event thin, saying so, when the service user cannot read the employee', async () => {
      expect((await sendBob('employee.created', '999000111')).status).toBe(200);
      const event = await delivered('999000111');
      expect(event).toMatchObject({ type: 'hris/employees:created', enrichment: { status: 'failed' }, data: { remote_id: '999000111' } });
    });
  });

  describe('Rippling', () => {
    it('walks every worker through next_link behind the opaque cursor, with no gaps or repeats', async () => {
      const { ids, sizes, seen } = await walk('hris/employees', accounts.rippling.id, '&limit=100');
      expect(sizes).toEqual([100, 100, 30]);
      expect(ids).toEqual(rippling.state.workers.map((w) => w.id));
      const leaver = rippling.state.workers[7]!;
      expect(seen[7]).toMatchObject({
        remote_id: leaver.id,
        employee_number: String(leaver.number),
        first_name: leaver.user.name.given_name,
        last_name: leaver.user.name.family_name,
        display_name: leaver.user.display_name,
        work_email: leaver.work_email.toLowerCase(),
        manager_id: rippling.state.workers[0]!.id,
        employment_status: 'terminated',
        termination_date: '2026-05-31',
        remote_updated_at: leaver.updated_at,
        custom_fields: { department_id: leaver.department_id, legal_entity_id: 'le1', country: 'US' },
      });
      expect(seen[10]).toMatchObject({ employment_status: 'pending' });
    });

    it('keeps updated_after and the status filter on every page', async () => {
      const since = rippling.state.workers[149]!.updated_at;
      const { ids, sizes } = await walk('hris/employees', accounts.rippling.id, `&limit=40&updated_after=${encodeURIComponent(since)}`);
      expect(sizes).toEqual([40, 40]);
      expect(ids).toEqual(rippling.state.workers.slice(150).map((w) => w.id));
      const terminated = await walk('hris/employees', accounts.rippling.id, '&limit=100&status=TERMINATED');
      expect(terminated.ids).toEqual(rippling.state.workers.filter((w) => w.status === 'TERMINATED').map((w) => w.id));
    });

    it('enriches a thin form-encoded EMPLOYEE_UPDATED event with the worker', async () => {
      const worker = rippling.state.workers[3]!;
      expect((await sendRippling('EMPLOYEE_UPDATED', worker.id)).status).toBe(200);
      const event = await delivered(worker.id);
      expect(event.enrichment).toEqual({ status: 'done', resource: 'hris/employees', remote_id: worker.id });
      expect(event.data).toMatchObject({ remote_id: worker.id, first_name: worker.user.name.given_name, work_email: worker.work_email.toLowerCase() });
    });

    it('passes Rippling’s 429 through on a unified read, never retrying it', async () => {
      const before = rippling.state.requests['GET /workers'] ?? 0;
      rippling.state.throttleNext(1, { retryAfterS: 7 });
      const throttled = await get(`/unified/hris/employees?integrated_account_id=${accounts.rippling.id}`);
      expect(throttled.status).toBe(429);
      expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'rippling' });
      expect(throttled.headers.get('retry-after')).toBe('7');
      expect(rippling.state.requests['GET /workers']).toBe(before + 1);
    });
  });

  it('keeps every provider credential out of the logs', () => {
    const all = logs.join('');
    expect(all).toContain('"route":"/unified/:category/:resource"');
    for (const secret of [serviceUser.token, 'rippling-api-token', 'bob-webhook-secret', 'rippling-webhook-token', apiKey]) expect(all).not.toContain(secret);
  });
});
