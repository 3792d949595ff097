import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startDataverseApi, type DataverseApi } from '../simulators/dataverse-api.js';
import { startGustoApi, type GustoApi } from '../simulators/gusto-api.js';
import { NETSUITE_TEST_CREDENTIALS, startNetSuiteApi, type NetSuiteApi } from '../simulators/netsuite-api.js';

type Reply = { status: number; headers: Headers; body: any };
type Row = { id: string; remote_id: string } & Record<string, unknown>;

/**
 * The unified API over Dataverse (crm/contacts, `@odata.nextLink`), Gusto (hris/employees, page/per) and
 * NetSuite (accounting/contacts, SuiteQL offset/hasMore, TBA), through the real hub, each provider's
 * behaviour declared only in its `provider.json`, against the simulators on loopback.
 */
describe('unified API over Dataverse, Gusto and NetSuite', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let dv: DataverseApi;
  let gusto: GustoApi;
  let ns: NetSuiteApi;
  let apiKey: string;
  let gustoToken: string;
  const accounts = { dataverse: '', gusto: '', netsuite: '' };
  const logs: string[] = [];

  const get = async (path: string): Promise<Reply> => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const connect = async (provider: string, credentials: Record<string, string>, config: Record<string, string>) => {
    const created = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider, credentials, config } });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
  const netsuiteCredentials = (overrides: Record<string, string> = {}) => ({
    consumer_key: NETSUITE_TEST_CREDENTIALS.consumerKey,
    consumer_secret: NETSUITE_TEST_CREDENTIALS.consumerSecret,
    token_id: NETSUITE_TEST_CREDENTIALS.tokenId,
    token_secret: NETSUITE_TEST_CREDENTIALS.tokenSecret,
    realm: NETSUITE_TEST_CREDENTIALS.realm!,
    ...overrides,
  });

  /** Follows `next_cursor` to the end; every page must be a 200. */
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
      expect(sizes.length).toBeLessThan(100);
    } while (cursor);
    return { seen, ids: seen.map((r) => r.remote_id), sizes };
  };

  /** Our 429 for a provider's throttling: problem+json naming the provider and the violated policy. */
  const expectThrottled = (reply: Reply, provider: string, policy: string) => {
    expect(reply.status).toBe(429);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ status: 429, code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider, 'violated-policies': [policy] });
    expect(reply.body.detail).toContain(provider);
  };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    [dv, gusto, ns] = await Promise.all([startDataverseApi(), startGustoApi(), startNetSuiteApi()]);
    apiKey = (await hub.createEnvironment('unified-hris-erp')).apiKey;
    gustoToken = gusto.oauth.issue().access_token;
    accounts.dataverse = await connect('dynamics-365', { access_token: 'dv-access-token' }, { instance_host: 'contoso.crm.dynamics.com', base_url: `${dv.url}/api/data/v9.2` });
    accounts.gusto = await connect('gusto', { access_token: gustoToken }, { company_uuid: gusto.state.companyUuid, base_url: gusto.url });
    accounts.netsuite = await connect('netsuite', netsuiteCredentials(), { account_host: '1234567-sb1', base_url: `${ns.url}/services/rest` });
  });
  afterAll(async () => {
    await Promise.all([dv?.close(), gusto?.close(), ns?.close()]);
    await hub?.close();
    await nats?.stop();
  });

  describe('Dataverse crm/contacts', () => {
    it('walks every contact through @odata.nextLink behind the opaque cursor, with no gaps or repeats', async () => {
      const before = dv.state.requests['GET /api/data/:version/:segment'] ?? 0;
      const { ids, sizes, seen } = await walk('crm/contacts', accounts.dataverse, '&limit=100');
      expect(sizes).toEqual([100, 100, 50]);
      expect(ids).toEqual([...dv.state.contacts.keys()].sort());
      expect(new Set(ids).size).toBe(250);
      expect(dv.state.requests['GET /api/data/:version/:segment']).toBe(before + 3);
      const source = dv.state.contacts.get(ids[0]!)!;
      expect(seen[0]).toMatchObject({
        id: expect.stringMatching(/^rec_/),
        remote_id: source.contactid,
        first_name: source.firstname,
        last_name: source.lastname,
        remote_updated_at: new Date(source.modifiedon).toISOString(),
        custom_fields: { fullname: source.fullname },
      });
    });

    it('keeps the updated_after and email filters on every page', async () => {
      const sorted = [...dv.state.contacts.values()].sort((a, b) => a.modifiedon.localeCompare(b.modifiedon));
      const since = sorted[119]!.modifiedon;
      const { ids } = await walk('crm/contacts', accounts.dataverse, `&updated_after=${encodeURIComponent(since)}`);
      expect(ids.sort()).toEqual(sorted.slice(120).map((c) => c.contactid).sort());
      const withEmail = sorted.find((c) => c.emailaddress1)!;
      const one = await get(`/unified/crm/contacts?integrated_account_id=${accounts.dataverse}&email=${encodeURIComponent(withEmail.emailaddress1!.toUpperCase())}`);
      expect(one.body.result.map((c: Row) => c.remote_id)).toEqual([withEmail.contactid]);
      expect(one.body.result[0].email_addresses).toEqual([{ email_address: withEmail.emailaddress1, email_address_type: 'work' }]);
      expect(one.body.next_cursor).toBeNull();
      // A quote in a filter value is escaped into the OData literal, not an injection.
      const quoted = await get(`/unified/crm/contacts?integrated_account_id=${accounts.dataverse}&email=${encodeURIComponent("x' or emailaddress1 ne 'y")}`);
      expect(quoted.status).toBe(200);
      expect(quoted.body.result).toEqual([]);
    });

    it('reads one contact, the same record the list gave, and 404s an unknown one', async () => {
      const first = (await get(`/unified/crm/contacts?integrated_account_id=${accounts.dataverse}&limit=1`)).body.result[0] as Row;
      const one = await get(`/unified/crm/contacts/${first.remote_id}?integrated_account_id=${accounts.dataverse}&include_remote_data=true`);
      expect(one.status).toBe(200);
      expect(one.headers.get('ratelimit-policy')).toBe('"requests";q=6000;w=300, "concurrency";q=52;qu="concurrent-requests"');
      const { remote_data: raw, ...mapped } = one.body;
      expect(mapped).toEqual(first);
      expect(raw).toMatchObject({ contactid: first.remote_id });
      const missing = await get(`/unified/crm/contacts/00000000-0000-0000-0000-000000000000?integrated_account_id=${accounts.dataverse}`);
      expect(missing.body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    });

    it('passes a service-protection 429 through with Retry-After and the violated limit, never retrying it', async () => {
      const before = dv.state.requests['GET /api/data/:version/:segment'] ?? 0;
      dv.state.throttleNext(1, { retryAfterS: 9, limit: 'concurrency' });
      const throttled = await get(`/unified/crm/contacts?integrated_account_id=${accounts.dataverse}`);
      expectThrottled(throttled, 'dynamics-365', 'concurrency');
      expect(throttled.headers.get('retry-after')).toBe('9');
      expect(throttled.headers.get('ratelimit')).toBe('"concurrency";r=0;t=9');
      expect(throttled.headers.get('ratelimit-policy')).toContain('"concurrency";q=52');
      expect(dv.state.requests['GET /api/data/:version/:segment']).toBe(before + 1);
      dv.state.throttleNext(1, { retryAfterS: 4 });
      const requests = await get(`/unified/crm/contacts?integrated_account_id=${accounts.dataverse}`);
      expectThrottled(requests, 'dynamics-365', 'requests');
      expect(requests.headers.get('ratelimit')).toBe('"requests";r=0;t=4');
      expect((await get(`/unified/crm/contacts?integrated_account_id=${accounts.dataverse}&limit=1`)).status).toBe(200);
    });

    it('a refused bearer token is our 502 SWY_ERR_PROVIDER_UNAUTHORIZED', async () => {
      const wrong = await connect('dynamics-365', { access_token: 'not-a-token' }, { base_url: `${dv.url}/api/data/v9.2` });
      expect((await get(`/unified/crm/contacts?integrated_account_id=${wrong}`)).body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNAUTHORIZED' });
    });
  });

  describe('Gusto hris/employees', () => {
    it('walks every employee through page/per, stopping on X-Total-Pages, with no gaps or repeats', async () => {
      for (const [limit, pages] of [
        [100, [100, 100, 50]],
        [60, [60, 60, 60, 60, 10]],
        [50, [50, 50, 50, 50, 50]],
      ] as const) {
        const { ids, sizes } = await walk('hris/employees', accounts.gusto, `&limit=${limit}`);
        expect(sizes).toEqual(pages);
        expect(ids).toEqual(gusto.state.employees.map((e) => e.uuid));
      }
    });

    it('maps jobs, terminations and the manager, and filters on terminated', async () => {
      const { seen } = await walk('hris/employees', accounts.gusto, '&limit=100&terminated=true');
      const expected = gusto.state.employees.filter((e) => e.terminated);
      expect(seen.map((e) => e.remote_id)).toEqual(expected.map((e) => e.uuid));
      expect(seen).toHaveLength(20);
      const leaver = expected[0]!;
      expect(seen[0]).toMatchObject({
        remote_id: leaver.uuid,
        first_name: leaver.first_name,
        last_name: leaver.last_name,
        display_name: `${leaver.first_name} ${leaver.last_name}`,
        work_email: leaver.work_email,
        personal_email: leaver.email,
        job_title: 'Associate',
        department: leaver.department,
        manager_id: gusto.state.employees[0]!.uuid,
        employment_status: 'terminated',
        hire_date: leaver.jobs[0]!.hire_date,
        start_date: leaver.jobs[0]!.hire_date,
        termination_date: '2025-12-31',
        date_of_birth: leaver.date_of_birth,
        custom_fields: { company_uuid: gusto.state.companyUuid, employment_type: 'full_time' },
      });
      const founder = (await get(`/unified/hris/employees?integrated_account_id=${accounts.gusto}&limit=1`)).body.result[0];
      expect(founder).toMatchObject({ job_title: 'Founder', employment_status: 'active', manager_id: null });
    });

    it('reads one employee, the same record the list gave, with the X-RateLimit-* policy as RateLimit fields', async () => {
      const first = (await get(`/unified/hris/employees?integrated_account_id=${accounts.gusto}&limit=3`)).body.result[2] as Row;
      const one = await get(`/unified/hris/employees/${first.remote_id}?integrated_account_id=${accounts.gusto}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(first);
      expect(one.headers.get('ratelimit-policy')).toBe('"per-grant";q=200;w=60');
      expect(one.headers.get('ratelimit')).toMatch(/^"per-grant";r=\d+;t=\d+$/);
      expect((await get(`/unified/hris/employees/00000000-0000-4000-8000-ffffffffffff?integrated_account_id=${accounts.gusto}`)).body.code).toBe('SWY_ERR_NOT_FOUND');
    });

    it('passes the per-grant 429 through with Retry-After and RateLimit, never retrying it', async () => {
      const route = 'GET /v1/companies/:company_uuid/employees';
      const before = gusto.state.requests[route] ?? 0;
      gusto.state.throttleNext(1, { retryAfterS: 12 });
      const throttled = await get(`/unified/hris/employees?integrated_account_id=${accounts.gusto}`);
      expectThrottled(throttled, 'gusto', 'per-grant');
      expect(throttled.headers.get('retry-after')).toBe('12');
      expect(throttled.headers.get('ratelimit')).toBe('"per-grant";r=0;t=12');
      expect(throttled.headers.get('ratelimit-policy')).toBe('"per-grant";q=200;w=60');
      expect(gusto.state.requests[route]).toBe(before + 1);
      expect((await get(`/unified/hris/employees?integrated_account_id=${accounts.gusto}&limit=1`)).status).toBe(200);
    });
  });

  describe('NetSuite accounting/contacts', () => {
    const SUITEQL = 'POST /services/rest/query/v1/suiteql';

    it('walks every customer through SuiteQL offset/hasMore, with no gaps or repeats', async () => {
      const before = ns.state.requests[SUITEQL] ?? 0;
      const { ids, sizes, seen } = await walk('accounting/contacts', accounts.netsuite, '&limit=100');
      expect(sizes).toEqual([100, 100, 50]);
      expect(ids).toEqual([...ns.state.customers.keys()]);
      expect(new Set(ids).size).toBe(250);
      expect(ns.state.requests[SUITEQL]).toBe(before + 3);
      const source = ns.state.customers.get(ids[24]!)!;
      expect(source.email).toBeUndefined();
      expect(seen[24]).toEqual({
        id: expect.stringMatching(/^rec_/),
        remote_id: source.id,
        name: source.companyName,
        is_customer: true,
        remote_created_at: new Date(source.dateCreated).toISOString(),
        remote_updated_at: new Date(source.lastModifiedDate).toISOString(),
        custom_fields: { entity_id: source.entityId, is_person: false },
      });
      expect(seen[0]).toMatchObject({ email_address: ns.state.customers.get(ids[0]!)!.email });
    });

    it('filters on updated_after in the SuiteQL WHERE clause, on every page', async () => {
      const since = ns.state.customers.get('300')!.lastModifiedDate;
      const { ids, sizes } = await walk('accounting/contacts', accounts.netsuite, `&limit=20&updated_after=${encodeURIComponent(since)}`);
      expect(sizes).toEqual([20, 20, 10]);
      expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => String(301 + i)));
    });

    it('reads one customer through the record service, the same record SuiteQL gave', async () => {
      const page = await get(`/unified/accounting/contacts?integrated_account_id=${accounts.netsuite}&limit=5`);
      const fifth = page.body.result[4] as Row;
      const one = await get(`/unified/accounting/contacts/${fifth.remote_id}?integrated_account_id=${accounts.netsuite}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(fifth);
      expect(ns.state.requests['GET /services/rest/record/v1/customer/:id']).toBeGreaterThanOrEqual(1);
      expect((await get(`/unified/accounting/contacts/99999?integrated_account_id=${accounts.netsuite}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    });

    it('passes SSS_REQUEST_LIMIT_EXCEEDED through as our 429 naming the concurrency policy, never retrying it', async () => {
      const before = ns.state.requests[SUITEQL] ?? 0;
      ns.state.throttleNext(1);
      const throttled = await get(`/unified/accounting/contacts?integrated_account_id=${accounts.netsuite}`);
      expectThrottled(throttled, 'netsuite', 'concurrency');
      expect(throttled.headers.get('ratelimit')).toBe('"concurrency";r=0');
      // NetSuite sends no Retry-After and publishes no quota per response, so neither is invented.
      expect(throttled.headers.get('retry-after')).toBeNull();
      expect(throttled.headers.get('ratelimit-policy')).toBeNull();
      expect(ns.state.requests[SUITEQL]).toBe(before + 1);
      expect((await get(`/unified/accounting/contacts?integrated_account_id=${accounts.netsuite}&limit=1`)).status).toBe(200);
    });

    it('signs every call with TBA: a wrong token secret fails the simulator’s signature check → our 502', async () => {
      const wrong = await connect('netsuite', netsuiteCredentials({ token_secret: 'not-the-token-secret' }), { account_host: '1234567-sb1', base_url: `${ns.url}/services/rest` });
      const list = await get(`/unified/accounting/contacts?integrated_account_id=${wrong}`);
      expect(list.body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 401 });
      expect((await get(`/unified/accounting/contacts/101?integrated_account_id=${wrong}`)).body.code).toBe('SWY_ERR_PROVIDER_UNAUTHORIZED');
      const wrongRealm = await connect('netsuite', netsuiteCredentials({ realm: '7654321' }), { base_url: `${ns.url}/services/rest` });
      expect((await get(`/unified/accounting/contacts?integrated_account_id=${wrongRealm}`)).body.code).toBe('SWY_ERR_PROVIDER_UNAUTHORIZED');
    });

    it("keeps the account under its concurrency pool: the governor queues the excess, the provider refuses nothing", async () => {
      // default_pool 5 × share 0.6 = 3 slots for this account, shared by every replica.
      const parallel = 12;
      ns.state.maxConcurrent = 3;
      ns.state.latencyMs = 150;
      ns.state.resetPeak();
      const rejectedBefore = ns.state.concurrencyRejections;
      try {
        const replies = await Promise.all(
          Array.from({ length: parallel }, (_, i) => get(`/unified/accounting/contacts/${101 + i}?integrated_account_id=${accounts.netsuite}`)),
        );
        expect(replies.map((r) => r.status)).toEqual(Array.from({ length: parallel }, () => 200));
        expect(ns.state.peakConcurrency).toBeLessThanOrEqual(3);
        expect(ns.state.concurrencyRejections).toBe(rejectedBefore);
      } finally {
        ns.state.maxConcurrent = 15;
        ns.state.latencyMs = 0;
      }
    });

    it('answers 429 with a concurrency policy when no slot frees within the wait, without calling the provider', async () => {
      ns.state.latencyMs = 2_500;
      const route = 'GET /services/rest/record/v1/customer/:id';
      const sentBefore = ns.state.requests[route] ?? 0;
      try {
        const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => get(`/unified/accounting/contacts/${120 + i}?integrated_account_id=${accounts.netsuite}`)));
        const throttled = replies.filter((r) => r.status === 429);
        expect(throttled.length).toBe(2);
        for (const reply of throttled) {
          expect(reply.headers.get('ratelimit-policy')).toBe('"concurrency";q=3;qu="concurrent-requests"');
          expect(reply.headers.get('retry-after')).toBe('1');
          expect(reply.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', 'violated-policies': ['concurrency'] });
        }
        expect(ns.state.requests[route]).toBe(sentBefore + 3);
      } finally {
        ns.state.latencyMs = 0;
      }
    });
  });

  it('keeps every provider credential out of the logs', () => {
    const all = logs.join('');
    expect(all).toContain('"route":"/unified/:category/:resource"');
    for (const secret of ['dv-access-token', gustoToken, NETSUITE_TEST_CREDENTIALS.consumerSecret, NETSUITE_TEST_CREDENTIALS.tokenSecret, apiKey]) {
      expect(all).not.toContain(secret);
    }
  });
});
