import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** One employee as Bob stores it: the field categories `root`, `work`, `internal` (apidocs.hibob.com people fields). */
export interface HiBobEmployee {
  id: string;
  firstName: string;
  surname: string;
  displayName: string;
  email: string;
  work: { title: string; department: string; site: string; startDate: string; reportsTo: { id: string } | null; employeeIdInCompany: number };
  internal: { status: 'Active' | 'Inactive'; terminationDate: string | null; lifecycleStatus: string };
}

/** Knobs and counters of a running HiBob simulator. */
export interface HiBobApiState {
  employees: HiBobEmployee[];
  /** Requests per route, e.g. `POST /v1/people/search`. */
  readonly requests: Record<string, number>;
  /** Field paths asked for by the last call. */
  lastFields: string[];
  /** The `traceparent` header of each request that had one, in order (W3C trace context). */
  readonly traceparents: string[];
  /** The next `n` authenticated requests answer 429 with `Retry-After`. */
  throttleNext(n: number, options?: { retryAfterS?: number }): void;
}

/** A running simulator; the base URL of its API is `${url}/v1`. */
export interface HiBobApi {
  readonly url: string;
  readonly state: HiBobApiState;
  close(): Promise<void>;
}

const FIRST = ['Noa', 'Itai', 'Maya', 'Omer', 'Tamar', 'Yoni', 'Shira'];
const LAST = ['Levi', 'Cohen', 'Mizrahi', 'Peretz', 'Biton'];

/** Deterministic seed: the first employee manages the rest; every 10th has left (Inactive, with a termination date). */
export function seedHiBobEmployees(count: number): HiBobEmployee[] {
  return Array.from({ length: count }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const left = i % 10 === 9;
    return {
      id: `33328838840177${String(13000 + i * 17)}`,
      firstName: first,
      surname: last,
      displayName: `${first} ${last}`,
      email: `${first}.${last}.${i}@Bob-Example.com`,
      work: {
        title: i === 0 ? 'CEO' : 'Engineer',
        department: i % 2 === 0 ? 'R&D' : 'Product',
        site: i % 3 === 0 ? 'Tel Aviv' : 'London',
        startDate: `20${String(18 + (i % 7))}-0${1 + (i % 9)}-15`,
        reportsTo: i === 0 ? null : { id: '3332883884017713000' },
        employeeIdInCompany: 1000 + i,
      },
      internal: { status: left ? 'Inactive' : 'Active', terminationDate: left ? '2026-06-30' : null, lifecycleStatus: left ? 'Terminated' : 'Employed' },
    };
  });
}

/** Picks the requested field paths (`root.firstName`, `work.reportsTo.id`) out of an employee, nested as Bob answers. */
function project(employee: HiBobEmployee, fields: string[] | undefined): Record<string, unknown> {
  if (!fields || fields.length === 0) return structuredClone(employee) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    const parts = path.split('.');
    const keys = parts[0] === 'root' ? parts.slice(1) : parts;
    let source: unknown = employee;
    for (const key of keys) source = source && typeof source === 'object' ? (source as Record<string, unknown>)[key] : undefined;
    // Bob omits fields the service user may not read, or that do not exist, silently (people read API contract).
    if (source === undefined) continue;
    let target = out;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[keys.at(-1)!] = source;
  }
  return out;
}

/**
 * HiBob's people read API on loopback: `POST /v1/people/search` (no pagination, the whole matching set
 * in one `employees` array, active employees only unless `showInactive`; `filters` on `root.id` with
 * `equals`) and `POST /v1/people/{identifier}` (one employee by id or email). Service-user auth is HTTP
 * Basic `serviceUserId:token`; 429 with `Retry-After` when throttled. Facts from apidocs.hibob.com
 * "People read API contract"; the Retry-After header on 429 is assumed (S).
 */
export async function startHiBobApi(options: { serviceUser: { id: string; token: string }; employees?: number }): Promise<HiBobApi> {
  const requests: Record<string, number> = {};
  let throttle = { left: 0, retryAfterS: 5 };
  const state: HiBobApiState = {
    employees: seedHiBobEmployees(options.employees ?? 120),
    requests,
    lastFields: [],
    traceparents: [],
    throttleNext(n, opts) {
      throttle = { left: n, retryAfterS: opts?.retryAfterS ?? 5 };
    },
  };
  const expected = `Basic ${Buffer.from(`${options.serviceUser.id}:${options.serviceUser.token}`).toString('base64')}`;
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = `${request.method} ${request.routeOptions.url ?? request.url}`;
    requests[key] = (requests[key] ?? 0) + 1;
    if (typeof request.headers.traceparent === 'string') state.traceparents.push(request.headers.traceparent);
    if (request.headers.authorization !== expected) return reply.code(401).send({ error: 'Unauthorized' });
    if (throttle.left > 0) {
      throttle.left--;
      return reply.code(429).header('retry-after', String(throttle.retryAfterS)).send({ error: 'Too many requests' });
    }
    return undefined;
  });

  type SearchBody = { fields?: string[]; showInactive?: boolean; filters?: Array<{ fieldPath: string; operator: string; values: string[] }> };
  app.post('/v1/people/search', async (request, reply) => {
    const body = (request.body ?? {}) as SearchBody;
    state.lastFields = body.fields ?? [];
    let found = state.employees.filter((e) => body.showInactive === true || e.internal.status === 'Active');
    for (const filter of body.filters ?? []) {
      if (filter.fieldPath !== 'root.id' || filter.operator !== 'equals') return reply.code(400).send({ error: `unsupported filter ${filter.fieldPath} ${filter.operator}` });
      found = found.filter((e) => filter.values.includes(e.id));
    }
    return { employees: found.map((e) => project(e, body.fields)) };
  });
  app.post('/v1/people/:identifier', async (request, reply) => {
    const { identifier } = request.params as { identifier: string };
    const body = (request.body ?? {}) as SearchBody;
    state.lastFields = body.fields ?? [];
    const employee = state.employees.find((e) => e.id === identifier || e.email.toLowerCase() === identifier.toLowerCase());
    if (!employee) return reply.code(404).send({ error: `Employee ${identifier} not found` });
    return project(employee, body.fields);
  });

  // Create company employee (apidocs.hibob.com/reference/post_people): email, firstName, surname,
  // work.site and work.startDate are mandatory. The answer's shape (the new employee with its id) and the
  // refusal body ({error}) are assumed (S).
  type Written = { firstName?: string; surname?: string; email?: string; work?: Partial<Pick<HiBobEmployee['work'], 'title' | 'department' | 'site' | 'startDate'>> };
  app.post('/v1/people', async (request, reply) => {
    const body = (request.body ?? {}) as Written;
    const missing = [
      ...(['email', 'firstName', 'surname'] as const).filter((k) => !body[k]),
      ...(['site', 'startDate'] as const).filter((k) => !body.work?.[k]).map((k) => `work.${k}`),
    ];
    if (missing.length > 0) return reply.code(400).send({ error: `Missing mandatory fields: ${missing.join(', ')}` });
    if (state.employees.some((e) => e.email.toLowerCase() === body.email!.toLowerCase())) return reply.code(400).send({ error: `An employee with email ${body.email} already exists` });
    const id = String(3_332_883_884_017_000_000n + BigInt(state.employees.length + 1));
    const employee: HiBobEmployee = {
      id,
      firstName: body.firstName!,
      surname: body.surname!,
      displayName: `${body.firstName} ${body.surname}`,
      email: body.email!,
      work: { title: body.work?.title ?? '', department: body.work?.department ?? '', site: body.work!.site!, startDate: body.work!.startDate!, reportsTo: null, employeeIdInCompany: state.employees.length + 1 },
      internal: { status: 'Active', terminationDate: null, lifecycleStatus: 'hired' },
    };
    state.employees.push(employee);
    return project(employee, undefined);
  });
  // Update company employee (…/reference/put_people-identifier): a PUT that behaves like a PATCH — only the
  // fields sent change. The empty 200 answer is assumed (S).
  app.put('/v1/people/:identifier', async (request, reply) => {
    const { identifier } = request.params as { identifier: string };
    const employee = state.employees.find((e) => e.id === identifier);
    if (!employee) return reply.code(404).send({ error: `Employee ${identifier} not found` });
    const body = (request.body ?? {}) as Written;
    for (const k of ['firstName', 'surname', 'email'] as const) if (body[k] !== undefined) employee[k] = body[k]!;
    for (const k of ['title', 'department', 'site', 'startDate'] as const) if (body.work?.[k] !== undefined) employee.work[k] = body.work[k]!;
    employee.displayName = `${employee.firstName} ${employee.surname}`;
    return reply.code(200).send();
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, state, close: () => app.close() };
}
