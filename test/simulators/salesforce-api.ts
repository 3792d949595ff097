import Fastify, { type FastifyReply } from 'fastify';
import type { AddressInfo } from 'node:net';
import { derived, SCHEMA, seedObject, type SObjectType } from './salesforce-objects.js';

export type { SObjectType };

/** Options for {@link startSalesforceApi}. */
export interface SalesforceApiOptions {
  /** Bearer tokens the org accepts. Default `['sf-access-token']`. */
  accessTokens?: string[];
  /** Seeded Contacts. Default 250, so a walk needs several batches. */
  contacts?: number;
  /** Seeded Accounts. Default 25. */
  accounts?: number;
  /** Seeded Leads, Opportunities, Tasks and Events. Default 230, 150, 60, 40. */
  objects?: Partial<Record<'Lead' | 'Opportunity' | 'Task' | 'Event', number>>;
  /**
   * Records per query batch when the client sends no `Sforce-Query-Options: batchSize`. Salesforce documents
   * batches as "up to 2 000, may be smaller"; 100 makes the seed span three batches. Default 100.
   */
  batchSize?: number;
  /** The org's daily allowance shown in `Sforce-Limit-Info`; reaching it answers 403. Default 15 000. */
  apiLimit?: number;
}

/** An sObject row: its type and its fields by their canonical API names (`Id`, `LastModifiedDate`, …). */
export interface SObjectRow {
  type: SObjectType;
  fields: Record<string, unknown>;
}


/** Knobs and counters of a running {@link startSalesforceApi}. */
export interface SalesforceApiState {
  /** Accepted bearer tokens; delete one to make it answer 401 `INVALID_SESSION_ID` as an expired session does. */
  readonly accessTokens: Set<string>;
  /** API calls counted against the allowance; set it near {@link apiLimit} to reach the real limit. */
  apiUsage: number;
  apiLimit: number;
  /** Requests received per route (`GET /services/data/:version/query`), refused ones included. */
  readonly requests: Record<string, number>;
  /** Live records by Id; deleted ones are removed (and remembered, for `ENTITY_IS_DELETED`). */
  readonly records: Map<string, SObjectRow>;
  /** The next `n` authenticated calls answer 403 `REQUEST_LIMIT_EXCEEDED`. */
  throttleNext(n: number): void;
}

/** A running Salesforce REST API simulator: `url` stands in for the org's `instance_url`. */
export interface SalesforceApi {
  readonly url: string;
  readonly state: SalesforceApiState;
  close(): Promise<void>;
}

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Esi', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jon'];
const SEED_EPOCH = Date.UTC(2024, 0, 1);

type Snapshot = { type: SObjectType; rows: Array<Record<string, unknown>>; batch: number };
type SfError = { message: string; errorCode: string; fields?: string[] };
const err = (errorCode: string, message: string, fields?: string[]): SfError => ({ message, errorCode, ...(fields ? { fields } : {}) });

/** Salesforce's datetime format: milliseconds and a `+0000` offset, not `Z`. */
const sfDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/**
 * Starts a Salesforce REST API (sObject and SOQL query resources) on 127.0.0.1 as documented: JSON-array
 * errors, `nextRecordsUrl` batches over a query snapshot, `Sforce-Limit-Info` on every response, 403
 * `REQUEST_LIMIT_EXCEEDED` over the allowance, 401 `INVALID_SESSION_ID` for an unknown bearer token.
 */
export async function startSalesforceApi(options: SalesforceApiOptions = {}): Promise<SalesforceApi> {
  const records = new Map<string, SObjectRow>();
  const deleted = new Set<string>();
  const serial: Record<SObjectType, number> = { Contact: 0, Account: 0, Lead: 0, Opportunity: 0, Task: 0, Event: 0 };
  const newId = (type: SObjectType) => `${SCHEMA[type].prefix}Dn0000${String(++serial[type]).padStart(6, '0')}AAA`;
  // A query locator keeps the snapshot it was created from, so writes between batches cause no gaps or repeats.
  const locators = new Map<string, Snapshot>();
  let throttle = 0;
  const state: SalesforceApiState = {
    accessTokens: new Set(options.accessTokens ?? ['sf-access-token']),
    apiUsage: 0,
    apiLimit: options.apiLimit ?? 15_000,
    requests: {},
    records,
    throttleNext: (n) => void (throttle = n),
  };

  const accountIds: string[] = [];
  for (let i = 1; i <= (options.accounts ?? 25); i += 1) {
    const Id = newId('Account');
    accountIds.push(Id);
    const at = sfDate(SEED_EPOCH + i * 3_600_000);
    records.set(Id, { type: 'Account', fields: { Id, Name: `Company ${i}`, Industry: i % 2 ? 'Technology' : 'Retail', CreatedDate: at, LastModifiedDate: at } });
  }
  for (let i = 1; i <= (options.contacts ?? 250); i += 1) {
    const Id = newId('Contact');
    const FirstName = FIRST[i % FIRST.length]!;
    const modified = SEED_EPOCH + i * 17 * 60_000; // distinct, increasing: `updated_after` filters are exact
    records.set(Id, {
      type: 'Contact',
      fields: {
        Id, FirstName, LastName: `Contact${i}`, Email: `${FirstName.toLowerCase()}.${i}@example.com`,
        AccountId: accountIds.length ? accountIds[i % accountIds.length] : null, Tier__c: [null, 'Gold', 'Silver', 'Bronze'][i % 4],
        CreatedDate: sfDate(SEED_EPOCH), LastModifiedDate: sfDate(modified),
      },
    });
  }

  const contactIds = [...records.values()].filter((r) => r.type === 'Contact').map((r) => String(r.fields.Id));
  const counts = { Lead: 230, Opportunity: 150, Task: 60, Event: 40, ...options.objects };
  for (const type of ['Lead', 'Opportunity', 'Task', 'Event'] as const) {
    for (let i = 1; i <= counts[type]; i += 1) {
      const Id = newId(type);
      const at = { created: sfDate(SEED_EPOCH), modified: sfDate(SEED_EPOCH + i * 13 * 60_000) };
      records.set(Id, { type, fields: { ...blank(type), Id, ...seedObject(type, i, at, { accounts: accountIds, contacts: contactIds }) } });
    }
  }

  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    const route = `${req.method} ${req.routeOptions.url ?? '(unmatched)'}`;
    state.requests[route] = (state.requests[route] ?? 0) + 1;
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !state.accessTokens.has(bearer)) return reply.code(401).send([err('INVALID_SESSION_ID', 'Session expired or invalid')]);
    if (throttle > 0 || state.apiUsage >= state.apiLimit) {
      throttle = Math.max(0, throttle - 1);
      return reply.code(403).send([err('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.')]);
    }
    state.apiUsage += 1;
  });
  // Salesforce puts the org's usage on every REST response, refusals included.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Sforce-Limit-Info', `api-usage=${state.apiUsage}/${state.apiLimit}`);
    return payload;
  });
  app.setNotFoundHandler((_req, reply) => notFound(reply));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _req, reply) => {
    const status = error.statusCode ?? 500;
    return reply.code(status).send([err(status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'JSON_PARSER_ERROR', error.message)]);
  });

  type P = { version: string; type?: string; id?: string; locator?: string };
  const base = '/services/data/:version';

  app.get<{ Params: P; Querystring: { q?: string } }>(`${base}/query`, async (req, reply) => {
    if (!/^v\d+\.\d$/.test(req.params.version)) return notFound(reply);
    const result = runSoql(req.query.q ?? '', records);
    if ('error' in result) return reply.code(400).send([result.error]);
    const requested = /batchSize=(\d+)/i.exec(String(req.headers['sforce-query-options'] ?? ''))?.[1];
    // Salesforce accepts 200–2 000 for batchSize and treats the value as a hint.
    const batch = requested ? Math.min(2_000, Math.max(200, Number(requested))) : (options.batchSize ?? 100);
    const locator = `01gDn${String(locators.size + 1).padStart(13, '0')}`;
    const snapshot = { ...result, batch };
    locators.set(locator, snapshot);
    return page(req.params.version, locator, snapshot, 0);
  });

  app.get<{ Params: P }>(`${base}/query/:locator`, async (req, reply) => {
    const [, locator, start] = /^(\w+)-(\d+)$/.exec(req.params.locator ?? '') ?? [];
    const snapshot = locator ? locators.get(locator) : undefined;
    if (!snapshot || start === undefined) return reply.code(400).send([err('INVALID_QUERY_LOCATOR', 'invalid query locator')]);
    return page(req.params.version, locator!, snapshot, Number(start));
  });

  /** One batch; the next offset rides in the locator URL, as in Salesforce's `01g…-2000`. */
  function page(version: string, locator: string, { type, rows, batch }: Snapshot, start: number) {
    const end = Math.min(rows.length, start + batch);
    const done = end >= rows.length;
    return {
      totalSize: rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/${version}/query/${locator}-${end}` }),
      records: rows.slice(start, end).map((row) => ({ attributes: { type, url: `/services/data/${version}/sobjects/${type}/${String(row[ID_KEY])}` }, ...row })),
    };
  }

  app.get<{ Params: P; Querystring: { fields?: string } }>(`${base}/sobjects/:type/:id`, async (req, reply) => {
    const found = lookup(req.params, reply);
    if (!found) return reply;
    const wanted = req.query.fields?.split(',').map((f) => f.trim());
    const fields = wanted ? Object.fromEntries(wanted.map((f) => [f, found.fields[f] ?? null])) : found.fields;
    return { attributes: { type: found.type, url: `/services/data/${req.params.version}/sobjects/${found.type}/${found.fields.Id}` }, ...fields };
  });

  app.post<{ Params: P; Body: unknown }>(`${base}/sobjects/:type`, async (req, reply) => {
    const type = req.params.type as SObjectType;
    if (!SCHEMA[type]) return notFound(reply);
    const errors = validate(type, req.body, undefined);
    if (errors.length) return reply.code(400).send(errors);
    const Id = newId(type);
    const now = sfDate(Date.now());
    const fields: Record<string, unknown> = { ...blank(type), ...(req.body as object), Id, CreatedDate: now, LastModifiedDate: now };
    records.set(Id, { type, fields: Object.assign(fields, derived(type, fields, records)) });
    return reply.code(201).send({ id: Id, success: true, errors: [] });
  });

  app.patch<{ Params: P; Body: unknown }>(`${base}/sobjects/:type/:id`, async (req, reply) => {
    const found = lookup(req.params, reply);
    if (!found) return reply;
    const errors = validate(found.type, req.body, found.fields);
    if (errors.length) return reply.code(400).send(errors);
    Object.assign(found.fields, req.body as object, { LastModifiedDate: sfDate(Date.now()) });
    Object.assign(found.fields, derived(found.type, found.fields, records));
    return reply.code(204).send();
  });

  app.delete<{ Params: P }>(`${base}/sobjects/:type/:id`, async (req, reply) => {
    const found = lookup(req.params, reply);
    if (!found) return reply;
    records.delete(String(found.fields.Id));
    deleted.add(String(found.fields.Id));
    return reply.code(204).send();
  });

  function lookup(params: P, reply: FastifyReply): SObjectRow | undefined {
    const found = records.get(params.id ?? '');
    if (found && found.type === params.type && /^v\d+\.\d$/.test(params.version)) return found;
    if (deleted.has(params.id ?? '')) void reply.code(404).send([err('ENTITY_IS_DELETED', 'entity is deleted')]);
    else void notFound(reply);
    return undefined;
  }

  /** Salesforce's write validation: unknown and system fields, required fields, e-mail syntax, lookups. */
  function validate(type: SObjectType, body: unknown, existing: Record<string, unknown> | undefined): SfError[] {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return [err('JSON_PARSER_ERROR', 'Expected a JSON object')];
    const errors: SfError[] = [];
    const values = body as Record<string, unknown>;
    for (const name of Object.keys(values)) {
      if (!SCHEMA[type].fields.includes(name)) errors.push(err('INVALID_FIELD', `No such column '${name}' on sobject of type ${type}`));
      else if (SCHEMA[type].readOnly.includes(name))
        errors.push(err('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [name]));
    }
    const missing = SCHEMA[type].required.filter((name) => ((name in values ? values[name] : existing?.[name]) ?? '') === '');
    if (missing.length) errors.push(err('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing));
    if (typeof values.Email === 'string' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.Email))
      errors.push(err('INVALID_EMAIL_ADDRESS', `Email: invalid email address: ${values.Email}`, ['Email']));
    if (values.AccountId != null && records.get(String(values.AccountId))?.type !== 'Account')
      errors.push(err('MALFORMED_ID', `Account ID: id value of incorrect type: ${String(values.AccountId)}`, ['AccountId']));
    for (const lookup of ['WhoId', 'WhatId'] as const) {
      if (values[lookup] != null && !records.has(String(values[lookup]))) errors.push(err('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [lookup]));
    }
    if (type === 'Opportunity' && values.Probability != null && !(typeof values.Probability === 'number' && values.Probability >= 0 && values.Probability <= 100))
      errors.push(err('NUMBER_OUTSIDE_VALID_RANGE', `Probability (%): value outside of valid range on numeric field: ${String(values.Probability)}`, ['Probability']));
    return errors;
  }

  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, state, close: () => app.close() };
}

function notFound(reply: FastifyReply) {
  return reply.code(404).send([err('NOT_FOUND', 'The requested resource does not exist')]);
}

const blank = (type: SObjectType) => Object.fromEntries(SCHEMA[type].fields.map((f) => [f, null]));

// Each query row carries its record Id under this key (non-enumerable), whether or not Id was selected.
const ID_KEY = '__sfId';

/**
 * A small SOQL subset: `SELECT f, … FROM <sObject> [WHERE f op v [AND …]] [ORDER BY f [ASC|DESC]]
 * [LIMIT n]`, names case-insensitive as in SOQL, answered with Salesforce's error codes otherwise.
 */
function runSoql(q: string, records: Map<string, SObjectRow>): { type: SObjectType; rows: Array<Record<string, unknown>> } | { error: SfError } {
  if (!q.trim()) return { error: err('MALFORMED_QUERY', 'A query string has to be specified') };
  const m = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(q);
  if (!m) return { error: err('MALFORMED_QUERY', `unexpected token in query: ${q}`) };
  const type = (Object.keys(SCHEMA) as SObjectType[]).find((t) => t.toLowerCase() === m[2]!.toLowerCase());
  if (!type) return { error: err('INVALID_TYPE', `sObject type '${m[2]}' is not supported.`) };
  const resolve = (name: string) => SCHEMA[type].fields.find((f) => f.toLowerCase() === name.toLowerCase());
  const columns: string[] = [];
  for (const raw of m[1]!.split(',').map((s) => s.trim())) {
    const name = resolve(raw);
    if (!name) return { error: err('INVALID_FIELD', `No such column '${raw}' on entity '${type}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`) };
    columns.push(name);
  }
  const conditions: Array<(row: Record<string, unknown>) => boolean> = [];
  for (const clause of m[3] ? m[3].split(/\s+AND\s+/i) : []) {
    const c = /^(\w+)\s*(!=|>=|<=|=|>|<)\s*('(?:[^'\\]|\\.)*'|null|[\w:.+-]+)$/i.exec(clause.trim());
    const field = c && resolve(c[1]!);
    if (!c || !field) return { error: err('MALFORMED_QUERY', `unexpected token: '${clause.trim()}'`) };
    const literal = c[3]!.startsWith("'") ? c[3]!.slice(1, -1) : c[3]!.toLowerCase() === 'null' ? null : c[3]!;
    const isDate = /Date(Time)?$/.test(field);
    const key = (v: unknown) => (v == null ? null : isDate ? Date.parse(String(v).replace('+0000', 'Z')) : String(v));
    const want = key(literal);
    conditions.push((row) => compare(key(row[field]), c[2]!, want));
  }
  const sortField = m[4] ? resolve(m[4]) : 'Id';
  if (!sortField) return { error: err('INVALID_FIELD', `No such column '${m[4]}' on entity '${type}'.`) };
  const direction = m[5]?.toUpperCase() === 'DESC' ? -1 : 1;
  const matched = [...records.values()]
    .filter((r) => r.type === type && conditions.every((test) => test(r.fields)))
    .map((r) => r.fields)
    .sort((a, b) => direction * (String(a[sortField] ?? '') < String(b[sortField] ?? '') ? -1 : String(a[sortField] ?? '') > String(b[sortField] ?? '') ? 1 : 0))
    .slice(0, m[6] ? Number(m[6]) : undefined);
  const rows = matched.map((fields) => {
    const row: Record<string, unknown> = Object.fromEntries(columns.map((c) => [c, fields[c] ?? null]));
    Object.defineProperty(row, ID_KEY, { value: fields.Id, enumerable: false });
    return row;
  });
  return { type, rows };
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  if (a === null || b === null) return false;
  const x = a as string | number;
  const y = b as string | number;
  return op === '>' ? x > y : op === '>=' ? x >= y : op === '<' ? x < y : x <= y;
}
