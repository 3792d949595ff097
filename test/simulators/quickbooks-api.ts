import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';

/** A QuickBooks entity as the Accounting API returns it: PascalCase fields, `MetaData` times with the company's offset. */
export type QboEntity = Record<string, unknown> & { Id: string; MetaData: { CreateTime: string; LastUpdatedTime: string } };

/** Knobs and counters of a running QuickBooks Online simulator. */
export interface QuickBooksApiState {
  readonly realmId: string;
  readonly entities: { Customer: QboEntity[]; Vendor: QboEntity[]; Invoice: QboEntity[]; PurchaseOrder: QboEntity[] };
  /** Accepted writes, in order. */
  readonly writes: Array<{ entity: 'Customer' | 'Vendor'; id: string; op: 'create' | 'sparse-update' | 'full-update' }>;
  /** Query texts received, in order. */
  readonly queries: string[];
  readonly requests: Record<string, number>;
  /** The next `n` authenticated requests answer 429 ThrottleExceeded. */
  throttleNext(n: number): void;
  /** Someone else saves the record (its SyncToken moves on) right after the next query that reads it. */
  editAfterNextRead(entity: 'Customer' | 'Vendor', id: string): void;
  /** The `requestid` of the last write (undefined when none was sent). */
  readonly lastRequestId: string | undefined;
  /** Holds the answer of the next write this long after it took effect: the answer a caller never hears. */
  holdNextAnswer(ms: number): void;
}

/** A running simulator; the API base is `url` (`https://quickbooks.api.intuit.com` in production). */
export interface QuickBooksApi {
  readonly url: string;
  readonly oauth: OAuth2ProviderSimulator;
  readonly state: QuickBooksApiState;
  close(): Promise<void>;
}

/** `2026-01-05T09:00:00-08:00`: QuickBooks writes times in the company's zone (Pacific here). */
const pacific = (ms: number) => `${new Date(ms - 8 * 3_600_000).toISOString().slice(0, 19)}-08:00`;

/** Deterministic seed: customers 1…, vendors from 500, invoices from 1000, purchase orders from 2000 (ids unique across name lists, as QuickBooks assigns them (U)). */
export function seedQuickBooks(counts: { customers: number; vendors: number; invoices: number; purchaseOrders?: number }) {
  const base = Date.parse('2026-01-01T12:00:00Z');
  const meta = (i: number) => ({ CreateTime: pacific(base + i * 60_000), LastUpdatedTime: pacific(base + i * 3_600_000) });
  const Customer = Array.from({ length: counts.customers }, (_, i): QboEntity => ({
    Id: String(1 + i),
    SyncToken: '0',
    DisplayName: `Customer ${i + 1} Ltd`,
    CompanyName: `Customer ${i + 1} Ltd`,
    Active: i % 9 !== 8,
    Balance: i * 10,
    BalanceWithJobs: i * 10,
    Job: false,
    ...(i % 4 === 0 ? {} : { PrimaryEmailAddr: { Address: `Billing${i}@Customer.example` } }),
    PrimaryPhone: { FreeFormNumber: `(555) 010-${String(i).padStart(4, '0')}` },
    BillAddr: { Id: String(100 + i), Line1: `${i} Market St`, City: 'San Francisco', CountrySubDivisionCode: 'CA', PostalCode: '94105', Country: i % 2 ? 'US' : 'USA' },
    CurrencyRef: { value: 'USD', name: 'United States Dollar' },
    MetaData: meta(i),
  }));
  const Vendor = Array.from({ length: counts.vendors }, (_, i): QboEntity => ({
    Id: String(500 + i),
    SyncToken: '1',
    DisplayName: `Supplier ${i}`,
    Active: true,
    Vendor1099: i % 2 === 0,
    Balance: 0,
    TaxIdentifier: `XXX-XX-${String(1000 + i)}`,
    CurrencyRef: { value: 'USD', name: 'United States Dollar' },
    MetaData: meta(i),
  }));
  const Invoice = Array.from({ length: counts.invoices }, (_, i): QboEntity => {
    const total = 100 + i;
    const balance = i % 3 === 0 ? 0 : i % 3 === 1 ? total : 40;
    return {
      Id: String(1000 + i),
      SyncToken: '0',
      DocNumber: `INV-${1000 + i}`,
      TxnDate: '2026-02-01',
      DueDate: '2026-03-03',
      CustomerRef: { value: String(1 + (i % Math.max(1, counts.customers))), name: 'Customer' },
      CurrencyRef: { value: 'USD', name: 'United States Dollar' },
      TotalAmt: total,
      Balance: balance,
      TxnTaxDetail: { TotalTax: 0 },
      EmailStatus: 'NotSet',
      Line: [
        { Id: '1', LineNum: 1, Description: 'Consulting', Amount: total, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '7', name: 'Services' }, Qty: 1, UnitPrice: total } },
        { Amount: total, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
      ],
      MetaData: meta(i),
    };
  });
  // PurchaseOrder entity page: POStatus Open|Closed, VendorRef, ShipAddr, item- and account-based expense lines,
  // up to three string CustomFields; Memo is the message to the vendor, PrivateNote internal.
  const PurchaseOrder = Array.from({ length: counts.purchaseOrders ?? 0 }, (_, i): QboEntity => {
    const euro = i % 5 === 4;
    return {
      Id: String(2000 + i),
      SyncToken: String(i % 3),
      DocNumber: `PO-${2000 + i}`,
      TxnDate: '2026-02-10',
      POStatus: i % 4 === 3 ? 'Closed' : 'Open',
      VendorRef: { value: String(500 + (i % Math.max(1, counts.vendors))), name: `Supplier ${i % Math.max(1, counts.vendors)}` },
      APAccountRef: { value: '33', name: 'Accounts Payable (A/P)' },
      ShipAddr: { Id: String(300 + i), Line1: '500 Dock Rd', City: 'Oakland', CountrySubDivisionCode: 'CA', PostalCode: '94607', Country: 'US' },
      ...(i % 2 ? {} : { Memo: 'Deliver to dock 3' }),
      PrivateNote: 'Approved by Sam',
      CurrencyRef: euro ? { value: 'EUR', name: 'Euro' } : { value: 'USD', name: 'United States Dollar' },
      ...(euro ? { ExchangeRate: 1.08 } : {}),
      TotalAmt: 250 + i,
      EmailStatus: 'NotSet',
      CustomField: i % 2 ? [] : [{ DefinitionId: '1', Name: 'Crew #', Type: 'StringType', StringValue: `C${i}` }],
      Line: [
        { Id: '1', LineNum: 1, Description: 'Pallets', Amount: 200, DetailType: 'ItemBasedExpenseLineDetail', ItemBasedExpenseLineDetail: { ItemRef: { value: '11', name: 'Pallet' }, Qty: 20, UnitPrice: 10, BillableStatus: 'NotBillable', TaxCodeRef: { value: 'NON' } } },
        { Id: '2', LineNum: 2, Description: 'Freight', Amount: 50 + i, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: '57', name: 'Freight' }, BillableStatus: 'NotBillable', TaxCodeRef: { value: 'NON' } } },
      ],
      MetaData: meta(i),
    };
  });
  return { Customer, Vendor, Invoice, PurchaseOrder };
}

const fault = (code: string, message: string, type = 'ValidationFault') => ({ Fault: { Error: [{ Message: message, Detail: message, code }], type }, time: new Date().toISOString() });

/**
 * Parses the subset of the QuickBooks query language the hub sends: `SELECT * FROM <Entity> [WHERE Id =
 * '<id>' | WHERE MetaData.LastUpdatedTime > '<iso>'] [ORDERBY Id] [STARTPOSITION n] [MAXRESULTS m]`.
 * STARTPOSITION is 1-based; MAXRESULTS is at most 1000 (data-queries page).
 */
function parseQuery(text: string) {
  const m = /^SELECT \* FROM (\w+)(?: WHERE (Id = '(\d+)'|MetaData\.LastUpdatedTime > '([^']+)'))?(?: ORDERBY Id)?(?: STARTPOSITION (\d+))?(?: MAXRESULTS (\d+))?$/i.exec(text.trim());
  if (!m) return undefined;
  return { entity: m[1]!, id: m[3], since: m[4], start: Number(m[5] ?? 1), max: Number(m[6] ?? 100) };
}

/**
 * The QuickBooks Online Accounting API's query endpoint on loopback: `GET /v3/company/{realmId}/query?
 * query=…&minorversion=…`, OAuth2 bearer tokens checked against the OAuth2 provider, another realm's
 * path refused (403), `QueryResponse.<Entity>` arrays with `startPosition`/`maxResults` (the key is
 * absent when nothing matched), a query parse error as 400 `QueryParserError`, 429 ThrottleExceeded;
 * Customer and Vendor create and (sparse) update with SyncToken checks.
 * Shapes from developer.intuit.com (data-queries, Customer, Vendor, Invoice, PurchaseOrder entity pages).
 */
export async function startQuickBooksApi(options: { realmId?: string; customers?: number; vendors?: number; invoices?: number; purchaseOrders?: number } = {}): Promise<QuickBooksApi> {
  const oauth = await startOAuth2Provider({ clientId: 'qbo-client', clientSecret: 'qbo-secret', accessTokenTtlS: 3_600 });
  const realmId = options.realmId ?? '9341453000000000';
  const requests: Record<string, number> = {};
  const queries: string[] = [];
  let throttled = 0;
  let editAfterRead: { entity: string; id: string } | undefined;
  let holdMs = 0;
  let lastRequestId: string | undefined;
  /** `requestid` → the first answer it got (per realm: one realm here), replayed for a repeat. */
  const answered = new Map<string, { status: number; body: unknown }>();
  const state: QuickBooksApiState = {
    realmId,
    entities: seedQuickBooks({ customers: options.customers ?? 230, vendors: options.vendors ?? 40, invoices: options.invoices ?? 120, purchaseOrders: options.purchaseOrders ?? 70 }),
    queries,
    requests,
    writes: [],
    throttleNext(n) {
      throttled = n;
    },
    editAfterNextRead(entity, id) {
      editAfterRead = { entity, id };
    },
    get lastRequestId() {
      return lastRequestId;
    },
    holdNextAnswer(ms) {
      holdMs = ms;
    },
  };
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = `${request.method} ${request.routeOptions.url ?? request.url}`;
    requests[key] = (requests[key] ?? 0) + 1;
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !(await oauth.introspect(token))) return reply.code(401).send(fault('3200', 'AuthenticationFailed', 'AUTHENTICATION'));
    if (throttled > 0) {
      throttled--;
      return reply.code(429).send(fault('003001', 'ThrottleExceeded', 'SERVICE'));
    }
    return undefined;
  });
  app.get('/v3/company/:realm/query', async (request, reply) => {
    const { realm } = request.params as { realm: string };
    if (realm !== realmId) return reply.code(403).send(fault('3100', 'ApplicationAuthorizationFailed', 'AUTHORIZATION'));
    const text = String((request.query as { query?: string }).query ?? '');
    queries.push(text);
    const q = parseQuery(text);
    const all = q && (state.entities as Record<string, QboEntity[] | undefined>)[q.entity];
    if (!q || !all) return reply.code(400).send(fault('4000', `QueryParserError: Encountered an error parsing '${text.slice(0, 40)}'`));
    if (q.max > 1000 || q.start < 1) return reply.code(400).send(fault('4001', 'Invalid query: MAXRESULTS is at most 1000'));
    let rows = [...all].sort((a, b) => Number(a.Id) - Number(b.Id));
    if (q.id !== undefined) rows = rows.filter((r) => r.Id === q.id);
    if (q.since !== undefined) rows = rows.filter((r) => Date.parse(r.MetaData.LastUpdatedTime) > Date.parse(q.since!));
    const page = rows.slice(q.start - 1, q.start - 1 + q.max);
    const edited = editAfterRead && q.entity === editAfterRead.entity ? page.find((r) => r.Id === editAfterRead!.id) : undefined;
    if (edited) {
      editAfterRead = undefined;
      // The answer is the record as it was read; the other user's save lands after it.
      const answer = { QueryResponse: { [q.entity]: structuredClone(page), startPosition: q.start, maxResults: page.length }, time: new Date().toISOString() };
      edited.SyncToken = String(Number(edited.SyncToken) + 1);
      return answer;
    }
    return { QueryResponse: page.length ? { [q.entity]: page, startPosition: q.start, maxResults: page.length } : {}, time: new Date().toISOString() };
  });
  /** Names already taken by any Customer or Vendor other than `except` (DisplayName is unique across the name lists). */
  const nameTaken = (name: string, except?: QboEntity) =>
    [...state.entities.Customer, ...state.entities.Vendor].some((e) => e !== except && String(e.DisplayName ?? '').toLowerCase() === name.toLowerCase());
  const duplicate = () => fault('6240', 'Duplicate Name Exists Error', 'ValidationFault');
  let nextId = 9000;
  /**
   * `POST /v3/company/{realmId}/customer|vendor`: a create when the body has no `Id`, else an update of
   * that record. An update names the record's current `SyncToken` (a stale one is 400 code 5010 "Stale
   * Object Error") and, with `"sparse": true`, changes only the fields sent; without it the writable
   * fields it leaves out are cleared (full update). Every accepted update increments the SyncToken.
   * DisplayName is unique across customers and vendors (400 code 6240 "Duplicate Name Exists Error"); a
   * create needs DisplayName or a name part (400 code 2020 "Required Param Missing", S: the Customer
   * entity page calls DisplayName conditionally required). An unknown Id is 400 code 610 "Object Not
   * Found". The answer is `{<Entity>: record, time}`. Errors per developer.intuit.com "Handling common
   * errors" (Fault.Error[{Message, Detail, code, element}], type ValidationFault); Detail texts (S).
   * With `?requestid=` (at most 50 characters, unique per company) a repeated id gets the first request's
   * answer, and nothing runs again (Intuit Developer blog "Request ID update for QuickBooks Online
   * integration", 2015: "instead of performing the operation again or returning an error, the service
   * sends the same response"); refusals are replayed too (S: the post does not say).
   */
  app.post('/v3/company/:realm/:entity', async (request, reply) => {
    const { realm, entity } = request.params as { realm: string; entity: string };
    if (realm !== realmId) return reply.code(403).send(fault('3100', 'ApplicationAuthorizationFailed', 'AUTHORIZATION'));
    const requestId = (request.query as { requestid?: string }).requestid;
    lastRequestId = requestId;
    if (requestId !== undefined && (requestId === '' || requestId.length > 50)) return reply.code(400).send(fault('4001', 'Invalid requestid', 'ValidationFault'));
    const seen = requestId === undefined ? undefined : answered.get(requestId);
    if (seen) return reply.code(seen.status).send(seen.body);
    const answer = write(entity, request);
    if (requestId !== undefined) answered.set(requestId, answer);
    if (holdMs > 0) {
      const ms = holdMs;
      holdMs = 0;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    return reply.code(answer.status).send(answer.body);
  });
  /** One write, run: its status and answer body. */
  function write(entity: string, request: FastifyRequest): { status: number; body: unknown } {
    const kind = entity === 'customer' ? 'Customer' : entity === 'vendor' ? 'Vendor' : undefined;
    if (!kind) return { status: 400, body: fault('4000', `Unsupported entity ${entity.slice(0, 20)}`) };
    const body = { ...((request.body ?? {}) as Record<string, unknown>) };
    const list = state.entities[kind];
    const now = pacific(Date.now());
    const named = (r: Record<string, unknown>) => ['DisplayName', 'Title', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix'].some((k) => typeof r[k] === 'string' && r[k] !== '');
    if (body.Id === undefined) {
      if (!named(body)) return { status: 400, body: { Fault: { Error: [{ Message: 'Required Param Missing', Detail: 'Required parameter DisplayName is missing in the request', code: '2020', element: 'DisplayName' }], type: 'ValidationFault' }, time: now } };
      const display = String(body.DisplayName ?? [body.Title, body.GivenName, body.MiddleName, body.FamilyName, body.Suffix].filter(Boolean).join(' '));
      if (nameTaken(display)) return { status: 400, body: duplicate() };
      const { sparse: _sparse, ...fields } = body;
      const created: QboEntity = { Active: true, ...(kind === 'Vendor' ? { Vendor1099: false } : { Job: false, Balance: 0 }), ...fields, DisplayName: display, Id: String(nextId++), SyncToken: '0', MetaData: { CreateTime: now, LastUpdatedTime: now } };
      list.push(created);
      state.writes.push({ entity: kind, id: created.Id, op: 'create' });
      return { status: 200, body: { [kind]: created, time: now } };
    }
    const found = list.find((e) => e.Id === String(body.Id));
    if (!found) return { status: 400, body: fault('610', 'Object Not Found') };
    if (String(body.SyncToken ?? '') !== String(found.SyncToken)) {
      return { status: 400, body: { Fault: { Error: [{ Message: 'Stale Object Error', Detail: `Stale Object Error : You and another user were working on this at the same time. The other user finished before you did, so your work was not saved.`, code: '5010', element: '' }], type: 'ValidationFault' }, time: now } };
    }
    if (typeof body.DisplayName === 'string' && nameTaken(body.DisplayName, found)) return { status: 400, body: duplicate() };
    const { sparse, Id: _id, SyncToken: _token, MetaData: _meta, ...fields } = body;
    if (sparse !== true) for (const key of Object.keys(found)) if (!['Id', 'SyncToken', 'MetaData', 'DisplayName', 'Balance', 'BalanceWithJobs', 'Job', 'Vendor1099'].includes(key)) delete found[key];
    Object.assign(found, fields, { SyncToken: String(Number(found.SyncToken) + 1), MetaData: { ...found.MetaData, LastUpdatedTime: now } });
    state.writes.push({ entity: kind, id: found.Id, op: sparse === true ? 'sparse-update' : 'full-update' });
    return { status: 200, body: { [kind]: found, time: now } };
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    oauth,
    state,
    close: async () => {
      await app.close();
      await oauth.close();
    },
  };
}
