import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { unifiedClient } from '../harness/unified-client.js';
import { startHubSpotApi, type HubSpotApi, type HubSpotObjectType } from '../simulators/hubspot-api.js';
import { startSalesforceApi, type SalesforceApi, type SObjectType } from '../simulators/salesforce-api.js';

/**
 * A loopback relay in front of the HubSpot simulator that can hold a POST until released: the simulator
 * has no latency knob, and a concurrent duplicate needs the first write to be in flight at the provider.
 */
async function startGate(target: string) {
  let held: { arrived: () => void; release: Promise<void> } | undefined;
  let open = () => {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const hold = req.method === 'POST' ? held : undefined;
      if (hold) {
        held = undefined;
        hold.arrived();
        await hold.release;
      }
      const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    /** Holds the next POST; resolves once it has reached the gate. */
    holdNextPost: () =>
      new Promise<void>((arrived) => {
        held = { arrived, release: new Promise<void>((resolve) => (open = resolve)) };
      }),
    release: () => open(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The unified CRM resources through the real hub, against the HubSpot and Salesforce simulators on loopback. */
describe('unified CRM API over HubSpot and Salesforce', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let hubspot: HubSpotApi;
  let salesforce: SalesforceApi;
  let gate: Awaited<ReturnType<typeof startGate>>;
  let hs: string; // private-app token: its calls carry the daily pair of headers
  let hsOAuth: string; // OAuth token: no daily pair
  let hsGated: string; // behind the gate
  let sf: string;

  let client: ReturnType<typeof unifiedClient>;
  const call: ReturnType<typeof unifiedClient>['call'] = (...args) => client.call(...args);
  const get = (path: string, account: string) => client.get(path, account);
  const connect = async (provider: string, credentials: Record<string, unknown>, config: Record<string, unknown>) => (await client.connect(provider, credentials, config)).id;
  /** Follows `next_cursor` to the end; returns every remote id in order and the number of pages. */
  const walk = (resource: string, account: string, limit: number) => client.walk(resource, account, limit);
  const hubspotIds = (type: HubSpotObjectType) => [...hubspot.state.objects[type].values()].filter((o) => !o.archived).map((o) => o.id);
  const salesforceIds = (type: SObjectType) => [...salesforce.state.records.values()].filter((r) => r.type === type).map((r) => String(r.fields.Id)).sort();
  const hsPosts = () => hubspot.state.requests['POST /crm/v3/objects/contacts'] ?? 0;
  const tamper = (cursor: string) => `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    hubspot = await startHubSpotApi();
    salesforce = await startSalesforceApi();
    gate = await startGate(hubspot.url);
    const apiKey = (await hub.createEnvironment('crm')).apiKey;
    client = unifiedClient(hub, apiKey);
    // `extra_properties` / `extra_fields` name the portal's custom properties and the org's custom fields to read.
    const hsConfig = { base_url: hubspot.url, extra_properties: { contacts: ['customer_tier'] } };
    hs = await connect('hubspot', { access_token: 'pat-na1-simulator' }, hsConfig);
    hsOAuth = await connect('hubspot', { access_token: hubspot.oauth.issue().access_token }, hsConfig);
    hsGated = await connect('hubspot', { access_token: 'pat-na1-simulator' }, { ...hsConfig, base_url: gate.url });
    sf = await connect('salesforce', { access_token: 'sf-access-token' }, { base_url: salesforce.url, extra_fields: { Contact: 'Tier__c' } });
  });
  afterAll(async () => {
    await gate?.close();
    await hubspot?.close();
    await salesforce?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('walks every HubSpot list (after cursor) to the end with no gaps or repeats', async () => {
    const contacts = await walk('crm/contacts', hs, 100);
    expect(contacts.pages).toBe(3);
    expect(contacts.ids).toEqual(hubspotIds('contacts'));
    expect(new Set(contacts.ids).size).toBe(250);
    const accounts = await walk('crm/accounts', hs, 50);
    expect(accounts.pages).toBe(3);
    expect(accounts.ids).toEqual(hubspotIds('companies'));
    const deals = await walk('crm/opportunities', hs, 100);
    expect(deals.ids).toEqual(hubspotIds('deals'));
    expect(new Set(deals.ids).size).toBe(150);
  });

  it('walks every Salesforce SOQL query (nextRecordsUrl) to the end with no gaps or repeats', async () => {
    // Salesforce sizes batches itself (Sforce-Query-Options batchSize=200, the smallest it takes): walk with 200.
    const contacts = await walk('crm/contacts', sf, 200);
    expect(contacts.pages).toBe(2);
    expect(contacts.ids).toEqual(salesforceIds('Contact'));
    expect(new Set(contacts.ids).size).toBe(250);
    const accounts = await walk('crm/accounts', sf, 200);
    expect(accounts).toEqual({ ids: salesforceIds('Account'), pages: 1 });
  });

  it('maps HubSpot records, puts properties outside the model into custom_fields, and reads one', async () => {
    const page = await get('/unified/crm/contacts?limit=3&include_remote_data=true', hs);
    const [first] = page.body.result;
    const source = hubspot.state.objects.contacts.get('1001')!;
    expect(first).toMatchObject({
      id: expect.stringMatching(/^rec_/),
      remote_id: '1001',
      first_name: source.properties.firstname,
      last_name: source.properties.lastname,
      email_addresses: [{ email_address: source.properties.email }],
      remote_created_at: source.createdAt,
      remote_updated_at: source.updatedAt,
      custom_fields: { customer_tier: 'gold', lifecyclestage: 'lead' },
    });
    expect(first.custom_fields).not.toHaveProperty('hs_object_id');
    expect(first.remote_data).toMatchObject({ id: '1001', properties: { customer_tier: 'gold' } });
    expect(page.body.result[1].custom_fields).toMatchObject({ customer_tier: null });

    const one = await get('/unified/crm/contacts/1001', hs);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ ...first, remote_data: undefined });

    const company = (await get('/unified/crm/accounts/5003', hs)).body;
    expect(company).toMatchObject({ remote_id: '5003', name: 'Chloe Holdings 2', website: 'chloe-2.example.com', industry: 'COMPUTER_SOFTWARE', number_of_employees: 12 });
    const won = (await get('/unified/crm/opportunities/9004', hs)).body; // seed 3: closedwon
    expect(won).toMatchObject({ name: 'Deal 3', amount: { amount: '1075' }, stage: 'closedwon', status: 'won', pipeline: 'default', close_date: '2026-12-31' });
    expect((await get('/unified/crm/opportunities/9001', hs)).body.status).toBe('open');
    expect((await get('/unified/crm/contacts/424242', hs)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('maps Salesforce records, custom __c fields into custom_fields, reads one, and filters by updated_after in SOQL', async () => {
    const page = await get('/unified/crm/contacts?limit=5', sf);
    const row = salesforce.state.records.get(page.body.result[1].remote_id)!.fields;
    expect(page.body.result[1]).toMatchObject({
      remote_id: row.Id,
      first_name: row.FirstName,
      last_name: row.LastName,
      account_id: row.AccountId,
      email_addresses: [{ email_address: row.Email, email_address_type: 'work' }],
      remote_updated_at: new Date(String(row.LastModifiedDate).replace('+0000', 'Z')).toISOString(),
      custom_fields: { Tier__c: row.Tier__c },
    });
    const one = await get(`/unified/crm/contacts/${String(row.Id)}`, sf);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(page.body.result[1]);
    const account = (await get('/unified/crm/accounts?limit=1', sf)).body.result[0];
    expect(account).toMatchObject({ name: 'Company 1', industry: 'Technology' });
    expect(account).not.toHaveProperty('custom_fields');

    const contacts = [...salesforce.state.records.values()].filter((r) => r.type === 'Contact');
    const since = String(contacts[239]!.fields.LastModifiedDate).replace('+0000', 'Z');
    const recent = await get(`/unified/crm/contacts?updated_after=${encodeURIComponent(since)}`, sf);
    expect(recent.status).toBe(200);
    const expected = contacts.filter((r) => Date.parse(String(r.fields.LastModifiedDate).replace('+0000', 'Z')) > Date.parse(since)).map((r) => r.fields.Id);
    expect(recent.body.result.map((r: { remote_id: string }) => r.remote_id).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses updated_after on HubSpot lists instead of silently ignoring it', async () => {
    const answer = await get('/unified/crm/contacts?updated_after=2026-01-01T00:00:00Z', hs);
    expect(answer.body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
    expect(answer.body.detail).toContain('updated_after');
  });

  it('creates, reads back, updates and deletes a HubSpot contact', async () => {
    const email = `zoe.${randomUUID().slice(0, 8)}@example.com`;
    const created = await call('POST', '/unified/crm/contacts', hs, {
      body: { data: { first_name: 'Zoe', last_name: 'Round', email_addresses: [{ email_address: email }], custom_fields: { customer_tier: 'silver' } } },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.remote_id;
    expect(hubspot.state.objects.contacts.get(id)?.properties).toMatchObject({ firstname: 'Zoe', lastname: 'Round', email, customer_tier: 'silver' });
    expect(created.body.result).toMatchObject({ remote_id: id, first_name: 'Zoe', custom_fields: { customer_tier: 'silver' } });

    const read = await get(`/unified/crm/contacts/${id}`, hs);
    expect(read.body).toMatchObject({ remote_id: id, first_name: 'Zoe', last_name: 'Round', email_addresses: [{ email_address: email }], custom_fields: { customer_tier: 'silver' } });

    const updated = await call('PATCH', `/unified/crm/contacts/${id}`, hs, { body: { data: { title: 'CTO', last_name: null, custom_fields: { customer_tier: 'gold' } } } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ remote_id: id, result: { title: 'CTO', last_name: null, custom_fields: { customer_tier: 'gold' } } });
    expect((await get(`/unified/crm/contacts/${id}`, hs)).body).toMatchObject({ first_name: 'Zoe', title: 'CTO', last_name: null, custom_fields: { customer_tier: 'gold' } });

    expect((await call('DELETE', `/unified/crm/contacts/${id}`, hs)).body).toEqual({ remote_id: id });
    expect(hubspot.state.objects.contacts.get(id)?.archived).toBe(true);
    expect((await get(`/unified/crm/contacts/${id}`, hs)).body.code).toBe('SWY_ERR_NOT_FOUND');
  });

  it('creates, reads back, updates and deletes a Salesforce contact through sObjects', async () => {
    const accountId = salesforceIds('Account')[3]!;
    const created = await call('POST', '/unified/crm/contacts', sf, {
      body: { data: { first_name: 'Zoe', last_name: 'Round', account_id: accountId, email_addresses: [{ email_address: 'zoe.round@example.com' }], custom_fields: { Tier__c: 'Silver' } } },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.remote_id;
    expect(id).toMatch(/^003/);
    expect(salesforce.state.records.get(id)?.fields).toMatchObject({ FirstName: 'Zoe', LastName: 'Round', AccountId: accountId, Email: 'zoe.round@example.com', Tier__c: 'Silver' });
    expect((await get(`/unified/crm/contacts/${id}`, sf)).body).toMatchObject({ remote_id: id, first_name: 'Zoe', account_id: accountId, custom_fields: { Tier__c: 'Silver' } });

    const updated = await call('PATCH', `/unified/crm/contacts/${id}`, sf, { body: { data: { last_name: 'Rounder', custom_fields: { Tier__c: 'Bronze' } } } });
    expect(updated).toMatchObject({ status: 200, body: { remote_id: id, result: null } });
    expect((await get(`/unified/crm/contacts/${id}`, sf)).body).toMatchObject({ first_name: 'Zoe', last_name: 'Rounder', custom_fields: { Tier__c: 'Bronze' } });

    expect((await call('DELETE', `/unified/crm/contacts/${id}`, sf)).status).toBe(200);
    expect(salesforce.state.records.has(id)).toBe(false);
    expect((await get(`/unified/crm/contacts/${id}`, sf)).body.code).toBe('SWY_ERR_NOT_FOUND');
  });

  it('replays an Idempotency-Key write with its first outcome and creates nothing twice; another body is 422', async () => {
    const key = randomUUID();
    const body = { data: { first_name: 'Ida', last_name: 'Empotent', email_addresses: [{ email_address: `ida.${key.slice(0, 8)}@example.com` }] } };
    const posts = hsPosts();
    const size = hubspot.state.objects.contacts.size;
    const first = await call('POST', '/unified/crm/contacts', hs, { body, key });
    expect(first.status).toBe(201);
    const replay = await call('POST', '/unified/crm/contacts', hs, { body, key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.remote_id).toBe(first.body.remote_id);
    expect(hsPosts()).toBe(posts + 1);
    expect(hubspot.state.objects.contacts.size).toBe(size + 1);

    const other = await call('POST', '/unified/crm/contacts', hs, { body: { data: { ...body.data, first_name: 'Other' } }, key });
    expect(other.body).toMatchObject({ status: 422, code: 'SWY_ERR_IDEMPOTENCY_MISMATCH' });
    expect(hsPosts()).toBe(posts + 1);

    const patchKey = randomUUID();
    const patches = () => hubspot.state.requests['PATCH /crm/v3/objects/contacts/:id'] ?? 0;
    const before = patches();
    const patch = { data: { title: 'Once' } };
    expect((await call('PATCH', `/unified/crm/contacts/${first.body.remote_id}`, hs, { body: patch, key: patchKey })).status).toBe(200);
    expect((await call('PATCH', `/unified/crm/contacts/${first.body.remote_id}`, hs, { body: patch, key: patchKey })).body).toEqual({ remote_id: first.body.remote_id, result: null });
    expect(patches()).toBe(before + 1);
  });

  it('answers 409 to a concurrent duplicate while the first write is still at the provider', async () => {
    const key = randomUUID();
    const body = { data: { first_name: 'Con', last_name: 'Current', email_addresses: [{ email_address: `con.${key.slice(0, 8)}@example.com` }] } };
    const posts = hsPosts();
    const arrived = gate.holdNextPost();
    const first = call('POST', '/unified/crm/contacts', hsGated, { body, key });
    await arrived;
    const duplicate = await call('POST', '/unified/crm/contacts', hsGated, { body, key });
    expect(duplicate.body).toMatchObject({ status: 409, code: 'SWY_ERR_IDEMPOTENCY_IN_PROGRESS' });
    gate.release();
    const done = await first;
    expect(done.status).toBe(201);
    expect(hsPosts()).toBe(posts + 1);
    const replay = await call('POST', '/unified/crm/contacts', hsGated, { body, key });
    expect(replay).toMatchObject({ status: 201, body: { remote_id: done.body.remote_id } });
    expect(hsPosts()).toBe(posts + 1);
  });

  it('passes a HubSpot 429 through with the policy it names, never retrying; a throttled write keeps its key usable', async () => {
    const gets = () => hubspot.state.requests['GET /crm/v3/objects/contacts'] ?? 0;
    const before = gets();
    hubspot.state.throttleNext(1, { retryAfterS: 3 });
    const rolling = await get('/unified/crm/contacts?limit=1', hs);
    expect(rolling.status).toBe(429);
    expect(rolling.headers.get('content-type')).toContain('application/problem+json');
    expect(rolling.headers.get('retry-after')).toBe('3');
    expect(rolling.headers.get('ratelimit-policy')).toContain('"ten-secondly";q=100;w=10');
    expect(rolling.headers.get('ratelimit')).toContain('"ten-secondly";r=0;t=3');
    expect(rolling.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'hubspot', 'violated-policies': ['ten-secondly'] });
    expect(gets()).toBe(before + 1);

    hubspot.state.throttleNext(1, { policyName: 'DAILY' });
    const daily = await get('/unified/crm/contacts?limit=1', hs);
    expect(daily.status).toBe(429);
    expect(daily.body['violated-policies']).toEqual(['daily']);
    expect(daily.headers.get('ratelimit')).toContain('"daily";r=0');
    expect(gets()).toBe(before + 2);

    const key = randomUUID();
    const body = { data: { last_name: 'Later', email_addresses: [{ email_address: `later.${key.slice(0, 8)}@example.com` }] } };
    hubspot.state.throttleNext(1);
    expect((await call('POST', '/unified/crm/contacts', hs, { body, key })).status).toBe(429);
    expect((await call('POST', '/unified/crm/contacts', hs, { body, key })).status).toBe(201);
  });

  it('turns a Salesforce 403 REQUEST_LIMIT_EXCEEDED into our 429 with the api-usage policy, never retrying', async () => {
    const queries = () => salesforce.state.requests['GET /services/data/:version/query'] ?? 0;
    const before = queries();
    salesforce.state.throttleNext(1);
    const throttled = await get('/unified/crm/contacts?limit=1', sf);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('ratelimit-policy')).toBe('"api-usage";q=15000;w=86400');
    expect(throttled.headers.get('ratelimit')).toBe('"api-usage";r=0');
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'salesforce', 'violated-policies': ['api-usage'] });
    expect(queries()).toBe(before + 1);
    expect((await get('/unified/crm/contacts?limit=1', sf)).status).toBe(200);
  });

  it('sends RateLimit-Policy and RateLimit on normal answers from X-HubSpot-RateLimit-* and Sforce-Limit-Info', async () => {
    const privateApp = await get('/unified/crm/contacts?limit=1', hs);
    expect(privateApp.headers.get('ratelimit-policy')).toBe('"ten-secondly";q=100;w=10, "daily";q=250000;w=86400');
    expect(privateApp.headers.get('ratelimit')).toMatch(/^"ten-secondly";r=\d+, "daily";r=\d+$/);
    // HubSpot leaves the daily pair off OAuth calls.
    const oauth = await get('/unified/crm/contacts?limit=1', hsOAuth);
    expect(oauth.status).toBe(200);
    expect(oauth.headers.get('ratelimit-policy')).toBe('"ten-secondly";q=100;w=10');

    const org = await get('/unified/crm/accounts?limit=1', sf);
    expect(org.headers.get('ratelimit-policy')).toBe('"api-usage";q=15000;w=86400');
    expect(org.headers.get('ratelimit')).toBe(`"api-usage";r=${15000 - salesforce.state.apiUsage}`);
    const written = await call('PATCH', `/unified/crm/accounts/${salesforceIds('Account')[0]!}`, sf, { body: { data: { industry: 'Energy' } } });
    expect(written.status).toBe(200);
    expect(written.headers.get('ratelimit')).toBe(`"api-usage";r=${15000 - salesforce.state.apiUsage}`);
  });

  it('names the config a Salesforce account lacks: my_domain, or base_url for the instance URL', async () => {
    const bare = await connect('salesforce', { access_token: 'sf-access-token' }, {});
    const answer = await get('/unified/crm/contacts', bare);
    expect(answer.body).toMatchObject({ status: 422, code: 'SWY_ERR_ACCOUNT_CONFIG_MISSING' });
    expect(answer.body.detail).toContain('my_domain');
  });

  it('refuses a tampered cursor and a cursor used with another account', async () => {
    const hsCursor: string = (await get('/unified/crm/contacts?limit=10', hs)).body.next_cursor;
    expect((await get(`/unified/crm/contacts?cursor=${encodeURIComponent(tamper(hsCursor))}`, hs)).body).toMatchObject({ status: 400, code: 'SWY_ERR_CURSOR_INVALID' });
    expect((await get(`/unified/crm/contacts?cursor=${encodeURIComponent(hsCursor)}`, hsOAuth)).body.code).toBe('SWY_ERR_CURSOR_INVALID');
    expect((await get(`/unified/crm/accounts?cursor=${encodeURIComponent(hsCursor)}`, hs)).body.code).toBe('SWY_ERR_CURSOR_INVALID');
    const sfCursor: string = (await get('/unified/crm/contacts', sf)).body.next_cursor;
    expect(sfCursor).toEqual(expect.any(String));
    expect((await get(`/unified/crm/contacts?cursor=${encodeURIComponent(tamper(sfCursor))}`, sf)).body).toMatchObject({ status: 400, code: 'SWY_ERR_CURSOR_INVALID' });
  });
});
