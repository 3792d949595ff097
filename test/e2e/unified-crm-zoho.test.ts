import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { patchedMappings } from '../harness/mappings.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { unifiedClient } from '../harness/unified-client.js';
import { eventually } from '../harness/wait.js';
import { startZohoApi, type ZohoApi } from '../simulators/zoho-api.js';
import type { ZohoModule } from '../simulators/zoho-records.js';

/** The unified CRM API over Zoho CRM's records API (page_token, If-Modified-Since, writes, activities across three modules) and the enrichment of its id-only notifications. */
describe('unified CRM API over Zoho CRM', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let zoho: ZohoApi;
  let mappings: Awaited<ReturnType<typeof patchedMappings>>;
  let client: ReturnType<typeof unifiedClient>;
  let receiver: Receiver;
  let account: { id: string; webhook_url: string };
  const ids = (module: ZohoModule) => [...zoho.crm.records[module].keys()];
  const count = (route: string) => zoho.crm.requests[route] ?? 0;

  beforeAll(async () => {
    nats = await startTestNats();
    zoho = await startZohoApi();
    rememberSecret('Zoho client secret', 'zoho-secret');
    // Zoho's accounts server is fixed per data centre in the definition: point it at the simulator in a copy.
    mappings = await patchedMappings('zoho-crm', (definition) => {
      definition.api.auth.token_url = `${zoho.accountsUrl}/oauth/v2/token`;
    });
    hub = await startTestHub(nats.url, { SWITCHYARD_MAPPINGS_DIR: mappings.dir });
    receiver = await startReceiver();
    rememberSecret('Zoho channel token', 'zoho-channel-token');
    const apiKey = (await hub.createEnvironment('zoho')).apiKey;
    client = unifiedClient(hub, apiKey);
    const grant = zoho.oauth.issue();
    rememberSecret('Zoho access token', grant.access_token);
    rememberSecret('Zoho refresh token', grant.refresh_token);
    const credentials = { access_token: grant.access_token, refresh_token: grant.refresh_token, client_id: 'zoho-client', client_secret: 'zoho-secret' };
    account = await client.connect('zoho-crm', credentials, { dc: 'eu', base_url: zoho.url, extra_fields: { Contacts: ['Customer_Tier'], Tasks: ['Task_Channel'] } }, { webhook_secret: 'zoho-channel-token' });
    await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: receiver.url, event_types: ['crm/*'] } });
  });
  afterAll(async () => {
    await receiver?.close();
    await hub?.close();
    await zoho?.close();
    await mappings?.remove();
    await nats?.stop();
  });

  it('walks every module with page_token to the end, never asking for more than 200 a page', async () => {
    const contacts = await client.walk('crm/contacts', account.id, 500);
    expect(contacts).toEqual({ ids: ids('Contacts'), pages: 2 });
    expect((await client.walk('crm/accounts', account.id, 25)).ids).toEqual(ids('Accounts'));
    expect((await client.walk('crm/opportunities', account.id, 50)).ids).toEqual(ids('Deals'));
    expect((await client.walk('crm/leads', account.id, 30)).ids).toEqual(ids('Leads'));
  });

  it('maps records with lookups and the custom fields the account names, and reads one; an unknown id is 404', async () => {
    const [first] = (await client.get('/unified/crm/contacts?limit=1', account.id)).body.result;
    expect(first).toMatchObject({
      remote_id: '5725767100000000001', first_name: 'Ana0', last_name: 'Ruiz', title: 'Buyer', account_id: '5725767200000000001', owner_id: '5725767000000411001',
      email_addresses: [{ email_address: 'ana0@example.com', email_address_type: 'work' }], addresses: [{ type: 'other', city: 'Madrid', country: 'ES' }],
      remote_created_at: '2026-04-01T09:00:00.000Z', custom_fields: { Customer_Tier: 'Gold' },
    });
    expect((await client.get(`/unified/crm/contacts/${first.remote_id}`, account.id)).body).toEqual(first);
    expect((await client.get('/unified/crm/opportunities/5725767300000000005', account.id)).body).toMatchObject({ name: 'Deal 4', amount: { amount: '1040' }, stage: 'Closed Won', status: 'won', pipeline: 'Standard', contact_ids: ['5725767100000000005'] });
    expect((await client.get('/unified/crm/leads/5725767400000000002', account.id)).body).toMatchObject({ company: 'Prospect 1', title: 'CTO', status: 'working', lead_source: 'Web Download' });
    expect((await client.get('/unified/crm/contacts/5725767199999999999', account.id)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('sends updated_after as If-Modified-Since: only later records come back, and nothing changed is an empty page', async () => {
    const deals = [...zoho.crm.records.Deals.values()];
    const since = String(deals[99]!.Modified_Time);
    const recent = await client.walk('crm/opportunities', account.id, 100, `&updated_after=${encodeURIComponent(since)}`);
    expect(recent.ids).toEqual(deals.slice(100).map((d) => d.id));
    const none = await client.get(`/unified/crm/opportunities?updated_after=${encodeURIComponent('2030-01-01T00:00:00Z')}`, account.id);
    expect(none).toMatchObject({ status: 200, body: { result: [], next_cursor: null } });
  });

  it('creates, updates and deletes a contact; an Idempotency-Key replay reaches Zoho once', async () => {
    const key = randomUUID();
    const body = { data: { first_name: 'Zoe', last_name: 'Round', account_id: '5725767200000000003', email_addresses: [{ email_address: 'zoe@example.com' }], custom_fields: { Customer_Tier: 'Silver' } } };
    const posts = count('POST Contacts');
    const created = await client.call('POST', '/unified/crm/contacts', account.id, { body, key });
    expect(created.status).toBe(201);
    const id: string = created.body.remote_id;
    expect(zoho.crm.records.Contacts.get(id)).toMatchObject({ First_Name: 'Zoe', Last_Name: 'Round', Account_Name: { id: '5725767200000000003' }, Email: 'zoe@example.com', Customer_Tier: 'Silver' });
    const replay = await client.call('POST', '/unified/crm/contacts', account.id, { body, key });
    expect(replay).toMatchObject({ status: 201, body: { remote_id: id } });
    expect(count('POST Contacts')).toBe(posts + 1);

    expect((await client.call('PATCH', `/unified/crm/contacts/${id}`, account.id, { body: { data: { title: 'CTO' } } })).status).toBe(200);
    expect((await client.get(`/unified/crm/contacts/${id}`, account.id)).body).toMatchObject({ first_name: 'Zoe', last_name: 'Round', title: 'CTO', custom_fields: { Customer_Tier: 'Silver' } });
    expect((await client.call('DELETE', `/unified/crm/contacts/${id}`, account.id)).body).toEqual({ remote_id: id });
    expect(zoho.crm.records.Contacts.has(id)).toBe(false);

    const lead = await client.call('POST', '/unified/crm/leads', account.id, { body: { data: { last_name: 'Lead', company: 'Acme', status: 'qualified' } } });
    expect(zoho.crm.records.Leads.get(lead.body.remote_id)).toMatchObject({ Last_Name: 'Lead', Company: 'Acme', Lead_Status: 'Pre-Qualified' });
  });

  it("turns Zoho's MANDATORY_NOT_FOUND into a coded provider error, and 429 TOO_MANY_REQUESTS into ours, never retrying", async () => {
    const refused = await client.call('POST', '/unified/crm/opportunities', account.id, { body: { data: { name: 'No stage' } } });
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: 'required field not found (Stage)' });
    const before = count('GET Contacts');
    zoho.crm.throttleNext(1);
    const throttled = await client.get('/unified/crm/contacts?limit=1', account.id);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'zoho-crm', 'violated-policies': ['api-credits'] });
    expect(count('GET Contacts')).toBe(before + 1);
  });

  it('enriches an id-only notification with each record read from the records API (no longer enrichment: failed)', async () => {
    const [a, b] = ids('Contacts');
    const body = { server_time: Date.now(), query_params: {}, module: 'Contacts', resource_uri: `${zoho.url}/crm/v8/Contacts`, ids: [a, b], operation: 'update', channel_id: '1000000068001', token: 'zoho-channel-token' };
    expect((await fetch(account.webhook_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(200);
    const events = (await eventually('both enriched events', () => receiver.delivered().length >= 2 && receiver.delivered())).map((r) => JSON.parse(r.body));
    const byId = Object.fromEntries(events.map((e) => [e.record_id, e]));
    expect(byId[a!]).toMatchObject({ type: 'crm/contacts:updated', enrichment: { status: 'done', resource: 'crm/contacts', remote_id: a }, data: { remote_id: a, first_name: 'Ana0', email_addresses: [{ email_address: 'ana0@example.com' }] } });
    expect(byId[b!]).toMatchObject({ enrichment: { status: 'done' }, data: { first_name: 'Ana1' } });
  });

  it('lists activities one module at a time by type, Tasks past one page with page_token; without a type it says what to pass', async () => {
    const tasks = await client.walk('crm/activities', account.id, 100, '&type=task');
    expect(tasks).toEqual({ ids: ids('Tasks'), pages: 3 });
    expect((await client.walk('crm/activities', account.id, 25, '&type=call')).ids).toEqual(ids('Calls'));
    expect((await client.walk('crm/activities', account.id, 25, '&type=meeting')).ids).toEqual(ids('Events'));
    const untyped = await client.get('/unified/crm/activities?limit=10', account.id);
    expect(untyped.body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED', detail: expect.stringContaining('type=task') });
    expect((await client.get('/unified/crm/activities?type=email', account.id)).body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
  });

  it('maps a task, a call and a meeting with their related records, custom fields the account names, and the raw record on request', async () => {
    const page = await client.get('/unified/crm/activities?type=task&limit=1&include_remote_data=true', account.id);
    const [task] = page.body.result;
    expect(task).toMatchObject({
      remote_id: '5725767500000000001', type: 'task', subject: 'Follow up 0', body: 'Send the proposal', status: 'completed', due_date: '2026-05-15', completed_at: '2026-04-01T09:00:00.000Z',
      opportunity_id: '5725767300000000001', contact_ids: ['5725767100000000001'], owner_id: '5725767000000411001', remote_created_at: '2026-04-01T09:00:00.000Z',
      remote_data: { id: '5725767500000000001', $se_module: 'Deals', Subject: 'Follow up 0' },
    });
    expect(task.custom_fields).toEqual({ Task_Channel: null });
    const [, second] = (await client.get('/unified/crm/activities?type=task&limit=2', account.id)).body.result;
    expect(second).toMatchObject({ status: 'planned', custom_fields: { Task_Channel: 'Email' } });
    expect(second).not.toHaveProperty('completed_at');
    const [call] = (await client.get('/unified/crm/activities?type=call&limit=1', account.id)).body.result;
    expect(call).toMatchObject({ type: 'call', subject: 'Call 0', direction: 'outbound', status: 'completed', start_time: '2026-04-02T09:00:00.000Z', account_id: '5725767200000000001', contact_ids: ['5725767100000000001'] });
    const [meeting] = (await client.get('/unified/crm/activities?type=meeting&limit=1', account.id)).body.result;
    expect(meeting).toMatchObject({ type: 'meeting', subject: 'Demo 0', start_time: '2026-04-03T09:00:00.000Z', end_time: '2026-04-03T09:30:00.000Z', lead_id: '5725767400000000001' });
    expect(meeting.contact_ids).toBeUndefined();
  });

  it('reads one activity by its plain Zoho id, trying Tasks, Events, Calls in turn; its module first reads once; unknown is 404, a malformed id 422', async () => {
    const callId = ids('Calls')[3]!;
    const before = { tasks: count('GET Tasks/:id'), events: count('GET Events/:id'), calls: count('GET Calls/:id') };
    expect((await client.get(`/unified/crm/activities/${callId}`, account.id)).body).toMatchObject({ remote_id: callId, type: 'call', subject: 'Call 3', direction: 'inbound' });
    expect({ tasks: count('GET Tasks/:id'), events: count('GET Events/:id'), calls: count('GET Calls/:id') }).toEqual({ tasks: before.tasks + 1, events: before.events + 1, calls: before.calls + 1 });
    const one = await client.get(`/unified/crm/activities/Calls:${callId}`, account.id);
    expect(one.body).toMatchObject({ remote_id: callId, type: 'call' });
    expect(count('GET Tasks/:id')).toBe(before.tasks + 1);
    const [task] = (await client.get('/unified/crm/activities?type=task&limit=1', account.id)).body.result;
    expect((await client.get(`/unified/crm/activities/${task.remote_id}`, account.id)).body).toEqual(task);
    expect((await client.get('/unified/crm/activities/5725767599999999999', account.id)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect((await client.get('/unified/crm/activities/Notes:5725767500000000001', account.id)).body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
  });

  it('sends updated_after on activities as If-Modified-Since', async () => {
    const tasks = [...zoho.crm.records.Tasks.values()];
    const since = String(tasks[199]!.Modified_Time);
    expect((await client.walk('crm/activities', account.id, 200, `&type=task&updated_after=${encodeURIComponent(since)}`)).ids).toEqual(tasks.slice(200).map((t) => t.id));
  });

  it('enriches Calls notifications from the Calls module alone, one read per id (no longer sent thin)', async () => {
    const [a, b] = ids('Calls');
    const before = { tasks: count('GET Tasks/:id'), calls: count('GET Calls/:id') };
    const body = { server_time: Date.now(), query_params: {}, module: 'Calls', resource_uri: `${zoho.url}/crm/v8/Calls`, ids: [a, b], operation: 'insert', channel_id: '1000000068001', token: 'zoho-channel-token' };
    expect((await fetch(account.webhook_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(200);
    const calls = () => receiver.delivered().map((r) => JSON.parse(r.body)).filter((e) => e.type.startsWith('crm/activities:'));
    const events = await eventually('both enriched call events', () => calls().length >= 2 && calls());
    const byId = Object.fromEntries(events.map((e) => [e.record_id, e]));
    expect(byId[a!]).toMatchObject({ type: 'crm/activities:created', enrichment: { status: 'done', resource: 'crm/activities', remote_id: `Calls:${a}` }, data: { remote_id: a, type: 'call', subject: 'Call 0', direction: 'outbound', account_id: '5725767200000000001' } });
    expect(byId[b!]).toMatchObject({ enrichment: { status: 'done' }, data: { remote_id: b, subject: 'Call 1', direction: 'inbound' } });
    expect({ tasks: count('GET Tasks/:id'), calls: count('GET Calls/:id') }).toEqual({ tasks: before.tasks, calls: before.calls + 2 });
  });
});
