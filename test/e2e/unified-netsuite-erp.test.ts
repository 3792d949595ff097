import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { NETSUITE_TEST_CREDENTIALS, startNetSuiteApi, type NetSuiteApi } from '../simulators/netsuite-api.js';

type Row = { id: string; remote_id: string } & Record<string, unknown>;

/** Waits (up to 10 s) until the simulator's state says what the test waits for. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(done()).toBe(true);
}

/**
 * NetSuite beyond customers: vendors (`contact_type=supplier`), customer invoices, employees and contacts
 * through SuiteQL, invoice get through the record service, and customer writes. A write with an Idempotency-Key
 * runs as a NetSuite job (`Prefer: respond-async`, the only mode NetSuite honours `X-NetSuite-Idempotency-Key`
 * in) that the hub follows to its result, so a retry after a lost answer or a job that outlived the hub's
 * wait leads to the first job and creates nothing twice; without one the write is synchronous.
 */
describe('unified NetSuite vendors, invoices, employees, contacts and writes', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let ns: NetSuiteApi;
  let apiKey: string;
  let accountId: string;
  const logs: string[] = [];

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const walk = async (resource: string, query = '') => {
    const seen: Row[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `/unified/${resource}?integrated_account_id=${accountId}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...page.body.result);
      sizes.push(page.body.result.length);
      cursor = page.body.next_cursor;
      expect(sizes.length).toBeLessThan(50);
    } while (cursor);
    return { seen, ids: seen.map((r) => r.remote_id), sizes };
  };

  beforeAll(async () => {
    nats = await startTestNats();
    // A short provider timeout makes a lost answer (the provider acted, the hub never heard) cheap to stage.
    // A short job wait makes a job that outlives it cheap to stage; jobs here run 150 ms after submission.
    hub = await startTestHub(nats.url, { SWITCHYARD_PROVIDER_TIMEOUT_MS: '1000', SWITCHYARD_PROVIDER_JOB_TIMEOUT_MS: '2500' }, logs);
    ns = await startNetSuiteApi({ customers: 40 });
    apiKey = (await hub.createEnvironment('netsuite-erp')).apiKey;
    const credentials = {
      consumer_key: NETSUITE_TEST_CREDENTIALS.consumerKey,
      consumer_secret: NETSUITE_TEST_CREDENTIALS.consumerSecret,
      token_id: NETSUITE_TEST_CREDENTIALS.tokenId,
      token_secret: NETSUITE_TEST_CREDENTIALS.tokenSecret,
      realm: NETSUITE_TEST_CREDENTIALS.realm!,
    };
    const created = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: 'netsuite', credentials, config: { account_host: '1234567-sb1', base_url: `${ns.url}/services/rest`, extra_fields: { employee: ['custentity_badge'], contact: 'custentity_linkedin' } } } });
    expect(created.status).toBe(201);
    accountId = created.body.id;
  });
  afterAll(async () => {
    await ns?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('lists vendors as suppliers through SuiteQL, with updated_after', async () => {
    const { ids, sizes, seen } = await walk('accounting/contacts', '&limit=25&contact_type=supplier');
    expect(sizes).toEqual([25, 25, 10]);
    expect(ids).toEqual([...ns.state.vendors.keys()]);
    const vendor = ns.state.vendors.get('2001')!;
    expect(seen[0]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: '2001',
      name: vendor.companyName,
      is_supplier: true,
      email_address: vendor.email,
      remote_created_at: new Date(vendor.dateCreated).toISOString(),
      remote_updated_at: new Date(vendor.lastModifiedDate).toISOString(),
      custom_fields: { entity_id: vendor.entityId, is_person: false },
    });
    const since = ns.state.vendors.get('2050')!.lastModifiedDate;
    expect((await walk('accounting/contacts', `&limit=100&contact_type=supplier&updated_after=${encodeURIComponent(since)}`)).ids).toEqual(
      Array.from({ length: 10 }, (_, i) => String(2051 + i)),
    );
  });

  it('lists customer invoices through SuiteQL on transaction and reads one through the record service, the same record', async () => {
    const { ids, sizes, seen } = await walk('accounting/invoices', '&limit=50');
    expect(sizes).toEqual([50, 50, 30]);
    expect(ids).toEqual([...ns.state.invoices.keys()]);
    const source = ns.state.invoices.get('5003')!;
    expect(seen[2]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: '5003',
      type: 'accounts_receivable',
      contact_id: source.entity.id,
      number: source.tranId,
      issue_date: '2026-02-01',
      due_date: '2026-03-03',
      memo: source.memo,
      total_amount: String(source.total),
      balance: '0',
      status: 'paid',
      remote_created_at: new Date(source.createdDate).toISOString(),
      remote_updated_at: new Date(source.lastModifiedDate).toISOString(),
    });
    expect(seen[0]).toMatchObject({ status: 'open', balance: String(ns.state.invoices.get('5001')!.total) });
    const one = await call('GET', `/unified/accounting/invoices/5003?integrated_account_id=${accountId}`);
    expect(one.body).toEqual(seen[2]);
    expect((await call('GET', `/unified/accounting/invoices/4999?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    const since = ns.state.invoices.get('5100')!.lastModifiedDate;
    expect((await walk('accounting/invoices', `&limit=100&updated_after=${encodeURIComponent(since)}`)).ids).toEqual(Array.from({ length: 30 }, (_, i) => String(5101 + i)));
  });

  it('lists employees through SuiteQL on employee (department name, manager, status from isinactive and releasedate, named custom fields) and reads one, the same record', async () => {
    const { ids, sizes, seen } = await walk('hris/employees', '&limit=20');
    expect(sizes).toEqual([20, 20, 5]);
    expect(ids).toEqual([...ns.state.employees.keys()]);
    const ceo = ns.state.employees.get('301')!;
    expect(seen[0]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: '301',
      employee_number: 'EMP-301',
      first_name: 'Ada1',
      last_name: 'Lovelace',
      work_email: 'ada1@example.com',
      work_phone: '+14155550100',
      // A national number stays bare digits: the map sees the record, not the account's default_country_code.
      mobile_phone: '4155550199',
      job_title: 'CEO',
      department: 'Sales',
      work_location_id: '3',
      employment_status: 'active',
      gender: 'female',
      date_of_birth: '1990-12-10',
      hire_date: '2022-03-01',
      remote_created_at: new Date(ceo.dateCreated).toISOString(),
      remote_updated_at: new Date(ceo.lastModifiedDate).toISOString(),
    });
    expect(seen[3]).toMatchObject({ remote_id: '304', manager_id: '301', department: 'R&D', custom_fields: { custentity_badge: 'B-4' } });
    expect(seen[9]).toMatchObject({ employment_status: 'inactive' });
    expect(seen[9]).not.toHaveProperty('termination_date');
    expect(seen[19]).toMatchObject({ employment_status: 'terminated', termination_date: '2025-06-30' });
    expect((await call('GET', `/unified/hris/employees/304?integrated_account_id=${accountId}`)).body).toEqual(seen[3]);
    expect((await call('GET', `/unified/hris/employees/9999?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    const since = ns.state.employees.get('340')!.lastModifiedDate;
    expect((await walk('hris/employees', `&limit=100&updated_after=${encodeURIComponent(since)}`)).ids).toEqual(['341', '342', '343', '344', '345']);
  });

  it('refuses an id that is not an internal id before anything reaches SuiteQL', async () => {
    const route = 'POST /services/rest/query/v1/suiteql';
    const before = ns.state.requests[route] ?? 0;
    const hostile = await call('GET', `/unified/hris/employees/${encodeURIComponent('301 OR 1=1')}?integrated_account_id=${accountId}`);
    expect(hostile.body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
    expect(ns.state.requests[route] ?? 0).toBe(before);
  });

  it('lists contacts through SuiteQL on contact with their company as account_id, and reads one, the same record', async () => {
    const { ids, sizes, seen } = await walk('crm/contacts', '&limit=30');
    expect(sizes).toEqual([30, 30, 10]);
    expect(ids).toEqual([...ns.state.contacts.keys()]);
    const grace = ns.state.contacts.get('803')!;
    expect(seen[2]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: '803',
      first_name: 'Grace3',
      last_name: 'Hopper',
      title: 'Buyer',
      account_id: '103',
      email_addresses: [{ email_address: 'grace3@customer.example', email_address_type: 'work' }],
      phone_numbers: [{ phone_number: '+442079460000', phone_number_type: 'work' }],
      remote_created_at: new Date(grace.dateCreated).toISOString(),
      remote_updated_at: new Date(grace.lastModifiedDate).toISOString(),
      custom_fields: { entity_id: 'Grace3 Hopper', custentity_linkedin: 'in/grace3' },
    });
    expect(seen[4]).not.toHaveProperty('email_addresses');
    expect((await call('GET', `/unified/crm/contacts/803?integrated_account_id=${accountId}`)).body).toEqual(seen[2]);
    expect((await call('GET', `/unified/crm/contacts/799?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    const since = ns.state.contacts.get('860')!.lastModifiedDate;
    expect((await walk('crm/contacts', `&limit=100&updated_after=${encodeURIComponent(since)}`)).ids).toEqual(Array.from({ length: 10 }, (_, i) => String(861 + i)));
  });

  it('creates a customer as a NetSuite job with the derived X-NetSuite-Idempotency-Key, followed to its record; the same Idempotency-Key replays without a second record', async () => {
    const before = ns.state.customers.size;
    const jobs = ns.state.writes.jobs.submitted;
    const body = { data: { name: 'Fresh Customer Ltd', email_address: 'ap@fresh.example' } };
    const first = await call('POST', '/unified/accounting/contacts', body, { 'idempotency-key': 'create-fresh-1', 'x-integrated-account-id': accountId });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const remoteId = first.body.remote_id as string;
    expect(ns.state.customers.get(remoteId)).toMatchObject({ companyName: 'Fresh Customer Ltd', email: 'ap@fresh.example' });
    expect(ns.state.writes.lastKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ns.state.writes.lastAsync).toBe(true);
    expect(ns.state.writes.jobs.submitted).toBe(jobs + 1);
    // The job was still pending at the first read: the hub read it again, then its task and the result.
    expect(ns.state.requests['GET /services/rest/async/v1/job/:id']).toBeGreaterThanOrEqual(2);
    expect(ns.state.requests['GET /services/rest/async/v1/job/:id/task/:task/result']).toBeGreaterThanOrEqual(1);
    const replay = await call('POST', '/unified/accounting/contacts', body, { 'idempotency-key': 'create-fresh-1', 'x-integrated-account-id': accountId });
    expect(replay).toMatchObject({ status: 201, body: { remote_id: remoteId } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(ns.state.customers.size).toBe(before + 1);
    // Without an Idempotency-Key nothing is invented for the provider either, and the write is synchronous.
    const patched = await call('PATCH', `/unified/accounting/contacts/${remoteId}`, { data: { name: 'Fresh Customer Group' } }, { 'x-integrated-account-id': accountId });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(ns.state.writes.lastKey).toBeUndefined();
    expect(ns.state.writes.lastAsync).toBe(false);
    expect(ns.state.customers.get(remoteId)!.companyName).toBe('Fresh Customer Group');
  });

  it('a retry after a lost answer creates nothing twice: NetSuite refuses the reused key with the first job, which the hub follows to the first record', async () => {
    const before = ns.state.customers.size;
    const handled = ns.state.writes.handled;
    const createsBefore = ns.state.writes.creates;
    const body = { data: { name: 'Slow Answer Inc' } };
    // NetSuite queues the job (it runs), then its 202 outlives the hub's 1 s provider timeout.
    ns.state.writes.holdNextAnswerMs = 1_500;
    const lost = await call('POST', '/unified/accounting/contacts', body, { 'idempotency-key': 'create-slow-1', 'x-integrated-account-id': accountId });
    expect(lost.body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNREACHABLE' });
    await until(() => ns.state.customers.size === before + 1);
    const retried = await call('POST', '/unified/accounting/contacts', body, { 'idempotency-key': 'create-slow-1', 'x-integrated-account-id': accountId });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    // The hub released its own key (the write failed), so the retry reached NetSuite: its key made it a replay.
    expect(ns.state.writes.handled).toBe(handled + 2);
    expect(ns.state.writes.creates).toBe(createsBefore + 1);
    expect(ns.state.customers.size).toBe(before + 1);
    expect(ns.state.customers.get(retried.body.remote_id)!.companyName).toBe('Slow Answer Inc');
  });

  it('updates a customer as a job; a job NetSuite fails is the refusal a synchronous write would have been, and an unknown id is 404', async () => {
    const key = (name: string) => ({ 'idempotency-key': name, 'x-integrated-account-id': accountId });
    const updated = await call('PATCH', '/unified/accounting/contacts/105', { data: { email_address: 'ar@customer5.example' } }, key('update-105'));
    expect(updated, JSON.stringify(updated.body)).toMatchObject({ status: 200, body: { remote_id: '105' } });
    expect(ns.state.writes.lastAsync).toBe(true);
    expect(ns.state.customers.get('105')!.email).toBe('ar@customer5.example');

    const creates = ns.state.writes.creates;
    const refused = await call('POST', '/unified/accounting/contacts', { data: { email_address: 'nobody@nameless.example' } }, key('create-nameless'));
    expect(refused.body).toMatchObject({ status: 422, code: 'SWY_ERR_PROVIDER_REFUSED', provider_status: 400, provider_message: 'Please enter value(s) for: Company Name' });
    expect(ns.state.writes.creates).toBe(creates);

    const missing = await call('PATCH', '/unified/accounting/contacts/999999', { data: { name: 'Nobody' } }, key('update-missing'));
    expect(missing.body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('a job that outlives the hub\'s wait is a 504 naming the job; the retry with the same Idempotency-Key finds that job finished, one record', async () => {
    const before = ns.state.writes.creates;
    ns.state.writes.jobs.delayMs = 4_000;
    const body = { data: { name: 'Queued Behind Month End Ltd' } };
    const slow = await call('POST', '/unified/accounting/contacts', body, { 'idempotency-key': 'create-queued-1', 'x-integrated-account-id': accountId });
    ns.state.writes.jobs.delayMs = 150;
    expect(slow.body).toMatchObject({ status: 504, code: 'SWY_ERR_PROVIDER_JOB_TIMEOUT', provider_job: expect.stringMatching(/^\/services\/rest\/async\/v1\/job\/\d+$/) });
    await until(() => ns.state.writes.creates === before + 1);
    const retried = await call('POST', '/unified/accounting/contacts', body, { 'idempotency-key': 'create-queued-1', 'x-integrated-account-id': accountId });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(ns.state.customers.get(retried.body.remote_id)!.companyName).toBe('Queued Behind Month End Ltd');
    expect(ns.state.writes.creates).toBe(before + 1);
  });

  it('keeps the TBA secrets out of the logs', () => {
    const all = logs.join('');
    for (const secret of [NETSUITE_TEST_CREDENTIALS.consumerSecret, NETSUITE_TEST_CREDENTIALS.tokenSecret, apiKey]) expect(all).not.toContain(secret);
  });
});
