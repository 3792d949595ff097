import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { unifiedClient } from '../harness/unified-client.js';
import { startSalesforceApi, type SalesforceApi, type SObjectType } from '../simulators/salesforce-api.js';

/** Salesforce leads, opportunities and activities (Task; Event read) through the unified API, in the style of contacts/accounts. */
describe('unified CRM API over Salesforce leads, opportunities and activities', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let salesforce: SalesforceApi;
  let client: ReturnType<typeof unifiedClient>;
  let sf: string;
  const ids = (type: SObjectType, where: (f: Record<string, unknown>) => boolean = () => true) =>
    [...salesforce.state.records.values()].filter((r) => r.type === type && where(r.fields)).map((r) => String(r.fields.Id)).sort();
  const row = (type: SObjectType, n: number) => [...salesforce.state.records.values()].filter((r) => r.type === type)[n - 1]!.fields;
  const posts = () => salesforce.state.requests['POST /services/data/:version/sobjects/:type'] ?? 0;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    salesforce = await startSalesforceApi();
    client = unifiedClient(hub, (await hub.createEnvironment('salesforce')).apiKey);
    sf = (await client.connect('salesforce', { access_token: 'sf-access-token' }, { base_url: salesforce.url })).id;
  });
  afterAll(async () => {
    await salesforce?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('walks leads, opportunities and Tasks by nextRecordsUrl; type=meeting walks Events, type=call only calls', async () => {
    expect(await client.walk('crm/leads', sf, 200)).toEqual({ ids: ids('Lead'), pages: 2 });
    expect((await client.walk('crm/opportunities', sf, 200)).ids).toEqual(ids('Opportunity'));
    expect((await client.walk('crm/activities', sf, 200)).ids).toEqual(ids('Task'));
    expect((await client.walk('crm/activities', sf, 200, '&type=meeting')).ids).toEqual(ids('Event'));
    expect((await client.walk('crm/activities', sf, 200, '&type=call')).ids).toEqual(ids('Task', (f) => f.TaskSubtype === 'Call'));
    expect((await client.get('/unified/crm/activities?type=lunch', sf)).body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
  });

  it('maps a converted lead, a won opportunity, a call Task and an Event, each read by id', async () => {
    const converted = row('Lead', 10);
    expect((await client.get(`/unified/crm/leads/${String(converted.Id)}`, sf)).body).toMatchObject({
      first_name: 'Lea10', company: 'Prospect 10', status: 'converted', converted_at: '2026-02-01T00:00:00.000Z', converted_contact_id: converted.ConvertedContactId, email_addresses: [{ email_address: 'lea.10@example.com' }],
    });
    const won = row('Opportunity', 3);
    expect((await client.get(`/unified/crm/opportunities/${String(won.Id)}`, sf)).body).toMatchObject({ name: 'Opportunity 3', stage: 'Closed Won', status: 'won', amount: { amount: '3000' }, probability: 100, account_id: won.AccountId, close_date: '2026-12-15' });
    const call = row('Task', 3);
    expect((await client.get(`/unified/crm/activities/${String(call.Id)}`, sf)).body).toMatchObject({ type: 'call', direction: 'outbound', status: 'completed', subject: 'Call 3', contact_ids: [call.WhoId], account_id: call.WhatId, due_date: '2026-05-20' });
    const meeting = row('Event', 2);
    expect((await client.get(`/unified/crm/activities/${String(meeting.Id)}`, sf)).body).toMatchObject({ type: 'meeting', subject: 'Meeting 2', start_time: '2026-05-21T15:00:00.000Z', end_time: '2026-05-21T16:00:00.000Z' });
    expect((await client.get('/unified/crm/activities/00TDn0000999999AAA', sf)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('filters leads by updated_after in SOQL', async () => {
    const since = String(row('Lead', 200).LastModifiedDate).replace('+0000', 'Z');
    const recent = await client.walk('crm/leads', sf, 200, `&updated_after=${encodeURIComponent(since)}`);
    expect(recent.ids).toEqual(ids('Lead', (f) => Date.parse(String(f.LastModifiedDate).replace('+0000', 'Z')) > Date.parse(since)));
    expect(recent.ids).toHaveLength(30);
  });

  it('creates, updates and deletes a lead, an opportunity and a Task; an Idempotency-Key replay reaches Salesforce once', async () => {
    const key = randomUUID();
    const body = { data: { first_name: 'Lin', last_name: 'Prospect', company: 'Initech', status: 'working', email_addresses: [{ email_address: 'lin@example.com' }] } };
    const before = posts();
    const lead = await client.call('POST', '/unified/crm/leads', sf, { body, key });
    expect(lead.status).toBe(201);
    expect(lead.body.remote_id).toMatch(/^00Q/);
    expect((await client.call('POST', '/unified/crm/leads', sf, { body, key })).body.remote_id).toBe(lead.body.remote_id);
    expect(posts()).toBe(before + 1);
    expect(salesforce.state.records.get(lead.body.remote_id)?.fields).toMatchObject({ LastName: 'Prospect', Company: 'Initech', Status: 'Working - Contacted', Email: 'lin@example.com' });
    expect((await client.call('PATCH', `/unified/crm/leads/${lead.body.remote_id}`, sf, { body: { data: { status: 'unqualified' } } })).status).toBe(200);
    expect((await client.get(`/unified/crm/leads/${lead.body.remote_id}`, sf)).body).toMatchObject({ status: 'unqualified', company: 'Initech' });
    expect((await client.call('DELETE', `/unified/crm/leads/${lead.body.remote_id}`, sf)).status).toBe(200);
    expect(salesforce.state.records.has(lead.body.remote_id)).toBe(false);

    const account = ids('Account')[0]!;
    const deal = await client.call('POST', '/unified/crm/opportunities', sf, { body: { data: { name: 'Renewal', status: 'won', close_date: '2026-09-30', amount: { amount: '1200' }, account_id: account } } });
    expect((await client.get(`/unified/crm/opportunities/${deal.body.remote_id}`, sf)).body).toMatchObject({ name: 'Renewal', stage: 'Closed Won', status: 'won', account_id: account });

    const contact = ids('Contact')[0]!;
    const task = await client.call('POST', '/unified/crm/activities', sf, { body: { data: { type: 'call', subject: 'Intro', direction: 'inbound', contact_ids: [contact], opportunity_id: deal.body.remote_id, due_date: '2026-06-02' } } });
    expect(task.body.remote_id).toMatch(/^00T/);
    expect((await client.call('PATCH', `/unified/crm/activities/${task.body.remote_id}`, sf, { body: { data: { status: 'completed' } } })).status).toBe(200);
    expect((await client.get(`/unified/crm/activities/${task.body.remote_id}`, sf)).body).toMatchObject({ type: 'call', direction: 'inbound', status: 'completed', contact_ids: [contact], opportunity_id: deal.body.remote_id, account_id: account });
    const meeting = await client.call('POST', '/unified/crm/activities', sf, { body: { data: { type: 'meeting', subject: 'Demo' } } });
    expect(meeting.body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });
  });

  it("turns Salesforce's REQUIRED_FIELD_MISSING into a coded provider error and REQUEST_LIMIT_EXCEEDED into our 429", async () => {
    const size = salesforce.state.records.size;
    const refused = await client.call('POST', '/unified/crm/leads', sf, { body: { data: { last_name: 'Nocompany' } } });
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, provider_status: 400, provider_message: 'Required fields are missing: [Company]' });
    expect(salesforce.state.records.size).toBe(size);
    salesforce.state.throttleNext(1);
    const throttled = await client.get('/unified/crm/activities?limit=5', sf);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'salesforce', 'violated-policies': ['api-usage'] });
  });
});
