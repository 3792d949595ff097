import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';

/** Options for {@link startDataverseApi}. */
export interface DataverseApiOptions {
  /** Bearer tokens the environment accepts. Default `['dv-access-token']`. */
  accessTokens?: string[];
  /** Seeded contacts. Default 250. */
  contacts?: number;
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
  /** The next `n` authenticated requests answer 429 with `Retry-After` (default 5 s) and the limit's error code. */
  throttleNext(n: number, options?: { retryAfterS?: number; limit?: DataverseLimit }): void;
}

/** A running Dataverse Web API simulator: `url` stands in for `https://{org}.crm.dynamics.com`. */
export interface DataverseApi {
  readonly url: string;
  readonly state: DataverseApiState;
  close(): Promise<void>;
}

const SEED_EPOCH = Date.UTC(2024, 0, 1);
const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Esi', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jon'];
// Service protection limits (learn.microsoft.com api-limits): 6 000 requests / 1 200 s execution / 52 concurrent per 5 min.
const LIMITS: Record<DataverseLimit, { code: string; message: string }> = {
  requests: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' },
  'execution-time': {
    code: '0x80072321',
    message: 'Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
  },
  concurrency: { code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 52.' },
};
const COLUMNS: ReadonlyArray<keyof DataverseContact> = ['contactid', 'firstname', 'lastname', 'fullname', 'emailaddress1', 'createdon', 'modifiedon', 'versionnumber'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Starts a Dataverse Web API (OData v4) simulator on 127.0.0.1 serving `contacts`: `$select`, `$filter`
 * (comparisons joined by `and`), `$orderby`, `$top`, `$count`, pages sized by `Prefer: odata.maxpagesize`
 * and continued by absolute `@odata.nextLink` URLs carrying a paging-cookie `$skiptoken`; bearer auth with
 * 401 + `WWW-Authenticate`; service-protection 429 with `Retry-After`; errors as `{error: {code, message}}`.
 */
export async function startDataverseApi(options: DataverseApiOptions = {}): Promise<DataverseApi> {
  const contacts = new Map<string, DataverseContact>();
  for (let i = 1; i <= (options.contacts ?? 250); i += 1) {
    const hex = createHash('sha256').update(`contact-${i}`).digest('hex');
    const contactid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    const firstname = FIRST[i % FIRST.length]!;
    contacts.set(contactid, {
      contactid, firstname, lastname: `Contact${i}`, fullname: `${firstname} Contact${i}`, emailaddress1: i % 20 ? `${firstname.toLowerCase()}.${i}@example.com` : null,
      createdon: iso(SEED_EPOCH), modifiedon: iso(SEED_EPOCH + i * 11 * 60_000), versionnumber: 1_000 + i,
    });
  }
  let throttle = { n: 0, retryAfterS: 5, limit: 'requests' as DataverseLimit };
  let burstRemaining = 6_000;
  const state: DataverseApiState = {
    accessTokens: new Set(options.accessTokens ?? ['dv-access-token']),
    requests: {},
    contacts,
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
  // One route for `contacts` and `contacts(<guid>)`: the key syntax is not a path segment of its own.
  app.get<{ Params: { version: string; segment: string }; Querystring: Query }>('/api/data/:version/:segment', async (req, reply) => {
    const { version, segment } = req.params;
    const key = /^contacts\(([^)]*)\)$/.exec(segment)?.[1];
    if (!/^v9\.[0-2]$/.test(version) || (segment !== 'contacts' && key === undefined)) {
      return odataError(reply, 404, '0x8006088a', `Resource not found for the segment '${segment}'.`);
    }
    const select = req.query.$select?.split(',').map((s) => s.trim());
    const unknown = select?.find((c) => !COLUMNS.includes(c as keyof DataverseContact));
    if (unknown !== undefined) return odataError(reply, 400, '0x80060888', `Could not find a property named '${unknown}' on type 'Microsoft.Dynamics.CRM.contact'.`);
    const context = `${url}/api/data/${version}/$metadata#contacts${select ? `(${select.join(',')})` : ''}`;
    const project = (c: DataverseContact) => ({
      '@odata.etag': `W/"${c.versionnumber}"`,
      ...(select ? Object.fromEntries([...new Set(['contactid', ...select])].map((s) => [s, c[s as keyof DataverseContact]])) : c),
    });

    if (key !== undefined) {
      if (!GUID.test(key)) return odataError(reply, 400, '0x80060888', 'Bad Request - Error in query syntax.');
      const found = contacts.get(key.toLowerCase());
      if (!found) return odataError(reply, 404, '0x80040217', `contact With Id = ${key} Does Not Exist`);
      return send(reply, 200, { '@odata.context': `${context}/$entity`, ...project(found) });
    }

    const filter = parseFilter(req.query.$filter);
    if (typeof filter === 'string') return odataError(reply, 400, '0x80060888', filter);
    const order = /^(\w+)(?:\s+(asc|desc))?$/i.exec(req.query.$orderby?.trim() ?? 'contactid');
    const orderBy = order?.[1] as keyof DataverseContact | undefined;
    if (!order || !orderBy || !COLUMNS.includes(orderBy)) return odataError(reply, 400, '0x80060888', `Could not find a property named '${req.query.$orderby}' on type 'Microsoft.Dynamics.CRM.contact'.`);
    const dir = order[2]?.toLowerCase() === 'desc' ? -1 : 1;
    // Ties broken by the primary key, as Dataverse adds it to every ordering so paging cookies are exact.
    const sortKey = (c: DataverseContact): [string, string] => [String(c[orderBy] ?? '').padStart(orderBy === 'versionnumber' ? 12 : 0, '0'), c.contactid];
    const cmp = (a: [string, string], b: [string, string]) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) * dir : (a[0] < b[0] ? -1 : 1) * dir);
    let rows = [...contacts.values()].filter(filter).sort((a, b) => cmp(sortKey(a), sortKey(b)));
    const total = rows.length;

    const top = req.query.$top === undefined ? undefined : Number(req.query.$top);
    if (top !== undefined && !(Number.isInteger(top) && top >= 0)) return odataError(reply, 400, '0x80060888', `Invalid value '${req.query.$top}' for $top query option found.`);
    const requested = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers.prefer ?? ''))?.[1];
    if (requested) reply.header('Preference-Applied', `odata.maxpagesize=${requested}`);
    // With $top Dataverse returns that many rows and no nextLink; otherwise pages of maxpagesize (≤ 5 000).
    const pageSize = top ?? Math.min(5_000, Number(requested ?? 5_000));

    const cookie = req.query.$skiptoken ? readCookie(req.query.$skiptoken) : undefined;
    if (req.query.$skiptoken && !cookie) return odataError(reply, 400, '0x80060888', 'The $skiptoken is invalid.');
    if (cookie) rows = rows.filter((c) => cmp(sortKey(c), [cookie.last, cookie.lastId]) > 0);
    const pageRows = rows.slice(0, pageSize);
    const body: Record<string, unknown> = { '@odata.context': context };
    if (req.query.$count === 'true') body['@odata.count'] = Math.min(total, 5_000);
    body.value = pageRows.map(project);
    const last = pageRows.at(-1);
    if (top === undefined && last && rows.length > pageRows.length) {
      const kept = Object.entries(req.query).filter((e): e is [string, string] => e[0] !== '$skiptoken' && e[1] !== undefined);
      const token = writeCookie((cookie?.page ?? 1) + 1, sortKey(last), pageRows[0]!.contactid);
      // Dataverse keeps `$` and `,` literal in its links; everything else is percent-encoded.
      const query = [...kept, ['$skiptoken', token]].map(([k, v]) => `${k}=${encodeURIComponent(v!).replace(/%2C/gi, ',').replace(/%24/gi, '$')}`);
      body['@odata.nextLink'] = `${url}/api/data/${version}/contacts?${query.join('&')}`;
    }
    return send(reply, 200, body);
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, state, close: () => app.close() };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

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
function writeCookie(page: number, [last, lastId]: [string, string], firstId: string): string {
  const inner = `<cookie page="${page - 1}"><sortvalue last="${encodeURIComponent(last)}" /><contactid last="{${lastId.toUpperCase()}}" first="{${firstId.toUpperCase()}}" /></cookie>`;
  return `<cookie pagenumber="${page}" pagingcookie="${encodeURIComponent(inner)}" istracking="False" />`;
}

function readCookie(token: string): { page: number; last: string; lastId: string } | undefined {
  try {
    const outer = /^<cookie pagenumber="(\d+)" pagingcookie="([^"]*)"/.exec(token);
    const inner = outer ? decodeURIComponent(outer[2]!) : '';
    const last = /<sortvalue last="([^"]*)"/.exec(inner)?.[1];
    const lastId = /<contactid last="\{([^}]*)\}"/.exec(inner)?.[1];
    return outer && last !== undefined && lastId ? { page: Number(outer[1]), last: decodeURIComponent(last), lastId: lastId.toLowerCase() } : undefined;
  } catch {
    return undefined;
  }
}

/** `$filter` subset: `col eq|ne|gt|ge|lt|le literal` joined by `and`; literals quoted, numeric, `null` or ISO datetimes. */
function parseFilter(filter: string | undefined): ((c: DataverseContact) => boolean) | string {
  const tests: Array<(c: DataverseContact) => boolean> = [];
  for (const clause of filter ? filter.split(/\s+and\s+/i) : []) {
    const m = /^(\w+)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|null|[\w:.+-]+)$/i.exec(clause.trim());
    if (!m) return `Syntax error at position 0 in '${filter}'.`;
    const col = m[1] as keyof DataverseContact;
    if (!COLUMNS.includes(col)) return `Could not find a property named '${m[1]}' on type 'Microsoft.Dynamics.CRM.contact'.`;
    const raw = m[3]!;
    const literal = raw.startsWith("'") ? raw.slice(1, -1).replace(/''/g, "'") : raw === 'null' ? null : raw;
    const date = col === 'createdon' || col === 'modifiedon';
    const key = (v: unknown) => (v == null ? null : date ? Date.parse(String(v)) : col === 'versionnumber' ? Number(v) : String(v).toLowerCase());
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
