import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import { guid, seedRow, TABLES, type DataverseTable } from './dataverse-tables.js';

/** Options for {@link startDataverseApi}. */
export interface DataverseApiOptions {
  /** Bearer tokens the environment accepts. Default `['dv-access-token']`. */
  accessTokens?: string[];
  /** Seeded contacts. Default 250. */
  contacts?: number;
  /** Seeded rows of the other tables (accounts, leads, opportunities, activitypointers). Default 30, 120, 150, 80. */
  rows?: Partial<Record<string, number>>;
  /** Entra tenant named in the 401 `WWW-Authenticate` challenge. */
  tenantId?: string;
}

/** A contact row with the columns this simulator knows (Dataverse logical names). */
export interface DataverseContact {
  contactid: string;
  firstname: string;
  lastname: string;
  fullname: string;
  emailaddress1: string | null;
  createdon: string;
  modifiedon: string;
  versionnumber: number;
}

/** Which service protection limit a throttled answer reports. */
export type DataverseLimit = 'requests' | 'execution-time' | 'concurrency';

/** Knobs and counters of a running {@link startDataverseApi}. */
export interface DataverseApiState {
  /** Accepted bearer tokens; delete one to make it answer 401. */
  readonly accessTokens: Set<string>;
  /** Requests received per route, refused ones included. */
  readonly requests: Record<string, number>;
  readonly contacts: Map<string, DataverseContact>;
  /** Every table's rows by entity set (`accounts`, `leads`, …; `contacts` is the map above), in key order of creation. */
  readonly tables: Record<string, Map<string, Record<string, unknown>>>;
  /** The next `n` authenticated requests answer 429 with `Retry-After` (default 5 s) and the limit's error code. */
  throttleNext(n: number, options?: { retryAfterS?: number; limit?: DataverseLimit }): void;
}

/** A running Dataverse Web API simulator: `url` stands in for `https://{org}.crm.dynamics.com`. */
export interface DataverseApi {
  readonly url: string;
  readonly state: DataverseApiState;
  close(): Promise<void>;
}

// Service protection limits (learn.microsoft.com api-limits): 6 000 requests / 1 200 s execution / 52 concurrent per 5 min.
const LIMITS: Record<DataverseLimit, { code: string; message: string }> = {
  requests: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' },
  'execution-time': {
    code: '0x80072321',
    message: 'Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
  },
  concurrency: { code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 52.' },
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Starts a Dataverse Web API (OData v4) simulator on 127.0.0.1 serving the tables of {@link TABLES}
 * (`contacts`, `accounts`, `leads`, `opportunities`, read-only `activitypointers`): `$select`, `$filter`
 * (comparisons joined by `and`), `$orderby`, `$top`, `$count`, pages sized by `Prefer: odata.maxpagesize`
 * and continued by absolute `@odata.nextLink` URLs carrying a paging-cookie `$skiptoken`; writes as the
 * Web API takes them (`POST` → 204 + `OData-EntityId`, or 201 with the row under `Prefer:
 * return=representation`; `PATCH` with `If-Match: *` → 404 for a missing row instead of an upsert; `DELETE`
 * → 204; lookups bound with `<nav>@odata.bind: "/set(id)"`); bearer auth with 401 + `WWW-Authenticate`;
 * service-protection 429 with `Retry-After`; errors as `{error: {code, message}}`. The code for a missing
 * required column (`0x80040200`) is (S); this simulator refuses a PATCH upsert of a missing row.
 */
export async function startDataverseApi(options: DataverseApiOptions = {}): Promise<DataverseApi> {
  const counts: Record<string, number> = { contacts: options.contacts ?? 250, accounts: 30, leads: 120, opportunities: 150, activitypointers: 80, ...options.rows };
  const tables = Object.fromEntries(
    Object.entries(TABLES).map(([set, table]) => [set, new Map([...Array(counts[set] ?? 0).keys()].map((i) => { const row = seedRow(set, i + 1); return [String(row[table.key]), row]; }))]),
  ) as Record<string, Map<string, Record<string, unknown>>>;
  const contacts = tables.contacts as unknown as Map<string, DataverseContact>;
  let throttle = { n: 0, retryAfterS: 5, limit: 'requests' as DataverseLimit };
  let burstRemaining = 6_000;
  const state: DataverseApiState = {
    accessTokens: new Set(options.accessTokens ?? ['dv-access-token']),
    requests: {},
    contacts,
    tables,
    throttleNext: (n, o = {}) => void (throttle = { n, retryAfterS: o.retryAfterS ?? 5, limit: o.limit ?? 'requests' }),
  };

  const app = Fastify({ logger: false });
  let url = '';
  app.addHook('onRequest', async (req, reply) => {
    const route = `${req.method} ${req.routeOptions.url ?? '(unmatched)'}`;
    state.requests[route] = (state.requests[route] ?? 0) + 1;
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !state.accessTokens.has(bearer)) {
      // Dataverse answers an unauthenticated call with an empty body and an Entra challenge.
      const tenant = options.tenantId ?? '00000000-0000-0000-0000-000000000000';
      return reply.code(401).header('WWW-Authenticate', `Bearer authorization_uri=https://login.microsoftonline.com/${tenant}/oauth2/authorize, resource_id=${url}/`).send();
    }
    burstRemaining = Math.max(0, burstRemaining - 1);
    reply.header('x-ms-ratelimit-burst-remaining-xrm-requests', String(burstRemaining));
    if (throttle.n > 0) {
      throttle.n -= 1;
      reply.header('Retry-After', String(throttle.retryAfterS));
      return odataError(reply, 429, LIMITS[throttle.limit].code, LIMITS[throttle.limit].message);
    }
  });
  app.setNotFoundHandler((req, reply) => odataError(reply, 404, '0x8006088a', `Resource not found for the segment '${req.url.split('?')[0]!.split('/').pop()}'.`));

  type Query = Record<string, string | undefined>;
  type Segment = { Params: { version: string; segment: string }; Querystring: Query };
  /** `accounts` or `accounts(<guid>)`: the key syntax is not a path segment of its own. */
  const resolve = (version: string, segment: string) => {
    const m = /^(\w+)(?:\(([^)]*)\))?$/.exec(segment);
    const table = m ? TABLES[m[1]!] : undefined;
    return /^v9\.[0-2]$/.test(version) && table ? { set: m![1]!, table, rows: tables[m![1]!]!, key: m![2] } : undefined;
  };
  const missingSegment = (reply: FastifyReply, segment: string) => odataError(reply, 404, '0x8006088a', `Resource not found for the segment '${segment}'.`);
  const noProperty = (reply: FastifyReply, table: DataverseTable, name: string | undefined) => odataError(reply, 400, '0x80060888', `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${table.logical}'.`);
  const doesNotExist = (reply: FastifyReply, table: DataverseTable, key: string) => odataError(reply, 404, '0x80040217', `${table.logical} With Id = ${key} Does Not Exist`);
  const representation = (prefer: unknown) => /return=representation/i.test(String(prefer ?? ''));

  app.get<Segment>('/api/data/:version/:segment', async (req, reply) => {
    const { version, segment } = req.params;
    const target = resolve(version, segment);
    if (!target) return missingSegment(reply, segment);
    const { set, table, rows: all, key } = target;
    const select = req.query.$select?.split(',').map((c) => c.trim());
    const unknown = select?.find((c) => !table.columns.includes(c));
    if (unknown !== undefined) return noProperty(reply, table, unknown);
    const context = `${url}/api/data/${version}/$metadata#${set}${select ? `(${select.join(',')})` : ''}`;
    const project = (c: Record<string, unknown>) => ({
      '@odata.etag': `W/"${String(c.versionnumber)}"`,
      ...(select ? Object.fromEntries([...new Set([table.key, ...select])].map((s) => [s, c[s] ?? null])) : c),
    });

    if (key !== undefined) {
      if (!GUID.test(key)) return odataError(reply, 400, '0x80060888', 'Bad Request - Error in query syntax.');
      const found = all.get(key.toLowerCase());
      if (!found) return doesNotExist(reply, table, key);
      return send(reply, 200, { '@odata.context': `${context}/$entity`, ...project(found) });
    }

    const filter = parseFilter(req.query.$filter, table);
    if (typeof filter === 'string') return odataError(reply, 400, '0x80060888', filter);
    const order = /^(\w+)(?:\s+(asc|desc))?$/i.exec(req.query.$orderby?.trim() ?? table.key);
    const orderBy = order?.[1];
    if (!order || !orderBy || !table.columns.includes(orderBy)) return noProperty(reply, table, req.query.$orderby);
    const dir = order[2]?.toLowerCase() === 'desc' ? -1 : 1;
    // Ties broken by the primary key, as Dataverse adds it to every ordering so paging cookies are exact.
    const sortKey = (c: Record<string, unknown>): [string, string] => [String(c[orderBy] ?? '').padStart(typeof c[orderBy] === 'number' ? 12 : 0, '0'), String(c[table.key])];
    const cmp = (a: [string, string], b: [string, string]) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) * dir : (a[0] < b[0] ? -1 : 1) * dir);
    let rows = [...all.values()].filter(filter).sort((a, b) => cmp(sortKey(a), sortKey(b)));
    const total = rows.length;

    const top = req.query.$top === undefined ? undefined : Number(req.query.$top);
    if (top !== undefined && !(Number.isInteger(top) && top >= 0)) return odataError(reply, 400, '0x80060888', `Invalid value '${req.query.$top}' for $top query option found.`);
    const requested = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers.prefer ?? ''))?.[1];
    if (requested) reply.header('Preference-Applied', `odata.maxpagesize=${requested}`);
    // With $top Dataverse returns that many rows and no nextLink; otherwise pages of maxpagesize (≤ 5 000).
    const pageSize = top ?? Math.min(5_000, Number(requested ?? 5_000));

    const cookie = req.query.$skiptoken ? readCookie(req.query.$skiptoken, table.key) : undefined;
    if (req.query.$skiptoken && !cookie) return odataError(reply, 400, '0x80060888', 'The $skiptoken is invalid.');
    if (cookie) rows = rows.filter((c) => cmp(sortKey(c), [cookie.last, cookie.lastId]) > 0);
    const pageRows = rows.slice(0, pageSize);
    const body: Record<string, unknown> = { '@odata.context': context };
    if (req.query.$count === 'true') body['@odata.count'] = Math.min(total, 5_000);
    body.value = pageRows.map(project);
    const last = pageRows.at(-1);
    if (top === undefined && last && rows.length > pageRows.length) {
      const kept = Object.entries(req.query).filter((e): e is [string, string] => e[0] !== '$skiptoken' && e[1] !== undefined);
      const token = writeCookie((cookie?.page ?? 1) + 1, sortKey(last), String(pageRows[0]![table.key]), table.key);
      // Dataverse keeps `$` and `,` literal in its links; everything else is percent-encoded.
      const query = [...kept, ['$skiptoken', token]].map(([k, v]) => `${k}=${encodeURIComponent(v!).replace(/%2C/gi, ',').replace(/%24/gi, '$')}`);
      body['@odata.nextLink'] = `${url}/api/data/${version}/${set}?${query.join('&')}`;
    }
    return send(reply, 200, body);
  });

  /**
   * A write body checked as Dataverse checks it: known, writable columns and `<nav>@odata.bind` to a row that
   * exists; gives the columns to store or the error to answer.
   */
  const writable = (table: DataverseTable, body: unknown): { values: Record<string, unknown> } | { error: [number, string, string] } => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: [400, '0x80060888', 'The request body must be a JSON object.'] };
    const values: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) {
      const bind = /^(\w+)@odata\.bind$/.exec(name)?.[1];
      if (bind !== undefined) {
        const nav = table.binds[bind];
        if (!nav) return { error: [400, '0x80060888', `An undeclared property '${bind}' which only has property annotations in the payload but no property value was found in the payload.`] };
        const ref = value === null ? null : new RegExp(`^/${nav.set}\\(([^)]+)\\)$`).exec(String(value))?.[1]?.toLowerCase();
        if (ref === undefined || (ref !== null && !tables[nav.set]?.has(ref))) return { error: [400, '0x80040217', `${TABLES[nav.set]!.logical} With Id = ${String(value)} Does Not Exist`] };
        values[nav.column] = ref;
      } else if (!table.columns.includes(name) || name === table.key || name.startsWith('_') || ['createdon', 'modifiedon', 'versionnumber'].includes(name)) {
        return { error: [400, '0x80060888', `Invalid property '${name}' was found in entity 'Microsoft.Dynamics.CRM.${table.logical}'.`] };
      } else values[name] = value;
    }
    return { values };
  };
  const saved = (reply: FastifyReply, prefer: unknown, set: string, row: Record<string, unknown>, key: string, status: number) => {
    reply.header('OData-EntityId', `${url}/api/data/v9.2/${set}(${key})`);
    return representation(prefer) ? send(reply, status, { '@odata.context': `${url}/api/data/v9.2/$metadata#${set}/$entity`, '@odata.etag': `W/"${String(row.versionnumber)}"`, ...row }) : reply.code(204).send();
  };
  let version = 9_000;

  app.post<Segment & { Body: unknown }>('/api/data/:version/:segment', async (req, reply) => {
    const target = resolve(req.params.version, req.params.segment);
    if (!target || target.key !== undefined || !target.table.writable) return odataError(reply, 405, '0x80060888', `The HTTP method 'POST' is not allowed for the segment '${req.params.segment}'.`);
    const checked = writable(target.table, req.body);
    if ('error' in checked) return odataError(reply, ...checked.error);
    const missing = target.table.required.find((c) => checked.values[c] === undefined || checked.values[c] === null || checked.values[c] === '');
    if (missing) return odataError(reply, 400, '0x80040200', `Attribute '${missing}' cannot be NULL.`);
    const key = randomUUID();
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const row = { ...Object.fromEntries(target.table.columns.map((c) => [c, null])), ...checked.values, [target.table.key]: key, _ownerid_value: guid('owner'), createdon: now, modifiedon: now, versionnumber: version++ };
    target.rows.set(key, row);
    return saved(reply, req.headers.prefer, target.set, row, key, 201);
  });

  app.patch<Segment & { Body: unknown }>('/api/data/:version/:segment', async (req, reply) => {
    const target = resolve(req.params.version, req.params.segment);
    if (!target || target.key === undefined || !target.table.writable) return odataError(reply, 405, '0x80060888', `The HTTP method 'PATCH' is not allowed for the segment '${req.params.segment}'.`);
    const key = target.key.toLowerCase();
    const row = target.rows.get(key);
    // PATCH is an upsert unless `If-Match: *` says the row must exist (learn.microsoft.com … update-delete-entities-using-web-api).
    if (!row && req.headers['if-match'] === '*') return doesNotExist(reply, target.table, target.key);
    if (!row) return odataError(reply, 400, '0x80060888', 'This simulator does not create rows by upsert; send If-Match: * to update');
    const checked = writable(target.table, req.body);
    if ('error' in checked) return odataError(reply, ...checked.error);
    Object.assign(row, checked.values, { modifiedon: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), versionnumber: version++ });
    return saved(reply, req.headers.prefer, target.set, row, key, 200);
  });

  app.delete<Segment>('/api/data/:version/:segment', async (req, reply) => {
    const target = resolve(req.params.version, req.params.segment);
    if (!target || target.key === undefined || !target.table.writable) return odataError(reply, 405, '0x80060888', `The HTTP method 'DELETE' is not allowed for the segment '${req.params.segment}'.`);
    if (!target.rows.delete(target.key.toLowerCase())) return doesNotExist(reply, target.table, target.key);
    return reply.code(204).send();
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, state, close: () => app.close() };
}


function send(reply: FastifyReply, status: number, body: object) {
  // A Buffer, so Fastify sends the OData media type exactly as given.
  return reply.code(status).header('content-type', 'application/json; odata.metadata=minimal').header('OData-Version', '4.0').send(Buffer.from(JSON.stringify(body)));
}

function odataError(reply: FastifyReply, status: number, code: string, message: string) {
  return send(reply, status, { error: { code, message } });
}

/**
 * Dataverse's `$skiptoken`: `<cookie pagenumber="N" pagingcookie="…" istracking="False" />`, the inner cookie
 * (URL-encoded inside the token, as Dataverse sends it) naming the last row's sort value and id so the next page starts
 * right after it even if rows were added meanwhile.
 */
function writeCookie(page: number, [last, lastId]: [string, string], firstId: string, keyName: string): string {
  const inner = `<cookie page="${page - 1}"><sortvalue last="${encodeURIComponent(last)}" /><${keyName} last="{${lastId.toUpperCase()}}" first="{${firstId.toUpperCase()}}" /></cookie>`;
  return `<cookie pagenumber="${page}" pagingcookie="${encodeURIComponent(inner)}" istracking="False" />`;
}

function readCookie(token: string, keyName: string): { page: number; last: string; lastId: string } | undefined {
  try {
    const outer = /^<cookie pagenumber="(\d+)" pagingcookie="([^"]*)"/.exec(token);
    const inner = outer ? decodeURIComponent(outer[2]!) : '';
    const last = /<sortvalue last="([^"]*)"/.exec(inner)?.[1];
    const lastId = new RegExp(`<${keyName} last="\\{([^}]*)\\}"`).exec(inner)?.[1];
    return outer && last !== undefined && lastId ? { page: Number(outer[1]), last: decodeURIComponent(last), lastId: lastId.toLowerCase() } : undefined;
  } catch {
    return undefined;
  }
}

/** `$filter` subset: `col eq|ne|gt|ge|lt|le literal` joined by `and`; literals quoted, numeric, `null` or ISO datetimes. */
function parseFilter(filter: string | undefined, table: DataverseTable): ((c: Record<string, unknown>) => boolean) | string {
  const tests: Array<(c: Record<string, unknown>) => boolean> = [];
  for (const clause of filter ? filter.split(/\s+and\s+/i) : []) {
    const m = /^(\w+)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|null|[\w:.+-]+)$/i.exec(clause.trim());
    if (!m) return `Syntax error at position 0 in '${filter}'.`;
    const col = m[1]!;
    if (!table.columns.includes(col)) return `Could not find a property named '${m[1]}' on type 'Microsoft.Dynamics.CRM.${table.logical}'.`;
    const raw = m[3]!;
    const literal = raw.startsWith("'") ? raw.slice(1, -1).replace(/''/g, "'") : raw === 'null' ? null : raw;
    const date = /on$|date$|^scheduled|^actual/.test(col);
    const numeric = ['versionnumber', 'statecode', 'statuscode', 'numberofemployees', 'revenue', 'estimatedvalue', 'closeprobability'].includes(col);
    const key = (v: unknown) => (v == null ? null : date ? Date.parse(String(v)) : numeric ? Number(v) : String(v).toLowerCase());
    const want = key(literal);
    const op = m[2]!.toLowerCase();
    tests.push((c) => {
      const have = key(c[col]);
      if (op === 'eq') return have === want;
      if (op === 'ne') return have !== want;
      if (have === null || want === null) return false;
      return op === 'gt' ? have > want : op === 'ge' ? have >= want : op === 'lt' ? have < want : have <= want;
    });
  }
  return (c) => tests.every((t) => t(c));
}
