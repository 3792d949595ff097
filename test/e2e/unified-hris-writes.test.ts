import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startBambooHrApi, type BambooHrApi } from '../simulators/bamboohr-api.js';
import { startGustoApi, type GustoApi } from '../simulators/gusto-api.js';
import { startHiBobApi, type HiBobApi } from '../simulators/hibob-api.js';
import { rememberSecret } from '../harness/log-audit.js';
import { unifiedClient } from '../harness/unified-client.js';

/** `/unified/hris/employees[/{id}]` of one account. */
const employeesPath = (accountId: string, id = '') => `/unified/hris/employees${id ? `/${id}` : ''}?integrated_account_id=${accountId}`;

/** Unified HRIS writes through the real hub: BambooHR's add-employee and update-employee calls. */
describe('unified HRIS writes over BambooHR', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let bamboo: BambooHrApi;
  let apiKey: string;
  let accountId: string;

  const send = (method: string, path: string, body?: unknown, key?: string) => unifiedClient(hub, apiKey).call(method, path, accountId, { body, key });
  const employees = (id = '') => employeesPath(accountId, id);

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    bamboo = await startBambooHrApi({ apiKeys: ['bamboo-write-key'], employees: 5 });
    apiKey = (await hub.createEnvironment('hris-writes')).apiKey;
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'bamboohr', credentials: { api_key: 'bamboo-write-key' }, config: { subdomain: 'acme', base_url: `${bamboo.url}/api` } },
    });
    accountId = created.body.id;
  });
  afterAll(async () => {
    await bamboo?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('adds an employee from a unified record: the new id comes from Location and the record reads back mapped', async () => {
    const created = await send('POST', employees(), {
      data: { first_name: 'Grace', last_name: 'Hopper', work_email: 'grace@example.com', job_title: 'Admiral', custom_fields: { location: 'Remote' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.remote_id).toBe('106');
    expect(bamboo.state.employees.find((e) => e.id === '106')).toMatchObject({ firstName: 'Grace', lastName: 'Hopper', workEmail: 'grace@example.com', jobTitle: 'Admiral', location: 'Remote' });
    const read = await send('GET', employees('106'));
    expect(read.body).toMatchObject({ remote_id: '106', first_name: 'Grace', last_name: 'Hopper', work_email: 'grace@example.com', job_title: 'Admiral', custom_fields: { location: 'Remote' } });
  });

  it('updates only the fields sent; null clears a field, the others stay', async () => {
    const before = { ...bamboo.state.employees[1]! };
    const updated = await send('PATCH', employees(before.id), { data: { job_title: 'Team Lead', work_phone: null } });
    expect(updated.status).toBe(200);
    expect(updated.body.remote_id).toBe(before.id);
    const after = bamboo.state.employees[1]!;
    expect(after).toMatchObject({ jobTitle: 'Team Lead', workPhone: '', firstName: before.firstName, lastName: before.lastName, workEmail: before.workEmail });
    expect((await send('GET', employees(before.id))).body.job_title).toBe('Team Lead');
  });

  it('creates once for one Idempotency-Key: the retry is replayed, not sent to BambooHR again', async () => {
    const calls = () => bamboo.state.requests['POST /v1/employees'] ?? 0;
    const before = calls();
    const body = { data: { first_name: 'Katherine', last_name: 'Johnson' } };
    const first = await send('POST', employees(), body, 'hire-kj-1');
    const again = await send('POST', employees(), body, 'hire-kj-1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.remote_id).toBe(first.body.remote_id);
    expect(calls()).toBe(before + 1);
    expect(bamboo.state.employees.filter((e) => e.lastName === 'Johnson')).toHaveLength(1);
  });

  it('answers a coded error for a record BambooHR refuses, an unknown employee, and a delete BambooHR has no call for', async () => {
    const count = bamboo.state.employees.length;
    // A valid hire minus its last name: BambooHR requires both names.
    const refused = await send('POST', employees(), { data: { first_name: 'Ada' } });
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: 'firstName and lastName are required' });
    expect(bamboo.state.employees).toHaveLength(count);
    expect((await send('PATCH', employees('999999'), { data: { job_title: 'x' } })).body.code).toBe('SWY_ERR_NOT_FOUND');
    const removed = await send('DELETE', employees(bamboo.state.employees[2]!.id));
    expect(removed.body).toMatchObject({ status: 404, code: 'SWY_ERR_RESOURCE_UNSUPPORTED' });
    expect(bamboo.state.employees).toHaveLength(count);
  });
});

/** Unified HRIS writes through the real hub: HiBob's create-employee and update-employee calls. */
describe('unified HRIS writes over HiBob', () => {
  const serviceUser = { id: 'SERVICE-WRITES', token: 'hibob-writes-token' };
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let bob: HiBobApi;
  let apiKey: string;
  let accountId: string;

  const send = (method: string, path: string, body?: unknown, key?: string) => unifiedClient(hub, apiKey).call(method, path, accountId, { body, key });
  const employees = (id = '') => employeesPath(accountId, id);
  const hire = { first_name: 'Ada', last_name: 'Lovelace', work_email: 'ada@example.com', job_title: 'Analyst', department: 'R&D', start_date: '2026-12-01', custom_fields: { site: 'London' } };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    bob = await startHiBobApi({ serviceUser, employees: 3 });
    apiKey = (await hub.createEnvironment('hibob-writes')).apiKey;
    rememberSecret('HiBob service user token', serviceUser.token);
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'hibob', credentials: { username: serviceUser.id, password: serviceUser.token }, config: { base_url: `${bob.url}/v1` } },
    });
    accountId = created.body.id;
  });
  afterAll(async () => {
    await bob?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('creates an employee with the fields Bob requires, once for an Idempotency-Key sent twice, and reads it back mapped', async () => {
    const first = await send('POST', employees(), { data: hire }, 'hire-ada');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const stored = bob.state.employees.find((e) => e.email === 'ada@example.com')!;
    expect(stored).toMatchObject({ firstName: 'Ada', surname: 'Lovelace', work: { title: 'Analyst', department: 'R&D', site: 'London', startDate: '2026-12-01' } });
    expect(first.body).toMatchObject({ remote_id: stored.id, result: { remote_id: stored.id, first_name: 'Ada', last_name: 'Lovelace', start_date: '2026-12-01', custom_fields: { site: 'London' } } });
    const again = await send('POST', employees(), { data: hire }, 'hire-ada');
    expect(again).toMatchObject({ status: 201, body: { remote_id: stored.id } });
    expect(bob.state.employees.filter((e) => e.email === 'ada@example.com')).toHaveLength(1);
    expect((await send('GET', employees(stored.id))).body).toMatchObject({ remote_id: stored.id, work_email: 'ada@example.com', job_title: 'Analyst' });
  });

  it("refuses a hire minus its site with Bob's reason, creating nothing", async () => {
    const count = bob.state.employees.length;
    const refused = await send('POST', employees(), { data: { ...hire, work_email: 'nosite@example.com', custom_fields: {} } });
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: 'Missing mandatory fields: work.site' });
    expect(bob.state.employees).toHaveLength(count);
  });

  it('updates only the fields sent, and answers 404 for an employee Bob does not have', async () => {
    const before = structuredClone(bob.state.employees[1]!);
    const updated = await send('PATCH', employees(before.id), { data: { job_title: 'Team Lead' } });
    expect(updated).toMatchObject({ status: 200, body: { remote_id: before.id } });
    expect(bob.state.employees[1]).toMatchObject({ firstName: before.firstName, surname: before.surname, email: before.email, work: { ...before.work, title: 'Team Lead' } });
    expect((await send('PATCH', employees('999999999'), { data: { job_title: 'x' } })).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect((await send('DELETE', employees(before.id))).body).toMatchObject({ code: 'SWY_ERR_RESOURCE_UNSUPPORTED' });
  });
});

/** Unified HRIS writes through the real hub: Gusto's create-employee and versioned update-employee calls. */
describe('unified HRIS writes over Gusto', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let gusto: GustoApi;
  let apiKey: string;
  let accountId: string;

  const send = (method: string, path: string, body?: unknown, key?: string) => unifiedClient(hub, apiKey).call(method, path, accountId, { body, key });
  const employees = (id = '') => employeesPath(accountId, id);

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    gusto = await startGustoApi({ employees: 3 });
    apiKey = (await hub.createEnvironment('gusto-writes')).apiKey;
    const token = gusto.oauth.issue().access_token;
    rememberSecret('Gusto access token', token);
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'gusto', credentials: { access_token: token }, config: { company_uuid: gusto.state.companyUuid, base_url: gusto.url } },
    });
    accountId = created.body.id;
  });
  afterAll(async () => {
    await gusto?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('creates an employee in the account’s company and reads it back; a hire minus its last name is refused with Gusto’s reason', async () => {
    const created = await send('POST', employees(), { data: { first_name: 'Katherine', last_name: 'Johnson', preferred_name: 'Kathy', personal_email: 'kj@example.com', date_of_birth: '1990-08-26' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const stored = gusto.state.employees.find((e) => e.uuid === created.body.remote_id)!;
    expect(stored).toMatchObject({ first_name: 'Katherine', last_name: 'Johnson', preferred_first_name: 'Kathy', email: 'kj@example.com', date_of_birth: '1990-08-26', company_uuid: gusto.state.companyUuid });
    expect(created.body.result).toMatchObject({ remote_id: stored.uuid, first_name: 'Katherine', preferred_name: 'Kathy', personal_email: 'kj@example.com', employment_status: 'pending' });
    expect((await send('GET', employees(stored.uuid))).body).toMatchObject({ remote_id: stored.uuid, last_name: 'Johnson' });

    const count = gusto.state.employees.length;
    const refused = await send('POST', employees(), { data: { first_name: 'Nolast' } });
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 422, provider_message: "Last name can't be blank" });
    expect(gusto.state.employees).toHaveLength(count);
  });

  it('updates only the fields sent with the version it just read, twice in a row; an unknown employee is 404', async () => {
    const target = gusto.state.employees[1]!;
    const before = { first_name: target.first_name, email: target.email, version: target.version };
    const first = await send('PATCH', employees(target.uuid), { data: { last_name: 'Renamed' } });
    expect(first).toMatchObject({ status: 200, body: { remote_id: target.uuid, result: { last_name: 'Renamed', first_name: before.first_name } } });
    expect(target.version).not.toBe(before.version);
    // The second update reads the new version first: no stale-version conflict.
    const second = await send('PATCH', employees(target.uuid), { data: { preferred_name: 'Ren' } });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(target).toMatchObject({ last_name: 'Renamed', preferred_first_name: 'Ren', first_name: before.first_name, email: before.email });
    expect((await send('PATCH', employees('00000000-0000-4000-8000-ffffffffffff'), { data: { last_name: 'x' } })).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });
});
