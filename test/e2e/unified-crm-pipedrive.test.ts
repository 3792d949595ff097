import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { unifiedClient } from '../harness/unified-client.js';
import { eventually } from '../harness/wait.js';
import { startPipedriveApi, type PipedriveApi } from '../simulators/pipedrive-api.js';
import { PIPEDRIVE_TIER_FIELD, type PipedriveEntity } from '../simulators/pipedrive-crm.js';

/** The unified CRM API over Pipedrive's v2 endpoints (cursor pages, updated_since, writes) and the enrichment of its thin v2 webhooks. */
describe('unified CRM API over Pipedrive', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let pipedrive: PipedriveApi;
  let client: ReturnType<typeof unifiedClient>;
  let receiver: Receiver;
  let account: { id: string; webhook_url: string };
  const ids = (entity: PipedriveEntity) => [...pipedrive.crm.records[entity].keys()].map(String);
  const count = (route: string) => pipedrive.crm.requests[route] ?? 0;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    pipedrive = await startPipedriveApi();
    receiver = await startReceiver();
    rememberSecret('Pipedrive API token', 'pipedrive-token');
    rememberSecret('Pipedrive webhook basic-auth pair', 'switchyard:hook-pass');
    const apiKey = (await hub.createEnvironment('pipedrive')).apiKey;
    client = unifiedClient(hub, apiKey);
    account = await client.connect('pipedrive', { api_key: 'pipedrive-token' }, { base_url: pipedrive.url }, { webhook_secret: 'switchyard:hook-pass' });
    await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: receiver.url, event_types: ['crm/*'] } });
  });
  afterAll(async () => {
    await receiver?.close();
    await pipedrive?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('walks persons, organizations, deals and activities (cursor + limit) to the end with no gaps or repeats', async () => {
    const contacts = await client.walk('crm/contacts', account.id, 100);
    expect(contacts).toEqual({ ids: ids('persons'), pages: 3 });
    expect(new Set(contacts.ids).size).toBe(230);
    expect((await client.walk('crm/accounts', account.id, 25)).ids).toEqual(ids('organizations'));
    expect((await client.walk('crm/opportunities', account.id, 100)).ids).toEqual(ids('deals'));
    expect((await client.walk('crm/activities', account.id, 50)).ids).toEqual(ids('activities'));
  });

  it('walks leads (v1, start + limit) to the end, reads one, and refuses updated_after the leads list cannot filter by', async () => {
    const leads = await client.walk('crm/leads', account.id, 50);
    expect(leads).toEqual({ ids: [...pipedrive.crm.leads.keys()], pages: 3 });
    const [id, lead] = [...pipedrive.crm.leads.entries()][8]!;
    expect((await client.get(`/unified/crm/leads/${id}`, account.id)).body).toMatchObject({ remote_id: id, status: 'unqualified', lead_source: 'Web forms', owner_id: '1201', custom_fields: { title: lead.title, person_id: '809' } });
    expect((await client.get('/unified/crm/leads?updated_after=2026-01-01T00:00:00Z', account.id)).body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
  });

  it('maps each record, keeps custom fields, reads one, and answers 404 for one Pipedrive lacks', async () => {
    const page = await client.get('/unified/crm/contacts?limit=1', account.id);
    expect(page.body.result[0]).toMatchObject({
      remote_id: '801', first_name: 'Person 0', last_name: 'Example', account_id: '31', owner_id: '1201',
      email_addresses: [{ email_address: 'person0@example.com', email_address_type: 'work' }],
      phone_numbers: [{ phone_number: '+14155551000', phone_number_type: 'mobile' }],
      remote_created_at: '2026-03-01T08:00:00.000Z', custom_fields: { [PIPEDRIVE_TIER_FIELD]: 'gold' },
    });
    expect((await client.get('/unified/crm/contacts/801', account.id)).body).toEqual(page.body.result[0]);
    expect((await client.get('/unified/crm/accounts/32', account.id)).body).toMatchObject({ name: 'Org 1 Ltd', addresses: [{ type: 'billing', street_1: '1 Main St', city: 'Springfield', state: 'IL', postal_code: '62701' }] });
    expect((await client.get('/unified/crm/opportunities/4004', account.id)).body).toMatchObject({ name: 'Deal 3', amount: { amount: '1075', currency: 'EUR' }, status: 'won', stage: '4', pipeline: '1', contact_ids: ['804'], close_date: '2026-12-31' });
    expect((await client.get('/unified/crm/activities/7705', account.id)).body).toMatchObject({ type: 'call', status: 'completed', opportunity_id: '4005', contact_ids: ['805'], start_time: '2026-06-01T09:30:00.000Z', due_date: '2026-06-01' });
    expect((await client.get('/unified/crm/contacts/424242', account.id)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('passes updated_after to Pipedrive as updated_since', async () => {
    const persons = [...pipedrive.crm.records.persons.values()];
    const since = String(persons[200]!.update_time);
    const recent = await client.walk('crm/contacts', account.id, 100, `&updated_after=${encodeURIComponent(since)}`);
    expect(recent.ids).toEqual(persons.filter((p) => Date.parse(String(p.update_time)) >= Date.parse(since)).map((p) => String(p.id)));
    expect(recent.ids).toHaveLength(30);
  });

  it('creates, updates and deletes a person; an Idempotency-Key replay reaches Pipedrive once', async () => {
    const key = randomUUID();
    const body = { data: { first_name: 'Zoe', last_name: 'Round', account_id: '33', email_addresses: [{ email_address: 'zoe@example.com' }], custom_fields: { [PIPEDRIVE_TIER_FIELD]: 'silver' } } };
    const posts = count('POST /v2/persons');
    const created = await client.call('POST', '/unified/crm/contacts', account.id, { body, key });
    expect(created.status).toBe(201);
    const id: string = created.body.remote_id;
    expect(pipedrive.crm.records.persons.get(Number(id))).toMatchObject({ name: 'Zoe Round', org_id: 33, emails: [{ value: 'zoe@example.com', primary: true }], custom_fields: { [PIPEDRIVE_TIER_FIELD]: 'silver' } });
    expect(created.body.result).toMatchObject({ remote_id: id, first_name: 'Zoe', account_id: '33' });
    const replay = await client.call('POST', '/unified/crm/contacts', account.id, { body, key });
    expect(replay).toMatchObject({ status: 201, body: { remote_id: id } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(count('POST /v2/persons')).toBe(posts + 1);

    const updated = await client.call('PATCH', `/unified/crm/contacts/${id}`, account.id, { body: { data: { last_name: 'Rounder' } } });
    expect(updated).toMatchObject({ status: 200, body: { remote_id: id, result: { first_name: 'Zoe', last_name: 'Rounder', email_addresses: [{ email_address: 'zoe@example.com' }] } } });
    expect((await client.call('DELETE', `/unified/crm/contacts/${id}`, account.id)).body).toEqual({ remote_id: id });
    expect((await client.get(`/unified/crm/contacts/${id}`, account.id)).body.code).toBe('SWY_ERR_NOT_FOUND');

    const deal = await client.call('POST', '/unified/crm/opportunities', account.id, { body: { data: { name: 'Seats', amount: { amount: '5000', currency: 'USD' }, account_id: '31', contact_ids: ['801'], status: 'open' } } });
    expect(deal.status).toBe(201);
    expect(pipedrive.crm.records.deals.get(Number(deal.body.remote_id))).toMatchObject({ title: 'Seats', value: 5000, currency: 'USD', org_id: 31, person_id: 801 });
    const activity = await client.call('POST', '/unified/crm/activities', account.id, { body: { data: { type: 'call', subject: 'Kickoff', start_time: '2026-07-01T15:00:00Z', contact_ids: ['801'], opportunity_id: deal.body.remote_id } } });
    expect(activity.body.result).toMatchObject({ type: 'call', subject: 'Kickoff', start_time: '2026-07-01T15:00:00.000Z', contact_ids: ['801'], opportunity_id: deal.body.remote_id });
  });

  it("turns Pipedrive's refusal of a deal without a title into a coded provider error, creating nothing", async () => {
    const size = pipedrive.crm.records.deals.size;
    const refused = await client.call('POST', '/unified/crm/opportunities', account.id, { body: { data: { amount: { amount: '10', currency: 'EUR' } } } });
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: 'title is required' });
    expect(pipedrive.crm.records.deals.size).toBe(size);
  });

  it('answers a spent burst window with 429 and the burst policy, never retrying, and reports x-ratelimit-* otherwise', async () => {
    const ok = await client.get('/unified/crm/contacts?limit=1', account.id);
    expect(ok.headers.get('ratelimit-policy')).toBe('"burst";q=20;w=2');
    expect(ok.headers.get('ratelimit')).toBe('"burst";r=19;t=2');
    const before = count('GET /v2/persons');
    pipedrive.crm.throttleNext(1, 2);
    const throttled = await client.get('/unified/crm/contacts?limit=1', account.id);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'pipedrive', 'violated-policies': ['burst'] });
    expect(count('GET /v2/persons')).toBe(before + 1);
  });

  it('enriches a thin v2 webhook with the record read from the v2 API; a delete goes out as it came', async () => {
    const send = (meta: Record<string, unknown>, data: unknown) =>
      fetch(account.webhook_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('switchyard:hook-pass').toString('base64')}` },
        body: JSON.stringify({ meta: { company_id: '7730011', id: randomUUID(), timestamp: new Date().toISOString(), type: 'general', user_id: '1201', version: '2.0', webhook_id: '55', attempt: 1, ...meta }, data, previous: {} }),
      });
    // v2 data carries the crucial fields only: no e-mails, no custom fields.
    expect((await send({ action: 'change', entity: 'person', entity_id: '805' }, { id: 805, name: 'Person 4 Example', org_id: 35 })).status).toBe(200);
    const enriched = JSON.parse((await eventually('the enriched person', () => receiver.delivered()[0])).body);
    expect(enriched).toMatchObject({
      type: 'crm/contacts:updated', record_id: '805', enrichment: { status: 'done', resource: 'crm/contacts', remote_id: '805' },
      data: { remote_id: '805', first_name: 'Person 4', email_addresses: [{ email_address: 'person4@example.com' }], custom_fields: { [PIPEDRIVE_TIER_FIELD]: null } },
    });
    const [leadId] = [...pipedrive.crm.leads.keys()];
    expect((await send({ action: 'create', entity: 'lead', entity_id: leadId }, { id: leadId, title: 'Lead 0' })).status).toBe(200);
    const lead = JSON.parse((await eventually('the enriched lead', () => receiver.delivered()[1])).body);
    expect(lead).toMatchObject({ type: 'crm/leads:created', enrichment: { status: 'done', resource: 'crm/leads' }, data: { remote_id: leadId, status: 'working', lead_source: 'Manually created' } });
    expect((await send({ action: 'delete', entity: 'deal', entity_id: '4010' }, null)).status).toBe(200);
    const deleted = JSON.parse((await eventually('the delete', () => receiver.delivered()[2])).body);
    expect(deleted).toMatchObject({ type: 'crm/opportunities:deleted', record_id: '4010', data: { remote_id: '4010' } });
    expect(deleted.enrichment).toBeUndefined();
  });
});
