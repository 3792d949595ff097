import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * SAP SuccessFactors OData v2, the parts a modified-since poll uses (providers.md §21.12):
 * `GET /odata/v2/User?$format=json&$filter=lastModifiedDateTime gt datetimeoffset'…' [and
 * lastModifiedDateTime le datetimeoffset'…']&$orderby=lastModifiedDateTime asc&$top&$skip` →
 * `{"d": {"results": [...]}}`, dates as `/Date(ms+0000)/`; `GET /odata/v2/User('id')` → `{"d": {...}}`.
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

/** Starts the simulator on loopback for the user `username@companyId` with `password`. */
export async function startSuccessFactorsApi(options: { username: string; password: string }): Promise<SuccessFactorsApi> {
  const users = new Map<string, SfUser>();
  const filters: string[] = [];
  let lastStamp = 0;
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
    if (url.pathname === '/odata/v2/User') {
      const filter = url.searchParams.get('$filter') ?? '';
      filters.push(filter);
      let list = [...users.values()].sort((a, b) => millis(a.lastModifiedDateTime) - millis(b.lastModifiedDateTime));
      if (filter !== '') {
        const match = FILTER.exec(filter);
        if (!match) return odataError(response, 400, 'COE_GENERAL_BAD_REQUEST', `Invalid filter: ${filter}`);
        const from = Date.parse(match[1]!);
        const to = match[2] ? Date.parse(match[2]) : Infinity;
        if (Number.isNaN(from) || Number.isNaN(to)) return odataError(response, 400, 'COE_GENERAL_BAD_REQUEST', 'Invalid datetimeoffset');
        list = list.filter((u) => millis(u.lastModifiedDateTime) > from && millis(u.lastModifiedDateTime) <= to);
      }
      const top = Number(url.searchParams.get('$top') ?? 1000);
      const skip = Number(url.searchParams.get('$skip') ?? 0);
      return json(response, 200, { d: { results: list.slice(skip, skip + top) } });
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
    upsert: (user) => {
      // Strictly increasing stamps, as a database's commit times of successive changes.
      lastStamp = Math.max(Date.now(), lastStamp + 1);
      users.set(user.userId, { ...user, lastModifiedDateTime: `/Date(${lastStamp}+0000)/` });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return api;
}
