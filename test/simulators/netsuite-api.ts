import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import * as providerAuth from '@switchyard/provider-auth';
import { registerNetSuiteRecords, seedNetSuiteRecords, suiteQlTables, type NetSuiteInvoice, type NetSuiteVendor, type NetSuiteWrites } from './netsuite-records.js';
import { seedNetSuitePeople, suiteQlPeopleTables, type NetSuiteContact, type NetSuiteEmployee } from './netsuite-people.js';
import { suiteql } from './netsuite-suiteql.js';

/** Token-based-auth credentials the simulated account accepts; sign with these unless testing a refusal. */
export const NETSUITE_TEST_CREDENTIALS: providerAuth.OAuth1Credentials = {
  consumerKey: 'ns-consumer-key',
  consumerSecret: 'ns-consumer-secret',
  tokenId: 'ns-token-id',
  tokenSecret: 'ns-token-secret',
  realm: '1234567_SB1',
};

/** Options for {@link startNetSuiteApi}. */
export interface NetSuiteApiOptions {
  /** TBA credentials the account knows (realm included). Default {@link NETSUITE_TEST_CREDENTIALS}. */
  credentials?: providerAuth.OAuth1Credentials;
  /** Seeded customers (internal ids from 101). Default 250. */
  customers?: number;
  /** Seeded vendors (ids from 2001) and customer invoices (ids from 5001). Default 60 and 130. */
  vendors?: number;
  invoices?: number;
  /** Seeded employees (ids from 301) and contacts (ids from 801). Default 45 and 70. */
  employees?: number;
  contacts?: number;
  /** Account concurrency limit. Default 15: a standard tier's 5 plus 10 for one SuiteCloud Plus licence. */
  maxConcurrent?: number;
  /** Time each admitted request is held in flight, to make concurrency observable. Default 0. */
  latencyMs?: number;
  /**
   * `o:errorCode` of the 429. The brief and issue 6 name `SSS_REQUEST_LIMIT_EXCEEDED`; a secondary source in
   * providers.md §13 reports `CONCURRENCY_LIMIT_EXCEEDED` for REST. Default `SSS_REQUEST_LIMIT_EXCEEDED`.
   */
  concurrencyErrorCode?: string;
}

/** A customer record as the REST record service returns it (empty fields are omitted, as NetSuite does). */
export interface NetSuiteCustomer {
  id: string;
  entityId: string;
  companyName: string;
  email?: string;
  isPerson: boolean;
  dateCreated: string;
  lastModifiedDate: string;
}

/** Knobs and counters of a running {@link startNetSuiteApi}. */
export interface NetSuiteApiState {
  /** Requests beyond this many in flight at once answer 429; may be changed while running. */
  maxConcurrent: number;
  latencyMs: number;
  readonly inFlight: number;
  /** Highest number of admitted requests in flight at once since start or {@link resetPeak}. */
  readonly peakConcurrency: number;
  /** Requests refused by the concurrency limit (not counting {@link throttleNext}). */
  readonly concurrencyRejections: number;
  /** Requests received per route (`POST /services/rest/query/v1/suiteql`), refused ones included. */
  readonly requests: Record<string, number>;
  readonly customers: Map<string, NetSuiteCustomer>;
  readonly vendors: Map<string, NetSuiteVendor>;
  readonly invoices: Map<string, NetSuiteInvoice>;
  readonly employees: Map<string, NetSuiteEmployee>;
  readonly contacts: Map<string, NetSuiteContact>;
  /** Customer creates and updates the record service ran, and the idempotency keys it remembers. */
  readonly writes: NetSuiteWrites;
  /** The next `n` authenticated requests answer the concurrency 429 regardless of load. */
  throttleNext(n: number): void;
  resetPeak(): void;
}

/** A running NetSuite REST simulator: `url` stands in for `https://{accountId}.suitetalk.api.netsuite.com`. */
export interface NetSuiteApi {
  readonly url: string;
  readonly state: NetSuiteApiState;
  close(): Promise<void>;
}

const SEED_EPOCH = Date.UTC(2024, 0, 1);
const RFC9110 = 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5';

/**
 * Starts a NetSuite REST web services simulator on 127.0.0.1: the record service (`customer` list, get,
 * create and update with `X-NetSuite-Idempotency-Key`; `vendor` and `invoice` get) and SuiteQL over
 * `customer`, `vendor`, `transaction`, `employee` and `contact`, both paged by `limit`/`offset` with `hasMore`; every request must carry an OAuth 1.0a TBA
 * header (HMAC-SHA256, realm unsigned) that the simulator verifies by recomputing the signature; account
 * concurrency governance answers 429 beyond `maxConcurrent` requests in flight.
 */
export async function startNetSuiteApi(options: NetSuiteApiOptions = {}): Promise<NetSuiteApi> {
  const creds = options.credentials ?? NETSUITE_TEST_CREDENTIALS;
  const customers = new Map<string, NetSuiteCustomer>();
  for (let i = 1; i <= (options.customers ?? 250); i += 1) {
    const id = String(100 + i);
    customers.set(id, {
      id, entityId: `CUST${id}`, companyName: `Customer ${i} Ltd`, ...(i % 25 ? { email: `billing${i}@example.com` } : {}), isPerson: false,
      dateCreated: iso(SEED_EPOCH), lastModifiedDate: iso(SEED_EPOCH + i * 13 * 60_000),
    });
  }
  const { vendors, invoices } = seedNetSuiteRecords(customers, { vendors: options.vendors ?? 60, invoices: options.invoices ?? 130 });
  const { employees, contacts } = seedNetSuitePeople({ employees: options.employees ?? 45, contacts: options.contacts ?? 70, customers: customers.size });
  const tables = { ...suiteQlTables(customers, vendors, invoices), ...suiteQlPeopleTables(employees, contacts) };
  const writes: NetSuiteWrites = { creates: 0, updates: 0, handled: 0, holdNextAnswerMs: 0, lastKey: undefined, lastAsync: false, jobs: { delayMs: 150, submitted: 0, polls: 0, byKey: new Map() } };
  const c = { inFlight: 0, peak: 0, rejected: 0, throttle: 0 };
  const nonces = new Set<string>();
  const state: NetSuiteApiState = {
    maxConcurrent: options.maxConcurrent ?? 15,
    latencyMs: options.latencyMs ?? 0,
    get inFlight() { return c.inFlight; },
    get peakConcurrency() { return c.peak; },
    get concurrencyRejections() { return c.rejected; },
    requests: {},
    customers,
    vendors,
    invoices,
    employees,
    contacts,
    writes,
    throttleNext: (n) => void (c.throttle = n),
    resetPeak: () => void (c.peak = c.inFlight),
  };

  const app = Fastify({ logger: false });
  let url = '';
  app.addHook('onRequest', async (req, reply) => {
    const route = `${req.method} ${req.routeOptions.url ?? '(unmatched)'}`;
    state.requests[route] = (state.requests[route] ?? 0) + 1;
    if (!verifyTba(req, creds, nonces)) {
      reply.header('WWW-Authenticate', `OAuth realm="${creds.realm ?? ''}", error="token_rejected", error_description="Invalid login attempt."`);
      return problem(reply, 401, 'Unauthorized', 'INVALID_LOGIN', 'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.');
    }
    const overCap = c.inFlight >= state.maxConcurrent;
    if (c.throttle > 0 || overCap) {
      if (c.throttle > 0) c.throttle -= 1;
      else c.rejected += 1;
      // Documented without Retry-After: the caller cannot know when a slot frees up.
      return problem(reply, 429, 'Too Many Requests', options.concurrencyErrorCode ?? 'SSS_REQUEST_LIMIT_EXCEEDED', 'Concurrent request limit exceeded. Request blocked.');
    }
    c.inFlight += 1;
    c.peak = Math.max(c.peak, c.inFlight);
    // 'close' fires on completion and on client abort alike, so a slot is never leaked.
    reply.raw.once('close', () => void (c.inFlight -= 1));
    if (state.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, state.latencyMs));
  });
  app.setNotFoundHandler((req, reply) => problem(reply, 404, 'Not Found', 'INVALID_URL', `The request URL ${req.url} is not valid.`));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _req, reply) =>
    problem(reply, error.statusCode ?? 500, 'Bad Request', 'INVALID_CONTENT', error.message),
  );

  type Paging = { Querystring: { limit?: string; offset?: string } };
  app.get<Paging>('/services/rest/record/v1/customer', async (req, reply) => {
    const paging = pagingOf(req.query, reply);
    if (!paging) return reply;
    const all = [...customers.values()].sort((a, b) => Number(a.id) - Number(b.id));
    const items = all.slice(paging.offset, paging.offset + paging.limit).map((x) => ({ links: [self(`/services/rest/record/v1/customer/${x.id}`)], id: x.id }));
    return collection(reply, '/services/rest/record/v1/customer', paging, items, all.length);
  });

  app.get<{ Params: { id: string } }>('/services/rest/record/v1/customer/:id', async (req, reply) => {
    const found = customers.get(req.params.id);
    if (!found) return problem(reply, 404, 'Not Found', 'NONEXISTENT_ID', 'The record instance does not exist. Provide a valid record instance ID.');
    return json(reply, 200, { links: [self(`/services/rest/record/v1/customer/${found.id}`)], ...found }, 'singular-resource');
  });

  app.post<Paging & { Body: { q?: unknown } }>('/services/rest/query/v1/suiteql', async (req, reply) => {
    // Code unverified; the header requirement and `o:errorHeader` field are documented.
    if (!/\btransient\b/i.test(String(req.headers.prefer ?? ''))) return problem(reply, 400, 'Bad Request', 'INVALID_HEADER', 'SuiteQL queries require the Prefer: transient header.', { 'o:errorHeader': 'Prefer' });
    const paging = pagingOf(req.query, reply);
    if (!paging) return reply;
    const result = typeof req.body?.q === 'string' ? suiteql(req.body.q, tables) : 'Missing q.';
    if (typeof result === 'string') return problem(reply, 400, 'Bad Request', 'INVALID_PARAMETER', `Invalid search query. Detailed unprocessed description follows. Search error occurred: ${result}`);
    return collection(reply, '/services/rest/query/v1/suiteql', paging, result.slice(paging.offset, paging.offset + paging.limit), result.length);
  });

  registerNetSuiteRecords(app, { url: () => url, customers, vendors, invoices, writes, problem, json });

  const self = (path: string) => ({ rel: 'self', href: `${url}${path}` });
  function collection(reply: FastifyReply, path: string, { limit, offset }: { limit: number; offset: number }, items: object[], total: number) {
    const hasMore = offset + items.length < total;
    const at = (o: number) => `${url}${path}?limit=${limit}&offset=${o}`;
    const links = [
      ...(offset > 0 ? [{ rel: 'previous', href: at(Math.max(0, offset - limit)) }] : []),
      { rel: 'first', href: at(0) },
      ...(hasMore ? [{ rel: 'next', href: at(offset + limit) }] : []),
      { rel: 'last', href: at(Math.max(0, Math.floor((total - 1) / limit) * limit)) },
      { rel: 'self', href: at(offset) },
    ];
    return json(reply, 200, { links, count: items.length, hasMore, items, offset, totalResults: total }, 'collection');
  }

  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, state, close: () => app.close() };
}

/**
 * Verifies an OAuth 1.0a TBA header the way NetSuite does: known consumer and token, the account's realm,
 * HMAC-SHA256, a fresh timestamp, an unused nonce, and a signature recomputed over the request (realm and
 * `oauth_signature` excluded, query parameters included) with the secrets only the server and client know.
 */
function verifyTba(req: FastifyRequest, creds: providerAuth.OAuth1Credentials, nonces: Set<string>): boolean {
  const header = req.headers.authorization ?? '';
  if (!/^OAuth\s/i.test(header)) return false;
  const params = new Map<string, string>();
  try {
    for (const [, name, value] of header.slice(6).matchAll(/([\w-]+)\s*=\s*"([^"]*)"/g)) params.set(name!, decodeURIComponent(value!));
  } catch {
    return false; // a malformed percent-escape
  }
  const p = (name: string) => params.get(name) ?? '';
  if (p('realm') !== (creds.realm ?? '') || p('oauth_consumer_key') !== creds.consumerKey || p('oauth_token') !== creds.tokenId) return false;
  if (p('oauth_signature_method') !== 'HMAC-SHA256' || !p('oauth_nonce')) return false;
  if (Math.abs(Date.now() / 1000 - Number(p('oauth_timestamp'))) > 300) return false; // NaN fails too
  const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url}`;
  const signed = [...params].filter(([name]) => name.startsWith('oauth_') && name !== 'oauth_signature');
  const base = providerAuth.signatureBaseString(req.method, url, [...signed, ...new URL(url).searchParams]);
  const key = `${providerAuth.percentEncode(creds.consumerSecret)}&${providerAuth.percentEncode(creds.tokenSecret)}`;
  const expected = createHmac('sha256', key).update(base).digest();
  const given = Buffer.from(p('oauth_signature'), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  // Checked last so a refused request does not burn the nonce; a replay of an accepted one is refused.
  if (nonces.has(p('oauth_nonce'))) return false;
  nonces.add(p('oauth_nonce'));
  return true;
}

function pagingOf(query: { limit?: string; offset?: string }, reply: FastifyReply): { limit: number; offset: number } | undefined {
  const limit = Number(query.limit ?? 1000);
  const offset = Number(query.offset ?? 0);
  if (Number.isInteger(limit) && limit >= 1 && limit <= 1000 && Number.isInteger(offset) && offset >= 0) return { limit, offset };
  const param = Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? 'offset' : 'limit';
  void problem(reply, 400, 'Bad Request', 'INVALID_PARAMETER', `Invalid value for the ${param} parameter. The ${param} must be ${param === 'limit' ? 'between 1 and 1000' : 'a non-negative integer'}.`, { 'o:errorQueryParam': param });
  return undefined;
}

function json(reply: FastifyReply, status: number, body: object, type: string) {
  // NetSuite's media type, sent as a Buffer so Fastify neither re-serialises nor rewrites the header.
  return reply.code(status).header('content-type', `application/vnd.oracle.resource+json; type=${type}`).send(Buffer.from(JSON.stringify(body)));
}

function problem(reply: FastifyReply, status: number, title: string, code: string, detail: string, extra: object = {}) {
  const type = status === 429 ? 'https://www.rfc-editor.org/rfc/rfc6585.html#section-4' : `${RFC9110}.${{ 400: 1, 401: 2, 404: 5 }[status as 400] ?? 1}`;
  return json(reply, status, { type, title, status, 'o:errorDetails': [{ detail, 'o:errorCode': code, ...extra }] }, 'error');
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
