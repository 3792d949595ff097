import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmpJobs } from './successfactors-empjob.js';

/**
 * SAP SuccessFactors OData v2, the parts a modified-since poll uses (providers.md §21.12):
 * `GET /odata/v2/User?$format=json&$filter=lastModifiedDateTime gt datetimeoffset'…' [and
 * lastModifiedDateTime le datetimeoffset'…']&$orderby=lastModifiedDateTime asc&$top&$skip` →
 * `{"d": {"results": [...]}}`, dates as `/Date(ms+0000)/`; `GET /odata/v2/User('id')` → `{"d": {...}}`;
 * `GET /odata/v2/EmpJob` (successfactors-empjob.ts; `$filter` may add `and userId eq '…'`) and one
 * `EmpJob(seqNumber=…L,startDate=datetime'…',userId='…')` by its key.
 * Basic auth `username@companyId:password`. A filter it cannot parse is a 400 with an OData error
 * body (`{"error": {"code", "message": {"lang", "value"}}}`, the OData v2 JSON error format).
 */
export interface SuccessFactorsApi {
  readonly url: string;
  readonly users: Map<string, SfUser>;
  /** Every list call's `$filter`, in order. */
  readonly filters: string[];
  /** How many of the next list calls answer a truncated JSON body (a proxy cutting the answer short). */
  garbage: number;
  /** Creates or changes a user, stamping `lastModifiedDateTime` with the simulator's clock. */
  upsert(user: Omit<SfUser, 'lastModifiedDateTime'>): void;
  /** The effective-dated `EmpJob` entity set (successfactors-empjob.ts). */
  readonly empJobs: EmpJobs;
  /** Creates or changes a job segment (start date `YYYY-MM-DD`), stamped with the simulator's clock. */
  upsertJob(segment: Parameters<EmpJobs['upsert']>[0]): void;
  close(): Promise<void>;
}

/** A User as OData v2 returns it (a subset). */
export interface SfUser {
  userId: string;
  firstName: string;
  lastName: string;
  email: string;
  status: 't' | 'f';
  lastModifiedDateTime: string;
}

const FILTER = /^lastModifiedDateTime gt datetimeoffset'([^']+)'(?: and lastModifiedDateTime le datetimeoffset'([^']+)')?$/;
const millis = (odataDate: string) => Number(/-?\d+/.exec(odataDate)?.[0]);

/** `$skip`/`$top` over a result list. */
function page<T>(query: URLSearchParams, list: T[]): T[] {
  const skip = Number(query.get('$skip') ?? 0);
  return list.slice(skip, skip + Number(query.get('$top') ?? 1000));
}

/**
 * EmpJob's `$filter`: the modified-since window, optionally `and userId eq '<text>'` (OData text literal,
 * `''` for a quote). Null when it cannot be parsed.
 */
function empJobFilterOf(filter: string): { window: ((stamp: number) => boolean) | undefined; userId?: string } | null {
  const user = / and userId eq '((?:[^']|'')*)'$|^userId eq '((?:[^']|'')*)'$/.exec(filter);
  const rest = user ? filter.slice(0, user.index) : filter;
  const window = windowOf(rest);
  if (window === null) return null;
  const literal = user?.[1] ?? user?.[2];
  return { window, ...(literal === undefined ? {} : { userId: literal.replace(/''/g, "'") }) };
}

/** The `lastModifiedDateTime` window of a `$filter` (undefined: no filter; null: one it cannot parse). */
function windowOf(filter: string): ((stamp: number) => boolean) | undefined | null {
  if (filter === '') return undefined;
  const match = FILTER.exec(filter);
  const from = match ? Date.parse(match[1]!) : NaN;
  const to = match?.[2] ? Date.parse(match[2]) : Infinity;
  if (Number.isNaN(from) || Number.isNaN(to)) return null;
  return (stamp) => stamp > from && stamp <= to;
}

/** Starts the simulator on loopback for the user `username@companyId` with `password`. */
export async function startSuccessFactorsApi(options: { username: string; password: string }): Promise<SuccessFactorsApi> {
  const users = new Map<string, SfUser>();
  const filters: string[] = [];
  const empJobs = new EmpJobs();
  let lastStamp = 0;
  // Strictly increasing stamps, as a database's commit times of successive changes.
  const stamp = () => (lastStamp = Math.max(Date.now(), lastStamp + 1));
  const json = (response: ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json;charset=utf-8' }).end(JSON.stringify(body));
  const odataError = (response: ServerResponse, status: number, code: string, value: string) => json(response, status, { error: { code, message: { lang: 'en-US', value } } });

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    if (request.headers.authorization !== expected) return odataError(response, 401, 'COE_AUTHENTICATION_FAILED', 'Authentication failed');
    const url = new URL(request.url ?? '/', 'http://sf');
    if (url.pathname === '/odata/v2/User' && api.garbage > 0) {
      api.garbage--;
      return response.writeHead(200, { 'content-type': 'application/json' }).end('{"d": {"results": [{"userId": "tru');
    }
    if (url.pathname === '/odata/v2/EmpJob') {
      const filter = empJobFilterOf(url.searchParams.get('$filter') ?? '');
      const list = filter === null ? undefined : empJobs.list(url.searchParams, filter.window, filter.userId);
      if (!list) return odataError(response, 400, 'COE_GENERAL_BAD_REQUEST', 'Invalid filter or date parameter');
      return json(response, 200, { d: { results: page(url.searchParams, list) } });
    }
    if (url.pathname === '/odata/v2/User') {
      const filter = url.searchParams.get('$filter') ?? '';
      filters.push(filter);
      const window = windowOf(filter);
      if (window === null) return odataError(response, 400, 'COE_GENERAL_BAD_REQUEST', `Invalid filter: ${filter}`);
      const list = [...users.values()].filter((u) => !window || window(millis(u.lastModifiedDateTime))).sort((a, b) => millis(a.lastModifiedDateTime) - millis(b.lastModifiedDateTime));
      return json(response, 200, { d: { results: page(url.searchParams, list) } });
    }
    const job = /^\/odata\/v2\/EmpJob\(seqNumber=(\d+)L,startDate=datetime'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)',userId='((?:[^']|'')+)'\)$/.exec(decodeURIComponent(url.pathname));
    if (job) {
      const segment = empJobs.get({ userId: job[3]!.replace(/''/g, "'"), startDate: Date.parse(`${job[2]}Z`), seqNumber: Number(job[1]) });
      return segment ? json(response, 200, { d: segment }) : odataError(response, 404, 'COE_RESOURCE_NOT_FOUND', 'EmpJob not found');
    }
    const one = /^\/odata\/v2\/User\('([^']+)'\)$/.exec(decodeURIComponent(url.pathname));
    if (one) {
      const user = users.get(one[1]!);
      return user ? json(response, 200, { d: user }) : odataError(response, 404, 'COE_RESOURCE_NOT_FOUND', 'User not found');
    }
    return odataError(response, 404, 'COE_RESOURCE_NOT_FOUND', 'No such entity set');
  };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => handle(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api: SuccessFactorsApi = {
    garbage: 0,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    users,
    filters,
    empJobs,
    upsert: (user) => users.set(user.userId, { ...user, lastModifiedDateTime: `/Date(${stamp()}+0000)/` }),
    upsertJob: (segment) => empJobs.upsert(segment, stamp()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return api;
}
