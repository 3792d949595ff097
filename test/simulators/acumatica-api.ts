import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { invoiceEntity, invoiceFilterOf, seedAcumaticaInvoices, type AcumaticaInvoice } from './acumatica-invoices.js';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';

/** A customer as Acumatica stores it (the simulator's own shape; the API wraps each field as `{value}`). */
export interface AcumaticaCustomer {
  noteId: string;
  customerId: string;
  name: string;
  status: 'Active' | 'Inactive' | 'On Hold';
  customerClass: string;
  currency: string;
  email: string | null;
  phone: string | null;
  created: string;
  modified: string;
}

/** Knobs and counters of a running Acumatica simulator. */
export interface AcumaticaApiState {
  customers: AcumaticaCustomer[];
  /** AR documents (invoices and credit memos) of the `Invoice` entity. */
  invoices: AcumaticaInvoice[];
  readonly requests: Record<string, number>;
  /** Every accepted `PUT …/Customer`, with its precondition headers. */
  readonly writes: Array<{ method: 'PUT'; customerId: string; ifMatch: string | string[] | undefined; ifNoneMatch: string | string[] | undefined }>;
  /** The last `$filter` received. */
  lastFilter: string | undefined;
  /** The next `n` authenticated requests answer 429 (the licence's request limit). */
  throttleNext(n: number): void;
}

/** A running simulator; `url` stands in for `https://<instance>.acumatica.com`. */
export interface AcumaticaApi {
  readonly url: string;
  readonly oauth: OAuth2ProviderSimulator;
  readonly state: AcumaticaApiState;
  close(): Promise<void>;
}

const ENDPOINT = '/entity/Default/23.200.001';

/** Deterministic seed: keys `C000001`…, modified one hour apart; every 7th inactive. */
export function seedAcumaticaCustomers(count: number): AcumaticaCustomer[] {
  const base = Date.parse('2026-02-01T08:00:00Z');
  return Array.from({ length: count }, (_, i) => ({
    noteId: `0b8f6a1e-4c2d-4e7a-9f10-${String(i).padStart(12, '0')}`,
    customerId: `C${String(i + 1).padStart(6, '0')}`,
    name: `Customer ${i + 1} GmbH`,
    status: i % 7 === 6 ? 'Inactive' : 'Active',
    customerClass: i % 2 ? 'DEFAULT' : 'WHOLESALE',
    currency: 'USD',
    email: i % 5 === 4 ? null : `AR${i}@Customer.example`,
    phone: `+1 555 01${String(i).padStart(2, '0')}`,
    created: new Date(base + i * 60_000).toISOString(),
    modified: new Date(base + i * 3_600_000).toISOString(),
  }));
}

/** The contract-based REST shape: every field a `{value}` object, `MainContact` only when expanded. */
function entity(c: AcumaticaCustomer, expand: string | undefined, rowNumber: number) {
  return {
    id: c.noteId,
    rowNumber,
    note: { value: '' },
    CustomerID: { value: c.customerId },
    CustomerName: { value: c.name },
    CustomerClass: { value: c.customerClass },
    Status: { value: c.status },
    CurrencyID: { value: c.currency },
    CreatedDateTime: { value: c.created.replace('Z', '+00:00') },
    LastModifiedDateTime: { value: c.modified.replace('Z', '+00:00') },
    ...(expand?.split(',').includes('MainContact')
      ? { MainContact: { id: `${c.noteId}-c`, rowNumber: 1, Email: c.email === null ? {} : { value: c.email }, Phone1: c.phone === null ? {} : { value: c.phone } } }
      : {}),
    custom: {},
  };
}

/** `LastModifiedDateTime gt datetimeoffset'…'`, the one `$filter` form the hub sends. */
function filterOf(filter: string | undefined): ((c: AcumaticaCustomer) => boolean) | string | undefined {
  if (filter === undefined) return undefined;
  const m = /^LastModifiedDateTime gt datetimeoffset'([^']+)'$/.exec(filter);
  if (!m || Number.isNaN(Date.parse(m[1]!))) return `Invalid $filter: ${filter.slice(0, 60)}`;
  const since = Date.parse(m[1]!);
  return (c) => Date.parse(c.modified) > since;
}

/**
 * Acumatica's contract-based REST API (endpoint Default/23.200.001) for `Customer` on loopback: OAuth 2.0
 * bearer tokens (checked against the OAuth2 provider, which stands in for `/identity/connect/token`),
 * `$top`/`$skip` paging over a JSON array, `$filter` on LastModifiedDateTime, `$expand=MainContact`,
 * `GET …/Customer/{CustomerID}` by key (404 when none), the same for `Invoice` (acumatica-invoices.ts),
 * `PUT …/Customer` (upsert by key, with the If-Match / If-None-Match preconditions) and
 * `DELETE …/Customer/{CustomerID}` (204), 429 when the licence's request limit is hit.
 * Shapes from Acumatica's Integration Development Guide as summarised in providers.md §21.14 (S).
 */
export async function startAcumaticaApi(options: { customers?: number; invoices?: number } = {}): Promise<AcumaticaApi> {
  const oauth = await startOAuth2Provider({ clientId: 'acu-client@Company', clientSecret: 'acu-secret', accessTokenTtlS: 3_600 });
  const requests: Record<string, number> = {};
  let throttled = 0;
  const customers = seedAcumaticaCustomers(options.customers ?? 130);
  const state: AcumaticaApiState = {
    customers,
    invoices: seedAcumaticaInvoices(options.invoices ?? 80, customers),
    requests,
    writes: [],
    lastFilter: undefined,
    throttleNext(n) {
      throttled = n;
    },
  };
  const app = Fastify({ logger: false });
  const error = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ message });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = `${request.method} ${request.routeOptions.url ?? request.url}`;
    requests[key] = (requests[key] ?? 0) + 1;
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !(await oauth.introspect(token))) return error(reply, 401, 'You are not logged in.');
    if (throttled > 0) {
      throttled--;
      return error(reply, 429, 'The maximum number of API requests per minute allowed by the license has been reached.');
    }
    return undefined;
  });
  /** `GET …/<entity>` ($top/$skip over a JSON array, `$filter`, `$expand`) and `GET …/<entity>/<key fields in order>` (404 when none). */
  const serve = <T>(name: string, keys: string[], rows: () => T[], filter: (f: string | undefined) => ((row: T) => boolean) | string | undefined, shape: (row: T, expand: string | undefined, rowNumber: number) => object, find: (key: string[]) => T | undefined) => {
    app.get(`${ENDPOINT}/${name}`, async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const top = q.$top === undefined ? undefined : Number(q.$top);
      const skip = Number(q.$skip ?? 0);
      if ((top !== undefined && (!Number.isInteger(top) || top < 0)) || !Number.isInteger(skip) || skip < 0) return error(reply, 400, 'Invalid $top or $skip.');
      state.lastFilter = q.$filter;
      const test = filter(q.$filter);
      if (typeof test === 'string') return error(reply, 400, test);
      const page = rows().filter((r) => (test ? test(r) : true)).slice(skip, top === undefined ? undefined : skip + top);
      return page.map((r, i) => shape(r, q.$expand, skip + i + 1));
    });
    app.get(`${ENDPOINT}/${name}/${keys.map((k) => `:${k}`).join('/')}`, async (request, reply) => {
      const params = request.params as Record<string, string>;
      const found = find(keys.map((k) => params[k]!));
      if (!found) return error(reply, 404, 'No entity satisfies the condition.');
      return shape(found, (request.query as { $expand?: string }).$expand, 1);
    });
  };
  serve('Customer', ['key'], () => state.customers, filterOf, entity, ([id]) => state.customers.find((c) => c.customerId === id));
  app.put(`${ENDPOINT}/Customer`, async (request, reply) => upsertCustomer(request, reply));
  app.delete(`${ENDPOINT}/Customer/:key`, async (request, reply) => {
    const at = state.customers.findIndex((c) => c.customerId === (request.params as { key: string }).key);
    // 204 on success ("Remove a Record"); an unknown key answers as a GET of it does (S).
    if (at < 0) return error(reply, 404, 'No entity satisfies the condition.');
    state.customers.splice(at, 1);
    return reply.code(204).send();
  });
  /**
   * `PUT …/Customer`: an upsert keyed by `CustomerID` (the key field). `If-None-Match: *` only inserts and
   * `If-Match: *` only updates, each answering 412 Precondition Failed when the record does (not) exist
   * (S: the "Create a Record" / "Update a Record" pages list request headers, but the stored copies cut
   * the table off; the RFC 9110 meaning, as recalled from those pages). Fields the body leaves out keep their values.
   * A record that fails validation is 422 Unprocessable Entity whose body is the entity with an `error`
   * on each bad field (S: the shape as forum threads show it); `CustomerID` and `CustomerName` are
   * required (S: an instance without auto-numbering of customer IDs). The answer is the saved entity.
   */
  const upsertCustomer = (request: FastifyRequest, reply: FastifyReply) => {
    const body = (request.body ?? {}) as Record<string, { value?: unknown } | undefined> & { MainContact?: Record<string, { value?: unknown } | undefined> };
    const text = (field: { value?: unknown } | undefined) => (field === undefined ? undefined : field.value === null || field.value === undefined ? null : String(field.value));
    const key = text(body.CustomerID);
    const existing = key ? state.customers.find((c) => c.customerId === key) : undefined;
    if (request.headers['if-none-match'] === '*' && existing) return error(reply, 412, `A record with the key '${key}' already exists.`);
    if (request.headers['if-match'] === '*' && !existing) return error(reply, 412, 'No entity satisfies the condition.');
    const name = text(body.CustomerName);
    const invalid: Record<string, { value: unknown; error: string }> = {};
    if (!key) invalid.CustomerID = { value: key ?? null, error: "'Customer ID' cannot be empty." };
    if (existing ? name === null || name === '' : !name) invalid.CustomerName = { value: name ?? null, error: "'Customer Name' cannot be empty." };
    if (Object.keys(invalid).length > 0) return reply.code(422).send({ ...body, ...invalid });
    const now = new Date().toISOString();
    const contact = body.MainContact ?? {};
    const status = text(body.Status);
    const fields: Partial<AcumaticaCustomer> = {
      ...(name ? { name } : {}),
      ...(status === 'Active' || status === 'Inactive' || status === 'On Hold' ? { status } : {}),
      ...(text(body.CustomerClass) ? { customerClass: text(body.CustomerClass)! } : {}),
      ...(text(body.CurrencyID) ? { currency: text(body.CurrencyID)! } : {}),
      ...(contact.Email !== undefined ? { email: text(contact.Email) ?? null } : {}),
      ...(contact.Phone1 !== undefined ? { phone: text(contact.Phone1) ?? null } : {}),
    };
    let saved: AcumaticaCustomer;
    if (existing) {
      Object.assign(existing, fields, { modified: now });
      saved = existing;
    } else {
      saved = { noteId: randomUUID(), customerId: key!, name: name!, status: 'Active', customerClass: 'DEFAULT', currency: 'USD', email: null, phone: null, created: now, modified: now, ...fields };
      state.customers.push(saved);
    }
    state.writes.push({ method: 'PUT', customerId: saved.customerId, ifMatch: request.headers['if-match'], ifNoneMatch: request.headers['if-none-match'] });
    return entity(saved, (request.query as { $expand?: string }).$expand, 1);
  };
  // AR documents are keyed by Type and ReferenceNbr, in that order.
  serve('Invoice', ['type', 'ref'], () => state.invoices, invoiceFilterOf, invoiceEntity, ([type, ref]) => state.invoices.find((d) => d.type === type && d.referenceNbr === ref));
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

/** A push notification as Acumatica sends one for a Generic Inquiry (IS__con_Push_Notification_Format). */
export function acumaticaNotification(query: string, id: string, timeStamp: number, rows: { inserted?: object[]; deleted?: object[] }) {
  return { Inserted: rows.inserted ?? [], Deleted: rows.deleted ?? [], Query: query, CompanyId: 'Company', Id: id, TimeStamp: timeStamp, AdditionalInfo: {} };
}
