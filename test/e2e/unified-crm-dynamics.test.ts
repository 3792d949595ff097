import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { unifiedClient } from '../harness/unified-client.js';
import { eventually } from '../harness/wait.js';
import { startDataverseApi, type DataverseApi } from '../simulators/dataverse-api.js';
import { guid } from '../simulators/dataverse-tables.js';

/** The unified CRM API over Dataverse accounts, leads, opportunities and activities (page size from the caller's limit), and the enrichment of stripped webhooks. */
describe('unified CRM API over Dynamics 365 / Dataverse', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let dv: DataverseApi;
  let client: ReturnType<typeof unifiedClient>;
  let receiver: Receiver;
  let account: { id: string; webhook_url: string };
  const keys = (set: string) => [...dv.state.tables[set]!.keys()].sort();
  const posts = () => dv.state.requests['POST /api/data/:version/:segment'] ?? 0;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    dv = await startDataverseApi();
    receiver = await startReceiver();
    rememberSecret('Dataverse access token', 'dv-access-token');
    rememberSecret('Dataverse webhook header key', 'dv-header-key');
    const apiKey = (await hub.createEnvironment('dynamics')).apiKey;
    client = unifiedClient(hub, apiKey);
    account = await client.connect('dynamics-365', { access_token: 'dv-access-token' }, { instance_host: 'contoso.crm.dynamics.com', base_url: `${dv.url}/api/data/v9.2` }, { webhook_secret: 'dv-header-key' });
    await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: receiver.url, event_types: ['crm/*'] } });
  });
  afterAll(async () => {
    await receiver?.close();
    await dv?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('walks every table by @odata.nextLink in pages of the caller\'s limit (Prefer: odata.maxpagesize={limit})', async () => {
    const accounts = await client.walk('crm/accounts', account.id, 7);
    expect(accounts).toEqual({ ids: keys('accounts'), pages: 5 });
    expect((await client.walk('crm/leads', account.id, 50)).ids).toEqual(keys('leads'));
    const opportunities = await client.walk('crm/opportunities', account.id, 100);
    expect(opportunities).toEqual({ ids: keys('opportunities'), pages: 2 });
    expect((await client.walk('crm/activities', account.id, 30)).ids).toEqual(keys('activitypointers'));
  });

  it('maps each table, reads one, and answers 404 for a row Dataverse lacks', async () => {
    const id = guid('opportunity-4');
    expect((await client.get(`/unified/crm/opportunities/${id}`, account.id)).body).toMatchObject({ remote_id: id, name: 'Opportunity 4', amount: { amount: '5004' }, status: 'won', stage: 'Close', probability: 100, account_id: guid('account-5'), contact_ids: [guid('contact-4')], close_date: '2026-10-31' });
    expect((await client.get(`/unified/crm/accounts/${guid('account-2')}`, account.id)).body).toMatchObject({ name: 'Fabrikam 2', website: 'fabrikam2.example.com', number_of_employees: 20, annual_revenue: { amount: '2000' }, addresses: [{ type: 'billing', street_1: '2 Pike St', city: 'Seattle', country: 'US' }] });
    expect((await client.get(`/unified/crm/leads/${guid('lead-5')}`, account.id)).body).toMatchObject({ first_name: 'Farid', last_name: 'Lead5', company: 'Prospect 5', status: 'qualified', email_addresses: [{ email_address: 'farid.lead5@example.com' }], custom_fields: { subject: 'Interest 5' } });
    expect((await client.get(`/unified/crm/activities/${guid('activity-1')}`, account.id)).body).toMatchObject({ type: 'call', status: 'planned', start_time: '2026-06-01T09:00:00.000Z', custom_fields: { regarding_id: guid('opportunity-1') } });
    expect((await client.get(`/unified/crm/leads/${randomUUID()}`, account.id)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('filters by updated_after in $filter on every page', async () => {
    const rows = [...dv.state.tables.opportunities!.values()];
    const since = String(rows[119]!.modifiedon);
    const recent = await client.walk('crm/opportunities', account.id, 10, `&updated_after=${encodeURIComponent(since)}`);
    expect(recent.ids.sort()).toEqual(rows.slice(120).map((r) => String(r.opportunityid)).sort());
    expect(recent.pages).toBe(3);
  });

  it('creates (return=representation), updates (If-Match: *) and deletes an account, writes a contact; an Idempotency-Key replay reaches Dataverse once', async () => {
    const key = randomUUID();
    const body = { data: { name: 'Contoso Pharma', website: 'contoso.example.com', number_of_employees: 40, addresses: [{ city: 'Lisbon', country: 'PT' }] } };
    const before = posts();
    const created = await client.call('POST', '/unified/crm/accounts', account.id, { body, key });
    expect(created.status).toBe(201);
    const id: string = created.body.remote_id;
    expect(created.body.result).toMatchObject({ remote_id: id, name: 'Contoso Pharma', addresses: [{ city: 'Lisbon', country: 'PT' }] });
    expect(dv.state.tables.accounts!.get(id)).toMatchObject({ name: 'Contoso Pharma', websiteurl: 'contoso.example.com', numberofemployees: 40, address1_city: 'Lisbon' });
    expect((await client.call('POST', '/unified/crm/accounts', account.id, { body, key })).body.remote_id).toBe(id);
    expect(posts()).toBe(before + 1);

    const updated = await client.call('PATCH', `/unified/crm/accounts/${id}`, account.id, { body: { data: { description: 'Generics' } } });
    expect(updated).toMatchObject({ status: 200, body: { remote_id: id, result: { name: 'Contoso Pharma', description: 'Generics' } } });
    expect((await client.call('DELETE', `/unified/crm/accounts/${id}`, account.id)).body).toEqual({ remote_id: id });
    // If-Match: * keeps a PATCH of a deleted row from creating it again (Dataverse's upsert).
    expect((await client.call('PATCH', `/unified/crm/accounts/${id}`, account.id, { body: { data: { name: 'Back' } } })).body.code).toBe('SWY_ERR_NOT_FOUND');
    expect(dv.state.tables.accounts!.has(id)).toBe(false);

    const contact = await client.call('POST', '/unified/crm/contacts', account.id, { body: { data: { first_name: 'Ada', last_name: 'Byron', email_addresses: [{ email_address: 'ada@example.com' }] } } });
    expect(contact.body.result).toMatchObject({ first_name: 'Ada', last_name: 'Byron', email_addresses: [{ email_address: 'ada@example.com' }] });
    const cleared = await client.call('PATCH', `/unified/crm/contacts/${contact.body.remote_id}`, account.id, { body: { data: { email_addresses: [] } } });
    expect(cleared.body.result).toMatchObject({ first_name: 'Ada', last_name: 'Byron' });
    expect(cleared.body.result).not.toHaveProperty('email_addresses');
    expect(dv.state.contacts.get(contact.body.remote_id)?.emailaddress1).toBeNull();

    const opportunity = await client.call('POST', '/unified/crm/opportunities', account.id, { body: { data: { name: 'Pilot', account_id: guid('account-1'), amount: { amount: '900' } } } });
    expect(opportunity.body.result).toMatchObject({ name: 'Pilot', account_id: guid('account-1'), amount: { amount: '900' } });
  });

  it('turns a refused bind and a missing required column into coded provider errors, creating nothing', async () => {
    const size = dv.state.tables.opportunities!.size;
    const unknownAccount = await client.call('POST', '/unified/crm/opportunities', account.id, { body: { data: { name: 'Orphan', account_id: randomUUID() } } });
    expect(unknownAccount.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: expect.stringMatching(/^account With Id = \/accounts\([0-9a-f-]+\) Does Not Exist$/) });
    const nameless = await client.call('POST', '/unified/crm/leads', account.id, { body: { data: { first_name: 'No', company: 'Last name' } } });
    expect(nameless.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: "Attribute 'lastname' cannot be NULL." });
    expect(dv.state.tables.opportunities!.size).toBe(size);
    expect((await client.call('POST', '/unified/crm/activities', account.id, { body: { data: { subject: 'x' } } })).body.code).toBe('SWY_ERR_RESOURCE_UNSUPPORTED');
  });

  it('answers service protection 429s on the new tables with the policy the error code names', async () => {
    dv.state.throttleNext(1, { retryAfterS: 3, limit: 'execution-time' });
    const throttled = await client.get('/unified/crm/leads?limit=5', account.id);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'dynamics-365', 'violated-policies': ['execution-time'] });
  });

  it('enriches a lead Update whose context Dataverse stripped (over 256 KB), from the leads table', async () => {
    const id = guid('lead-3');
    const context = { MessageName: 'Update', PrimaryEntityName: 'lead', PrimaryEntityId: id, OrganizationId: '4ef5b371-0000-4000-8000-0000000000c0', OrganizationName: 'contoso', Stage: 40, Mode: 1, Depth: 1, OperationCreatedOn: '/Date(1790000000000)/', OperationId: randomUUID(), CorrelationId: randomUUID(), OutputParameters: [], SharedVariables: [] };
    const sent = await fetch(account.webhook_url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-switchyard-key': 'dv-header-key', 'x-ms-dynamics-msg-size-exceeded': 'true' }, body: JSON.stringify(context) });
    expect(sent.status).toBe(200);
    const event = JSON.parse((await eventually('the enriched lead', () => receiver.delivered()[0])).body);
    expect(event).toMatchObject({ type: 'crm/leads:updated', record_id: id, enrichment: { status: 'done', resource: 'crm/leads', remote_id: id }, data: { remote_id: id, last_name: 'Lead3', company: 'Prospect 3', status: 'working' } });
  });
});
