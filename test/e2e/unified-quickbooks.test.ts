import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { unifiedClient } from '../harness/unified-client.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { startQuickBooksApi, type QuickBooksApi } from '../simulators/quickbooks-api.js';

type Row = { id: string; remote_id: string } & Record<string, unknown>;

/**
 * QuickBooks Online behind the unified API: accounting/contacts (Customer, or Vendor with
 * `contact_type=supplier`), accounting/invoices and accounting/purchase_orders through the query endpoint, paged with STARTPOSITION /
 * MAXRESULTS inside the query text; its thin entity-change webhooks enriched through the same reads.
 */
describe('unified accounting over QuickBooks Online', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let qbo: QuickBooksApi;
  let endpoint: Receiver;
  let apiKey: string;
  let accountId: string;
  let appWebhookUrl: string;
  let accessToken: string;
  const verifier = 'qbo-verifier-token';
  const logs: string[] = [];

  const get = async (path: string) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  /** A unified write for the account, with an Idempotency-Key when given. */
  const write = (method: string, path: string, body?: unknown, key?: string) => unifiedClient(hub, apiKey).call(method, path, accountId, { body, key });
  const customer = (id: string) => qbo.state.entities.Customer.find((c) => c.Id === id)!;
  const walk = async (resource: string, query = '') => {
    const seen: Row[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/unified/${resource}?integrated_account_id=${accountId}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...(page.body.result as Row[]));
      sizes.push(page.body.result.length);
      cursor = page.body.next_cursor;
      expect(sizes.length).toBeLessThan(50);
    } while (cursor);
    return { seen, ids: seen.map((r) => r.remote_id), sizes };
  };
  /** A classic QuickBooks delivery for the account's realm, signed as Intuit signs it (base64 HMAC-SHA256 of the body). */
  const sendChanges = (entities: Array<{ name: string; id: string; operation: string }>) => {
    const body = JSON.stringify({
      eventNotifications: [{ realmId: qbo.state.realmId, dataChangeEvent: { entities: entities.map((e, i) => ({ ...e, lastUpdated: new Date(Date.now() - 10_000 + i).toISOString() })) } }],
    });
    return fetch(appWebhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'intuit-signature': createHmac('sha256', verifier).update(body).digest('base64') }, body });
  };
  const delivered = (type: string, recordId: string) =>
    eventually(`${type} ${recordId}`, () => endpoint.delivered().map((d) => JSON.parse(d.body)).find((e) => e.type === type && e.record_id === recordId), 20_000);

  beforeAll(async () => {
    nats = await startTestNats();
    // A short provider timeout makes a lost answer (QuickBooks wrote, the hub never heard) cheap to stage.
    hub = await startTestHub(nats.url, { SWITCHYARD_PROVIDER_TIMEOUT_MS: '1500' }, logs);
    [qbo, endpoint] = await Promise.all([startQuickBooksApi(), startReceiver()]);
    apiKey = (await hub.createEnvironment('qbo')).apiKey;
    accessToken = qbo.oauth.issue().access_token;
    const app = await hub.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: 'quickbooks-online', client_id: 'qbo-client', webhook_secret: verifier } });
    expect(app.status).toBe(201);
    appWebhookUrl = app.body.webhook_url;
    const account = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'quickbooks-online', provider_app_id: app.body.id, remote_key: qbo.state.realmId, credentials: { access_token: accessToken }, config: { realm_id: qbo.state.realmId, base_url: qbo.url } },
    });
    expect(account.status).toBe(201);
    accountId = account.body.id;
    await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: endpoint.url, event_types: ['accounting/*'] } });
  });
  afterAll(async () => {
    await Promise.all([qbo?.close(), endpoint?.close()]);
    await hub?.close();
    await nats?.stop();
  });

  it('walks every customer with STARTPOSITION/MAXRESULTS inside the query text, with no gaps or repeats', async () => {
    const { ids, sizes, seen } = await walk('accounting/contacts', '&limit=100');
    expect(sizes).toEqual([100, 100, 30]);
    expect(ids).toEqual(qbo.state.entities.Customer.map((c) => c.Id));
    expect(qbo.state.queries.slice(0, 3)).toEqual([
      'SELECT * FROM Customer ORDERBY Id STARTPOSITION 1 MAXRESULTS 100',
      'SELECT * FROM Customer ORDERBY Id STARTPOSITION 101 MAXRESULTS 100',
      'SELECT * FROM Customer ORDERBY Id STARTPOSITION 201 MAXRESULTS 100',
    ]);
    expect(seen[1]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: '2',
      name: 'Customer 2 Ltd',
      is_customer: true,
      is_supplier: false,
      email_address: 'billing1@customer.example',
      phone_numbers: [{ phone_number: '(555) 010-0001', phone_number_type: 'work' }],
      addresses: [{ type: 'billing', street_1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' }],
      status: 'active',
      currency: 'USD',
      remote_created_at: '2026-01-01T12:01:00.000Z',
      remote_updated_at: '2026-01-01T13:00:00.000Z',
      custom_fields: { company_name: 'Customer 2 Ltd', balance: 10, sync_token: '0' },
    });
    // "USA" is not an ISO 3166 code: the country is left out rather than guessed.
    expect(seen[0]!.addresses).toEqual([expect.not.objectContaining({ country: expect.anything() })]);
    expect(seen[8]).toMatchObject({ status: 'archived' });
  });

  it('lists vendors as suppliers, and keeps updated_after in the WHERE clause on every page', async () => {
    const vendors = await walk('accounting/contacts', '&limit=25&contact_type=supplier');
    // A vendor's id is vendor:<Id>: Customer 500 and Vendor 500 are two records of one resource.
    expect(vendors.ids).toEqual(qbo.state.entities.Vendor.map((v) => `vendor:${v.Id}`));
    expect(vendors.seen[0]).toMatchObject({ name: 'Supplier 0', is_supplier: true, is_customer: false, tax_number: 'XXX-XX-1000' });
    const since = '2026-01-05T00:00:00Z';
    const { ids } = await walk('accounting/contacts', `&limit=50&updated_after=${encodeURIComponent(since)}`);
    expect(ids).toEqual(qbo.state.entities.Customer.filter((c) => Date.parse(c.MetaData.LastUpdatedTime) > Date.parse(since)).map((c) => c.Id));
    expect(qbo.state.queries.at(-1)).toMatch(/^SELECT \* FROM Customer WHERE MetaData\.LastUpdatedTime > '2026-01-05T00:00:00\.000Z' ORDERBY Id STARTPOSITION \d+ MAXRESULTS 50$/);
  });

  it('lists and reads invoices with lines, balance-derived status and the customer reference', async () => {
    const { seen, sizes } = await walk('accounting/invoices', '&limit=50');
    expect(sizes.slice(0, 3)).toEqual([50, 50, 20]);
    expect(seen.map((i) => i.status).slice(0, 3)).toEqual(['paid', 'open', 'partially_paid']);
    expect(seen[2]).toMatchObject({
      remote_id: '1002',
      type: 'accounts_receivable',
      contact_id: '3',
      number: 'INV-1002',
      issue_date: '2026-02-01',
      due_date: '2026-03-03',
      currency: 'USD',
      sub_total: '102',
      total_amount: '102',
      balance: '40',
      line_items: [{ remote_id: '1', description: 'Consulting', quantity: 1, unit_price: '102', total_amount: '102', item_id: '7' }],
    });
    const one = await get(`/unified/accounting/invoices/1002?integrated_account_id=${accountId}`);
    expect(one.body).toEqual(seen[2]);
    expect((await get(`/unified/accounting/invoices/99999?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('lists purchase orders with their vendor, ship-to address, item and account lines and custom fields; reads one; keeps updated_after on every page', async () => {
    const { seen, sizes } = await walk('accounting/purchase_orders', '&limit=30');
    expect(sizes).toEqual([30, 30, 10]);
    expect(seen.map((p) => p.remote_id)).toEqual(qbo.state.entities.PurchaseOrder.map((p) => p.Id));
    expect(qbo.state.queries.at(-1)).toBe('SELECT * FROM PurchaseOrder ORDERBY Id STARTPOSITION 61 MAXRESULTS 30');
    expect(seen[0]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: '2000',
      vendor_id: '500',
      number: 'PO-2000',
      status: 'submitted',
      issue_date: '2026-02-10',
      delivery_address: { type: 'shipping', street_1: '500 Dock Rd', city: 'Oakland', state: 'CA', postal_code: '94607', country: 'US' },
      memo: 'Deliver to dock 3',
      currency: 'USD',
      total_amount: '250',
      line_items: [
        { remote_id: '1', description: 'Pallets', quantity: 20, unit_price: '10', total_amount: '200', item_id: '11', tax_rate_id: 'NON' },
        { remote_id: '2', description: 'Freight', total_amount: '50', account_id: '57', tax_rate_id: 'NON' },
      ],
      remote_created_at: '2026-01-01T12:00:00.000Z',
      remote_updated_at: '2026-01-01T12:00:00.000Z',
      custom_fields: { sync_token: '0', email_status: 'NotSet', 'Crew #': 'C0' },
    });
    // No message to the vendor: the internal note is the memo. Closed orders are closed; a foreign currency keeps its rate.
    expect(seen[1]).toMatchObject({ memo: 'Approved by Sam', custom_fields: { sync_token: '1', email_status: 'NotSet' } });
    expect(seen[3]).toMatchObject({ status: 'closed' });
    expect(seen[4]).toMatchObject({ currency: 'EUR', exchange_rate: 1.08 });
    const one = await get(`/unified/accounting/purchase_orders/2004?integrated_account_id=${accountId}&include_remote_data=true`);
    expect(one.body).toEqual({ ...seen[4], remote_data: qbo.state.entities.PurchaseOrder[4] });
    expect(qbo.state.queries.at(-1)).toBe("SELECT * FROM PurchaseOrder WHERE Id = '2004'");
    expect((await get(`/unified/accounting/purchase_orders/1002?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    const since = '2026-01-03T00:00:00Z';
    const recent = await walk('accounting/purchase_orders', `&limit=20&updated_after=${encodeURIComponent(since)}`);
    expect(recent.ids).toEqual(qbo.state.entities.PurchaseOrder.filter((p) => Date.parse(p.MetaData.LastUpdatedTime) > Date.parse(since)).map((p) => p.Id));
    expect(recent.ids.length).toBeGreaterThan(0);
    expect(qbo.state.queries.at(-1)).toMatch(/^SELECT \* FROM PurchaseOrder WHERE MetaData\.LastUpdatedTime > '2026-01-03T00:00:00\.000Z' ORDERBY Id STARTPOSITION \d+ MAXRESULTS 20$/);
  });

  it("refuses a cursor of one filter's walk for another (suppliers' position read as customers), and takes it back with the same filters", async () => {
    const base = `/unified/accounting/contacts?integrated_account_id=${accountId}&limit=5`;
    const first = await get(`${base}&contact_type=supplier`);
    expect(first.status).toBe(200);
    const cursor = encodeURIComponent(first.body.next_cursor);
    for (const other of ['', '&contact_type=customer', `&contact_type=supplier&updated_after=${encodeURIComponent('2026-01-05T00:00:00Z')}`]) {
      const refused = await get(`${base}${other}&cursor=${cursor}`);
      expect(refused.status, other).toBe(400);
      expect(refused.body).toMatchObject({ code: 'SWY_ERR_CURSOR_INVALID', detail: expect.stringContaining('resource and filters') });
    }
    // limit may change between pages; the filters may not.
    const second = await get(`/unified/accounting/contacts?integrated_account_id=${accountId}&limit=7&contact_type=supplier&cursor=${cursor}`);
    expect(second.status).toBe(200);
    expect(second.body.result.map((r: Row) => r.remote_id)).toEqual(qbo.state.entities.Vendor.slice(5, 12).map((v) => `vendor:${v.Id}`));
  });

  it('reads a customer by id and a vendor as vendor:<id>; the id cannot inject into the query', async () => {
    expect((await get(`/unified/accounting/contacts/7?integrated_account_id=${accountId}`)).body).toMatchObject({ remote_id: '7', is_customer: true });
    const vendor = await get(`/unified/accounting/contacts/vendor:503?integrated_account_id=${accountId}`);
    expect(vendor.body).toMatchObject({ remote_id: 'vendor:503', name: 'Supplier 3', is_supplier: true });
    expect(qbo.state.queries.at(-1)).toBe("SELECT * FROM Vendor WHERE Id = '503'");
    // Only the digits of the id reach the query text: one record, never a widened WHERE clause.
    const hostile = await get(`/unified/accounting/contacts/${encodeURIComponent("7' OR DisplayName > 'A")}?integrated_account_id=${accountId}`);
    expect(qbo.state.queries.at(-1)).toBe("SELECT * FROM Customer WHERE Id = '7'");
    expect(hostile.body).toMatchObject({ remote_id: '7' });
  });

  it('enriches Customer, Vendor, Invoice and PurchaseOrder change events; a void stays thin with its status, a delete has nothing to read', async () => {
    expect(
      (
        await sendChanges([
          { name: 'Customer', id: '12', operation: 'Update' },
          { name: 'Vendor', id: '505', operation: 'Create' },
          { name: 'Invoice', id: '1004', operation: 'Update' },
          { name: 'Invoice', id: '1005', operation: 'Void' },
          { name: 'PurchaseOrder', id: '2003', operation: 'Update' },
          { name: 'PurchaseOrder', id: '2006', operation: 'Delete' },
        ])
      ).status,
    ).toBe(200);
    const customer = await delivered('accounting/contacts:updated', '12');
    expect(customer).toMatchObject({ enrichment: { status: 'done', resource: 'accounting/contacts', remote_id: '12' }, data: { remote_id: '12', name: 'Customer 12 Ltd', is_customer: true } });
    const vendor = await delivered('accounting/contacts:created', 'vendor:505');
    expect(vendor).toMatchObject({ record_id: 'vendor:505', enrichment: { status: 'done', remote_id: 'vendor:505' }, data: { remote_id: 'vendor:505', name: 'Supplier 5', is_supplier: true } });
    const invoice = await delivered('accounting/invoices:updated', '1004');
    expect(invoice).toMatchObject({ enrichment: { status: 'done' }, data: { remote_id: '1004', number: 'INV-1004', total_amount: '104' } });
    const voided = await delivered('accounting/invoices:updated', '1005');
    expect(voided.enrichment).toBeUndefined();
    expect(voided.data).toMatchObject({ remote_id: '1005', status: 'void' });
    const order = await delivered('accounting/purchase_orders:updated', '2003');
    expect(order).toMatchObject({ enrichment: { status: 'done', resource: 'accounting/purchase_orders', remote_id: '2003' }, data: { remote_id: '2003', number: 'PO-2003', status: 'closed', vendor_id: '503' } });
    const removed = await delivered('accounting/purchase_orders:deleted', '2006');
    expect(removed.enrichment).toBeUndefined();
    expect(removed.data).toMatchObject({ remote_id: '2006' });
  });

  it('passes ThrottleExceeded through as our 429, never retrying it', async () => {
    const route = 'GET /v3/company/:realm/query';
    const before = qbo.state.requests[route] ?? 0;
    qbo.state.throttleNext(1);
    const throttled = await get(`/unified/accounting/invoices?integrated_account_id=${accountId}`);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'quickbooks-online', 'violated-policies': ['per-realm'] });
    expect(qbo.state.requests[route]).toBe(before + 1);
  });

  it('creates a Customer (POST …/customer), answered as the saved record; the same Idempotency-Key replays without a second create', async () => {
    const before = qbo.state.entities.Customer.length;
    const body = { data: { name: 'Blue Heron Cafe', email_address: 'ap@blueheron.example', phone_numbers: [{ phone_number: '(555) 867-5309', phone_number_type: 'work' }], addresses: [{ type: 'billing', street_1: '1 Pier St', city: 'Oakland', state: 'CA', postal_code: '94607', country: 'US' }] } };
    const first = await write('POST', '/unified/accounting/contacts', body, 'qbo-create-1');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const saved = customer(first.body.remote_id);
    expect(saved).toMatchObject({ DisplayName: 'Blue Heron Cafe', PrimaryEmailAddr: { Address: 'ap@blueheron.example' }, PrimaryPhone: { FreeFormNumber: '(555) 867-5309' }, BillAddr: { Line1: '1 Pier St', City: 'Oakland', Country: 'US' }, SyncToken: '0' });
    expect(first.body.result).toMatchObject({
      remote_id: saved.Id,
      name: 'Blue Heron Cafe',
      is_customer: true,
      is_supplier: false,
      email_address: 'ap@blueheron.example',
      phone_numbers: [{ phone_number: '(555) 867-5309', phone_number_type: 'work' }],
      addresses: [{ type: 'billing', street_1: '1 Pier St', city: 'Oakland', state: 'CA', postal_code: '94607', country: 'US' }],
      status: 'active',
      custom_fields: { sync_token: '0' },
    });
    const replay = await write('POST', '/unified/accounting/contacts', body, 'qbo-create-1');
    expect(replay).toMatchObject({ status: 201, body: { remote_id: saved.Id } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(qbo.state.entities.Customer.length).toBe(before + 1);
    expect((await get(`/unified/accounting/contacts/${saved.Id}?integrated_account_id=${accountId}`)).body).toEqual(first.body.result);
  });

  it('a retry after a lost answer creates nothing twice: the same derived requestid gets QuickBooks\' first answer, the same record', async () => {
    const before = qbo.state.entities.Customer.length;
    const body = { data: { name: 'Slow Lane Bakery' } };
    qbo.state.holdNextAnswer(2_500);
    const lost = await write('POST', '/unified/accounting/contacts', body, 'qbo-lost-1');
    expect(lost.body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNREACHABLE' });
    expect(qbo.state.entities.Customer.length).toBe(before + 1);
    const firstRequestId = qbo.state.lastRequestId;
    expect(firstRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The hub released its key (the write failed), so the retry reached QuickBooks, which answered it as the first.
    const retried = await write('POST', '/unified/accounting/contacts', body, 'qbo-lost-1');
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(qbo.state.lastRequestId).toBe(firstRequestId);
    expect(qbo.state.entities.Customer.length).toBe(before + 1);
    expect(customer(retried.body.remote_id).DisplayName).toBe('Slow Lane Bakery');
    // Without an Idempotency-Key no requestid is invented.
    await write('PATCH', `/unified/accounting/contacts/${retried.body.remote_id}`, { data: { email_address: 'orders@slowlane.example' } });
    expect(qbo.state.lastRequestId).toBeUndefined();
  });

  it('a request corrected after a refusal, under the same Idempotency-Key, is a new request to QuickBooks, not the replay of its refusal', async () => {
    const refused = await write('POST', '/unified/accounting/contacts', { data: { name: 'Supplier 3' } }, 'qbo-fix-1');
    expect(refused.body).toMatchObject({ status: 422, code: 'SWY_ERR_PROVIDER_REFUSED', provider_message: 'Duplicate Name Exists Error' });
    const refusedId = qbo.state.lastRequestId;
    const fixed = await write('POST', '/unified/accounting/contacts', { data: { name: 'Supplier 3 Holdings' } }, 'qbo-fix-1');
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(201);
    expect(qbo.state.lastRequestId).not.toBe(refusedId);
    expect(customer(fixed.body.remote_id).DisplayName).toBe('Supplier 3 Holdings');
  });

  it('creates a supplier as a Vendor (POST …/vendor), its remote_id vendor:<id> reading it back', async () => {
    const created = await write('POST', '/unified/accounting/contacts', { data: { name: 'Gravel & Sons', is_supplier: true, tax_number: '12-3456789' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.remote_id).toMatch(/^vendor:\d+$/);
    const id = created.body.remote_id.slice('vendor:'.length);
    expect(qbo.state.entities.Vendor.find((v) => v.Id === id)).toMatchObject({ DisplayName: 'Gravel & Sons', TaxIdentifier: '12-3456789' });
    expect(qbo.state.entities.Customer.some((c) => c.DisplayName === 'Gravel & Sons')).toBe(false);
    expect((await get(`/unified/accounting/contacts/${created.body.remote_id}?integrated_account_id=${accountId}`)).body).toMatchObject({ remote_id: created.body.remote_id, name: 'Gravel & Sons', is_supplier: true, tax_number: '12-3456789' });
  });

  it('updates only the fields sent, as a sparse update naming the SyncToken it just read; each update moves the token on', async () => {
    const target = customer('7');
    const { DisplayName, PrimaryPhone, BillAddr } = target;
    const token = Number(target.SyncToken);
    const first = await write('PATCH', '/unified/accounting/contacts/7', { data: { email_address: 'new-billing@customer7.example' } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(customer('7')).toMatchObject({ DisplayName, PrimaryPhone, BillAddr, PrimaryEmailAddr: { Address: 'new-billing@customer7.example' }, SyncToken: String(token + 1) });
    expect(qbo.state.writes.at(-1)).toEqual({ entity: 'Customer', id: '7', op: 'sparse-update' });
    expect(first.body).toMatchObject({ remote_id: '7', result: { remote_id: '7', name: DisplayName, email_address: 'new-billing@customer7.example', custom_fields: { sync_token: String(token + 1) } } });
    // The caller never handles SyncTokens: a second update reads the new one first.
    const second = await write('PATCH', '/unified/accounting/contacts/7', { data: { status: 'archived' } });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(customer('7')).toMatchObject({ Active: false, PrimaryEmailAddr: { Address: 'new-billing@customer7.example' }, SyncToken: String(token + 2) });
  });

  it('updates a Vendor addressed as vendor:<id>', async () => {
    const vendor = qbo.state.entities.Vendor.find((v) => v.Id === '507')!;
    const token = Number(vendor.SyncToken);
    const updated = await write('PATCH', '/unified/accounting/contacts/vendor:507', { data: { name: 'Supplier Seven Renamed' } });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(vendor).toMatchObject({ DisplayName: 'Supplier Seven Renamed', TaxIdentifier: 'XXX-XX-1007', SyncToken: String(token + 1) });
    expect(updated.body).toMatchObject({ remote_id: 'vendor:507', result: { remote_id: 'vendor:507', name: 'Supplier Seven Renamed', is_supplier: true } });
  });

  it('refuses a create minus the name with 422 SWY_ERR_PROVIDER_REFUSED and QuickBooks\' reason, creating nothing', async () => {
    const before = qbo.state.entities.Customer.length;
    const refused = await write('POST', '/unified/accounting/contacts', { data: { email_address: 'nameless@example.com' } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', provider_status: 400, provider_message: 'Required Param Missing: Required parameter DisplayName is missing in the request' });
    expect(qbo.state.entities.Customer.length).toBe(before);
  });

  it('refuses a name another customer or vendor already uses, on create and on update: Duplicate Name Exists Error', async () => {
    const before = qbo.state.entities.Customer.length;
    const taken = await write('POST', '/unified/accounting/contacts', { data: { name: 'Supplier 2' } });
    expect(taken.body).toMatchObject({ status: 422, code: 'SWY_ERR_PROVIDER_REFUSED', provider_message: 'Duplicate Name Exists Error' });
    expect(qbo.state.entities.Customer.length).toBe(before);
    const rename = await write('PATCH', '/unified/accounting/contacts/8', { data: { name: 'Customer 9 Ltd' } });
    expect(rename.body).toMatchObject({ status: 422, code: 'SWY_ERR_PROVIDER_REFUSED', provider_message: 'Duplicate Name Exists Error' });
    expect(customer('8').DisplayName).toBe('Customer 8 Ltd');
  });

  it('passes a Stale Object Error on when someone else saved the record between the read and the write, changing nothing', async () => {
    const target = customer('11');
    qbo.state.editAfterNextRead('Customer', '11');
    const stale = await write('PATCH', '/unified/accounting/contacts/11', { data: { name: 'Lost Update Ltd' } });
    expect(stale.status, JSON.stringify(stale.body)).toBe(422);
    expect(stale.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', provider_status: 400, provider_message: expect.stringMatching(/^Stale Object Error/) });
    expect(target.DisplayName).toBe('Customer 11 Ltd');
    // Sent again, the update reads the token the other user left and goes through.
    expect((await write('PATCH', '/unified/accounting/contacts/11', { data: { name: 'Lost Update Ltd' } })).status).toBe(200);
    expect(target.DisplayName).toBe('Lost Update Ltd');
  });

  it('answers an update of an unknown id with 404 SWY_ERR_NOT_FOUND without writing; delete is not offered (QuickBooks only deactivates names)', async () => {
    const writes = qbo.state.writes.length;
    expect((await write('PATCH', '/unified/accounting/contacts/99999', { data: { name: 'Ghost' } })).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect((await write('PATCH', '/unified/accounting/contacts/vendor:99999', { data: { name: 'Ghost' } })).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect(qbo.state.writes.length).toBe(writes);
    const removed = await write('DELETE', '/unified/accounting/contacts/7');
    expect(removed.body).toMatchObject({ code: 'SWY_ERR_RESOURCE_UNSUPPORTED' });
    expect(customer('7')).toBeDefined();
  });

  it('keeps the access token, verifier token and written records out of the logs', () => {
    const all = logs.join('');
    for (const secret of [accessToken, verifier, apiKey, 'Blue Heron Cafe', 'ap@blueheron.example', 'new-billing@customer7.example']) expect(all).not.toContain(secret);
  });
});
