import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { unifiedClient } from '../harness/unified-client.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { acumaticaNotification, startAcumaticaApi, type AcumaticaApi } from '../simulators/acumatica-api.js';

type Row = { id: string; remote_id: string } & Record<string, unknown>;

/**
 * Acumatica end to end: unsigned push notifications authenticated by one custom header at the edge,
 * Inserted/Deleted rows turned into created/updated/deleted events, redeliveries (same `Id` + `Query`)
 * dropped, customer and invoice events enriched through the contract-based REST API, which also backs
 * `GET /unified/accounting/contacts` and `/accounting/invoices` ($top/$skip, LastModifiedDateTime filter).
 */
describe('Acumatica push notifications and contract-based REST', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let acu: AcumaticaApi;
  let endpoint: Receiver;
  let apiKey: string;
  let accountId: string;
  let webhookUrl: string;
  let accessToken: string;
  const secret = 'acumatica-header-secret-6b1f0c2e9a';
  const logs: string[] = [];

  const get = async (path: string) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  /** A unified write for the account, with an Idempotency-Key when given. */
  const write = (method: string, path: string, body?: unknown, key?: string) => unifiedClient(hub, apiKey).call(method, path, accountId, { body, key });
  /** A valid create: a new CustomerID and a name, the two fields Acumatica requires. */
  const newCustomer = (customerId: string, extra: Record<string, unknown> = {}) => ({ data: { name: 'Harbour Freight Pty', email_address: 'ap@harbour.example', phone_numbers: [{ phone_number: '+61 2 5550 1234', phone_number_type: 'work' }], custom_fields: { customer_id: customerId }, ...extra } });
  /** Follows `next_cursor` to the end: every record, and each page's size. */
  const walk = async (resource: string, query: string) => {
    const seen: Row[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/unified/${resource}?integrated_account_id=${accountId}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...page.body.result);
      sizes.push(page.body.result.length);
      cursor = page.body.next_cursor;
    } while (cursor && sizes.length < 10);
    return { seen, sizes };
  };
  /** A valid push: the JSON body and the one custom header configured in SM302000. */
  const push = async (body: unknown, headers: Record<string, string> = { 'x-switchyard-token': secret }) => {
    const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const events = () => endpoint.delivered().map((d) => JSON.parse(d.body));
  const rawCount = async () => (await hub.runtime.bus.jsm.streams.info('RAW')).state.messages;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    [acu, endpoint] = await Promise.all([startAcumaticaApi(), startReceiver()]);
    apiKey = (await hub.createEnvironment('acumatica')).apiKey;
    accessToken = acu.oauth.issue().access_token;
    const account = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'acumatica', credentials: { access_token: accessToken }, webhook_secret: secret, config: { instance_host: 'contoso.acumatica.com', base_url: acu.url } },
    });
    expect(account.status).toBe(201);
    accountId = account.body.id;
    webhookUrl = account.body.webhook_url;
    await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: endpoint.url, event_types: ['accounting/*'] } });
  });
  afterAll(async () => {
    await Promise.all([acu?.close(), endpoint?.close()]);
    await hub?.close();
    await nats?.stop();
  });

  it('turns Inserted/Deleted rows into created, updated and deleted events, customers enriched', async () => {
    const existing = acu.state.customers[2]!;
    const note = acumaticaNotification('SwitchyardCustomers', '9001', 637054876495460000, {
      inserted: [{ CustomerID: existing.customerId, CustomerName: 'Renamed GmbH' }, { CustomerID: 'CNEW01', CustomerName: 'Brand New' }],
      deleted: [{ CustomerID: existing.customerId, CustomerName: existing.name }, { CustomerID: 'CGONE01', CustomerName: 'Gone Ltd' }],
    });
    expect((await push(note)).status).toBe(200);
    const all = await eventually('three events', () => events().length >= 3 && events(), 20_000);
    const byRecord = Object.fromEntries(all.map((e) => [e.record_id, e]));
    expect(byRecord[existing.customerId]).toMatchObject({
      type: 'accounting/contacts:updated',
      enrichment: { status: 'done', resource: 'accounting/contacts', remote_id: existing.customerId },
      data: { remote_id: existing.customerId, name: existing.name, is_customer: true, email_address: existing.email!.toLowerCase(), custom_fields: { customer_class: existing.customerClass } },
      remote_data: { Query: 'SwitchyardCustomers', Id: '9001', TimeStamp: 637054876495460000 },
    });
    // Not in the API (yet): the event still goes out, thin, and says so.
    expect(byRecord.CNEW01).toMatchObject({ type: 'accounting/contacts:created', enrichment: { status: 'failed' }, data: { remote_id: 'CNEW01', name: 'Brand New' } });
    expect(byRecord.CGONE01).toMatchObject({ type: 'accounting/contacts:deleted', data: { remote_id: 'CGONE01' } });
    expect(byRecord.CGONE01.enrichment).toBeUndefined();
  });

  it('drops a redelivered notification (same Id and Query), even re-serialized', async () => {
    const note = acumaticaNotification('SwitchyardVendors', '9002', 637054876495470000, { inserted: [{ VendorID: 'V100', VendorName: 'Supplies Inc' }] });
    expect((await push(note)).status).toBe(200);
    await eventually('the vendor event', () => events().find((e) => e.record_id === 'V100'), 20_000);
    expect((await push(JSON.stringify(note, null, 2))).status).toBe(200);
    // A later notification arriving proves the redelivery was processed (or dropped) before it.
    expect((await push(acumaticaNotification('SwitchyardInvoices', '9003', 637054876495480000, { inserted: [{ ReferenceNbr: 'AR0001' }] }))).status).toBe(200);
    await eventually('the invoice event', () => events().find((e) => e.record_id === 'AR0001'), 20_000);
    expect(events().filter((e) => e.record_id === 'V100')).toHaveLength(1);
    expect(events().find((e) => e.record_id === 'AR0001')).toMatchObject({ type: 'accounting/invoices:created', data: { type: 'accounts_receivable' } });
  });

  it('refuses a valid push minus the header, or with a wrong value, with a coded 401 and stores nothing', async () => {
    const note = acumaticaNotification('SwitchyardCustomers', '9100', 1, { inserted: [{ CustomerID: 'CX' }] });
    const before = await rawCount();
    const missing = await push(note, {});
    expect(missing).toMatchObject({ status: 401, body: { code: 'SWY_ERR_TOKEN_MISSING' } });
    const wrong = await push(note, { 'x-switchyard-token': `${secret.slice(0, -1)}x` });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'SWY_ERR_TOKEN_INVALID' } });
    expect(await rawCount()).toBe(before);
  });

  it('keeps an unknown inquiry in DEAD with a coded error instead of guessing', async () => {
    expect((await push(acumaticaNotification('SalesOrders', '9200', 5, { inserted: [{ OrderNbr: 'SO1' }] }))).status).toBe(200);
    const dead = await eventually('the dead letter', async () => {
      const list = await get('/v1/dead-letters');
      return (list.body?.data ?? list.body?.result ?? []).find((d: { provider?: string }) => d.provider === 'acumatica');
    }, 20_000);
    expect(JSON.stringify(dead)).toContain('SWY_ERR_MAPPING_FAILED');
  });

  it('lists customers with $top/$skip behind the cursor and filters on LastModifiedDateTime', async () => {
    const { seen, sizes } = await walk('accounting/contacts', '&limit=50');
    expect(sizes).toEqual([50, 50, 30]);
    expect(seen.map((r) => r.remote_id)).toEqual(acu.state.customers.map((c) => c.customerId));
    const inactive = acu.state.customers[6]!;
    expect(seen[6]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: inactive.customerId,
      name: inactive.name,
      is_customer: true,
      email_address: inactive.email!.toLowerCase(),
      phone_numbers: [{ phone_number: inactive.phone, phone_number_type: 'work' }],
      status: 'archived',
      currency: 'USD',
      remote_created_at: inactive.created,
      remote_updated_at: inactive.modified,
      custom_fields: { note_id: inactive.noteId, customer_class: inactive.customerClass, status: 'Inactive' },
    });
    const since = acu.state.customers[99]!.modified;
    const recent = await get(`/unified/accounting/contacts?integrated_account_id=${accountId}&limit=100&updated_after=${encodeURIComponent(since)}`);
    expect(recent.body.result.map((r: Row) => r.remote_id)).toEqual(acu.state.customers.slice(100).map((c) => c.customerId));
    expect(acu.state.lastFilter).toBe(`LastModifiedDateTime gt datetimeoffset'${since}'`);
  });

  it('lists AR invoices (not credit memos) with their lines, $top/$skip behind the cursor, LastModifiedDateTime filter; reads one by ReferenceNbr', async () => {
    const invoices = acu.state.invoices.filter((d) => d.type === 'Invoice');
    const { seen, sizes } = await walk('accounting/invoices', '&limit=30');
    expect(sizes).toEqual([30, 30, 10]);
    expect(seen.map((r) => r.remote_id)).toEqual(invoices.map((d) => d.referenceNbr));
    const partial = invoices[1]!;
    expect(seen[1]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: 'AR000002',
      type: 'accounts_receivable',
      contact_id: partial.customerId,
      number: 'AR000002',
      issue_date: '2026-02-03',
      due_date: '2026-03-05',
      memo: 'Order 2',
      currency: 'USD',
      sub_total: '105',
      total_tax_amount: '8.4',
      total_amount: '113.4',
      balance: '56.7',
      status: 'partially_paid',
      line_items: [{ remote_id: partial.lines[0]!.lineId, description: 'Consulting hours', quantity: 4, unit_price: '26.25', total_amount: '105', item_id: 'CONSULTING', account_id: '40000' }],
      remote_created_at: partial.created,
      remote_updated_at: partial.modified,
      custom_fields: { note_id: partial.noteId, status: 'Open' },
    });
    expect(seen.slice(0, 6).map((r) => r.status)).toEqual(['open', 'partially_paid', 'paid', 'draft', 'draft', 'void']);
    expect(seen[0]).not.toHaveProperty('memo');
    const one = await get(`/unified/accounting/invoices/AR000002?integrated_account_id=${accountId}`);
    expect(one.body).toEqual(seen[1]);
    // A credit memo shares the entity but is not an invoice: it is neither listed nor read as one.
    expect((await get(`/unified/accounting/invoices/CM000008?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    const since = acu.state.invoices[59]!.modified;
    const recent = await get(`/unified/accounting/invoices?integrated_account_id=${accountId}&limit=100&updated_after=${encodeURIComponent(since)}`);
    expect(recent.body.result.map((r: Row) => r.remote_id)).toEqual(acu.state.invoices.slice(60).filter((d) => d.type === 'Invoice').map((d) => d.referenceNbr));
    expect(acu.state.lastFilter).toBe(`Type eq 'Invoice' and LastModifiedDateTime gt datetimeoffset'${since}'`);
  });

  it('enriches an invoice notification with the document read back from the API', async () => {
    const invoice = acu.state.invoices[2]!;
    expect((await push(acumaticaNotification('SwitchyardInvoices', '9300', 637054876495490000, { inserted: [{ ReferenceNbr: invoice.referenceNbr }], deleted: [{ ReferenceNbr: invoice.referenceNbr }] }))).status).toBe(200);
    const event = await eventually('the enriched invoice', () => events().find((e) => e.record_id === invoice.referenceNbr), 20_000);
    expect(event).toMatchObject({
      type: 'accounting/invoices:updated',
      enrichment: { status: 'done', resource: 'accounting/invoices', remote_id: invoice.referenceNbr },
      data: { remote_id: invoice.referenceNbr, contact_id: invoice.customerId, status: 'paid', balance: '0', total_amount: String(invoice.amount) },
    });
  });

  it('passes the licence 429 through, never retrying it', async () => {
    const route = 'GET /entity/Default/23.200.001/Customer';
    const before = acu.state.requests[route] ?? 0;
    acu.state.throttleNext(1);
    const throttled = await get(`/unified/accounting/contacts?integrated_account_id=${accountId}`);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'acumatica', 'violated-policies': ['license'] });
    expect(acu.state.requests[route]).toBe(before + 1);
  });

  it('creates a customer with PUT under If-None-Match: *, answered as the saved record; the same Idempotency-Key replays without a second PUT', async () => {
    const before = acu.state.customers.length;
    const first = await write('POST', '/unified/accounting/contacts', newCustomer('HARBOUR'), 'acu-create-1');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const saved = acu.state.customers.find((c) => c.customerId === 'HARBOUR')!;
    expect(saved).toMatchObject({ name: 'Harbour Freight Pty', email: 'ap@harbour.example', phone: '+61 2 5550 1234', status: 'Active' });
    expect(first.body).toEqual({
      remote_id: 'HARBOUR',
      result: {
        id: expect.stringMatching(/^rec_/),
        remote_id: 'HARBOUR',
        name: 'Harbour Freight Pty',
        is_customer: true,
        email_address: 'ap@harbour.example',
        phone_numbers: [{ phone_number: '+61 2 5550 1234', phone_number_type: 'work' }],
        status: 'active',
        currency: 'USD',
        remote_created_at: new Date(saved.created).toISOString(),
        remote_updated_at: new Date(saved.modified).toISOString(),
        custom_fields: { note_id: saved.noteId, customer_class: 'DEFAULT', status: 'Active' },
      },
    });
    // An upsert must not overwrite a customer that happens to have the key: the create says "insert only".
    expect(acu.state.writes.at(-1)).toMatchObject({ customerId: 'HARBOUR', ifNoneMatch: '*', ifMatch: undefined });
    const puts = acu.state.writes.length;
    const replay = await write('POST', '/unified/accounting/contacts', newCustomer('HARBOUR'), 'acu-create-1');
    expect(replay).toMatchObject({ status: 201, body: { remote_id: 'HARBOUR' } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(acu.state.writes.length).toBe(puts);
    expect(acu.state.customers.length).toBe(before + 1);
    expect((await get(`/unified/accounting/contacts/HARBOUR?integrated_account_id=${accountId}`)).body).toEqual(first.body.result);
  });

  it('refuses a create whose CustomerID exists instead of overwriting that customer, with Acumatica\'s reason', async () => {
    const existing = acu.state.customers[0]!;
    const name = existing.name;
    const taken = await write('POST', '/unified/accounting/contacts', newCustomer(existing.customerId));
    expect(taken.body).toMatchObject({ status: 422, code: 'SWY_ERR_PROVIDER_REFUSED', provider_status: 412, provider_message: `A record with the key '${existing.customerId}' already exists.` });
    expect(existing.name).toBe(name);
  });

  it('refuses a create minus the customer name with 422 SWY_ERR_PROVIDER_REFUSED naming the field, and creates nothing', async () => {
    const before = acu.state.customers.length;
    const { data } = newCustomer('NONAME');
    const { name: _name, ...unnamed } = data;
    const refused = await write('POST', '/unified/accounting/contacts', { data: unnamed });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', provider_status: 422, provider_message: "'Customer Name' cannot be empty." });
    expect(acu.state.customers.length).toBe(before);
  });

  it('updates only the fields sent, by CustomerID under If-Match: *', async () => {
    const target = acu.state.customers[10]!;
    const { name, phone, customerClass } = target;
    const updated = await write('PATCH', `/unified/accounting/contacts/${target.customerId}`, { data: { email_address: 'billing@renamed.example', status: 'archived' } });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(target).toMatchObject({ name, phone, customerClass, email: 'billing@renamed.example', status: 'Inactive' });
    expect(updated.body).toMatchObject({ remote_id: target.customerId, result: { remote_id: target.customerId, name, email_address: 'billing@renamed.example', status: 'archived', phone_numbers: [{ phone_number: phone }] } });
    expect(acu.state.writes.at(-1)).toMatchObject({ customerId: target.customerId, ifMatch: '*', ifNoneMatch: undefined });
  });

  it('answers an update of an unknown CustomerID with 404 SWY_ERR_NOT_FOUND and creates nothing (the PUT would otherwise insert it)', async () => {
    const before = acu.state.customers.length;
    const missing = await write('PATCH', '/unified/accounting/contacts/NOSUCH', { data: { name: 'Ghost Ltd' } });
    expect(missing.body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect(acu.state.customers.length).toBe(before);
    expect(acu.state.customers.some((c) => c.customerId === 'NOSUCH')).toBe(false);
  });

  it('deletes a customer by CustomerID; an unknown one is 404', async () => {
    expect((await write('POST', '/unified/accounting/contacts', newCustomer('SHORTLIVED'))).status).toBe(201);
    const deleted = await write('DELETE', '/unified/accounting/contacts/SHORTLIVED');
    expect(deleted).toMatchObject({ status: 200, body: { remote_id: 'SHORTLIVED' } });
    expect((await get(`/unified/accounting/contacts/SHORTLIVED?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect((await write('DELETE', '/unified/accounting/contacts/SHORTLIVED')).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('keeps the header secret, the access token and written records out of the logs', () => {
    const all = logs.join('');
    for (const value of [secret, accessToken, apiKey, 'Harbour Freight Pty', 'ap@harbour.example', 'billing@renamed.example']) expect(all).not.toContain(value);
  });
});
