import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { registerBambooWebhooks, type BambooWebhooks } from './bamboohr-webhooks.js';

/** Options for {@link startBambooHrApi}. */
export interface BambooHrApiOptions {
  /** The company subdomain; the legacy `/api/gateway.php/{companyDomain}/v1` path must name it. Default `acme`. */
  companyDomain?: string;
  /** API keys that authenticate (HTTP Basic username, any password). Default `['bamboo-key']`. */
  apiKeys?: string[];
  /** Seeded employees. Default 250. */
  employees?: number;
  /** The date that decides 503 vs 429 for throttling (BambooHR switches on 2026-09-16). Default: now. */
  today?: Date;
  /** Accept loopback http webhook URLs besides HTTPS (tests receive on loopback). Default true. */
  allowLoopbackHttp?: boolean;
}

/** One employee as BambooHR stores it; keys are BambooHR field names. Values are strings or null, as the API returns them. */
export type BambooEmployee = { id: string; lastChanged: string } & Record<string, string | null>;

/** Knobs and counters of a running BambooHR simulator. */
export interface BambooHrApiState {
  /** Employees in directory order; tests may edit them (set `lastChanged` too). */
  employees: BambooEmployee[];
  /** Decides the throttling status: 503 before 2026-09-16, 429 from then on. */
  today: Date;
  /** Employee ids the key may not read: `GET /v1/employees/{id}` answers 403. */
  forbiddenEmployeeIds: Set<string>;
  /** Requests per route, keyed `METHOD /v1/...` (both path styles count under the same key). */
  readonly requests: Record<string, number>;
  /** The query string of the latest request per route, keyed like `requests`. */
  readonly lastQuery: Record<string, Record<string, unknown>>;
  /** Employees added through `POST /v1/employees` (ids continue after the seed). */
  createdCount: number;
  /** The next `n` authenticated requests are throttled with `Retry-After: retryAfterS` (default 5). */
  throttleNext(n: number, options?: { retryAfterS?: number }): void;
}

/** A running simulator. Point a client's base URL at `${url}/api` (the path `/{companyDomain}.bamboohr.com/api` has). */
export interface BambooHrApi {
  readonly url: string;
  readonly state: BambooHrApiState;
  /** Permissioned webhooks (`/v1/webhooks`) and a sender that signs with their `privateKey`. */
  readonly webhooks: BambooWebhooks;
  close(): Promise<void>;
}

/** The date BambooHR moves throttling from 503 to 429 (providers.md §8). */
export const BAMBOO_429_FROM = new Date('2026-09-16T00:00:00Z');

// The directory answers these fields, in this order, with a `fields` header list (BambooHR's shape).
const DIRECTORY_FIELDS: ReadonlyArray<[id: string, type: string, name: string]> = [
  ['displayName', 'text', 'Display name'],
  ['firstName', 'text', 'First name'],
  ['lastName', 'text', 'Last name'],
  ['preferredName', 'text', 'Preferred name'],
  ['jobTitle', 'list', 'Job title'],
  ['workPhone', 'text', 'Work Phone'],
  ['mobilePhone', 'text', 'Mobile Phone'],
  ['workEmail', 'email', 'Work Email'],
  ['department', 'list', 'Department'],
  ['location', 'list', 'Location'],
  ['division', 'list', 'Division'],
  ['supervisor', 'text', 'Supervisor'],
];

const FIRST = ['Ana', 'Ben', 'Chloe', 'Dev', 'Elif', 'Femi', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo'];
const LAST = ['Adams', 'Brown', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jansen', 'Kowalski'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Customer Success', 'Finance', 'People'];
const LOCATIONS = ['Lindon, Utah', 'Remote', 'London, UK'];

/** Deterministic seed: ids 101…, `lastChanged` one hour apart from 2026-01-01, every 10th employee inactive. */
export function seedBambooEmployees(count: number): BambooEmployee[] {
  return Array.from({ length: count }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const inactive = i % 10 === 9;
    return {
      id: String(101 + i),
      employeeNumber: String(1001 + i),
      displayName: `${first} ${last}`,
      firstName: first,
      lastName: last,
      preferredName: null,
      jobTitle: i === 0 ? 'CEO' : 'Specialist',
      workPhone: `801-555-${String(1000 + i).slice(-4)}`,
      mobilePhone: null,
      workEmail: `${first}.${last}.${i}@example.com`.toLowerCase(),
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      location: LOCATIONS[i % LOCATIONS.length]!,
      division: null,
      supervisor: i === 0 ? null : 'Ana Adams',
      supervisorEId: i === 0 ? null : '101',
      status: inactive ? 'Inactive' : 'Active',
      hireDate: `20${String(15 + (i % 10))}-0${1 + (i % 9)}-15`,
      // BambooHR writes an empty date as 0000-00-00 rather than null.
      terminationDate: inactive ? '2025-12-31' : '0000-00-00',
      lastChanged: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    };
  });
}

/**
 * A BambooHR REST API (documentation.bamboohr.com) on loopback: API key as the Basic username, the directory
 * unpaginated, single employees by `fields`, changed ids `since` a time, errors in `X-BambooHR-Error-Message`,
 * throttling as 503 + Retry-After before 2026-09-16 and 429 + Retry-After after. BambooHR publishes no
 * rate-limit headers, so the simulator sends none.
 */
export async function startBambooHrApi(options: BambooHrApiOptions = {}): Promise<BambooHrApi> {
  const companyDomain = options.companyDomain ?? 'acme';
  const apiKeys = new Set(options.apiKeys ?? ['bamboo-key']);
  const requests: Record<string, number> = {};
  const lastQuery: Record<string, Record<string, unknown>> = {};
  let throttle = { left: 0, retryAfterS: 5 };
  const state: BambooHrApiState = {
    employees: seedBambooEmployees(options.employees ?? 250),
    today: options.today ?? new Date(),
    forbiddenEmployeeIds: new Set(),
    createdCount: 0,
    requests,
    lastQuery,
    throttleNext: (n, opts) => {
      throttle = { left: n, retryAfterS: opts?.retryAfterS ?? 5 };
    },
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addHook('onRequest', async (req: FastifyRequest<{ Params: { companyDomain?: string } }>, reply: FastifyReply) => {
    const route = req.routeOptions.url;
    if (route === undefined) return;
    const key = `${req.method} ${route.replace(/^\/api(\/gateway\.php\/:companyDomain)?/, '')}`;
    requests[key] = (requests[key] ?? 0) + 1;
    lastQuery[key] = { ...(req.query as Record<string, unknown>) };
    if (req.params.companyDomain !== undefined && req.params.companyDomain !== companyDomain) return fail(reply, 404, 'Company not found');
    if (!apiKeys.has(basicUser(req.headers.authorization))) {
      reply.header('www-authenticate', 'Basic realm="BambooHR API"');
      return fail(reply, 401, 'Invalid API key');
    }
    if (throttle.left > 0) {
      throttle.left -= 1;
      // The planned change: 503 stays for "unavailable", throttling becomes 429 (providers.md §8).
      const status = state.today.getTime() >= BAMBOO_429_FROM.getTime() ? 429 : 503;
      return reply.code(status).header('retry-after', String(throttle.retryAfterS)).send();
    }
  });

  const routes = (base: string) => {
    app.get(`${base}/v1/employees/directory`, async () => ({
      fields: DIRECTORY_FIELDS.map(([id, type, name]) => ({ id, type, name })),
      employees: state.employees.map((e) => Object.fromEntries([['id', e.id], ...DIRECTORY_FIELDS.map(([f]) => [f, e[f] ?? null])])),
    }));

    // BambooHR's "changed employee ids": the only incremental read it offers.
    app.get<{ Querystring: { since?: string; type?: string } }>(`${base}/v1/employees/changed`, async (req, reply) => {
      const since = Date.parse(req.query.since ?? '');
      if (Number.isNaN(since)) return fail(reply, 400, 'Invalid or missing "since" parameter');
      const changed = state.employees.filter((e) => Date.parse(e.lastChanged) > since);
      const latest = changed.reduce((max, e) => (Date.parse(e.lastChanged) > Date.parse(max) ? e.lastChanged : max), req.query.since ?? '');
      return { latest, employees: Object.fromEntries(changed.map((e) => [e.id, { id: e.id, action: 'Updated', lastChanged: e.lastChanged }])) };
    });

    app.get<{ Params: { id: string }; Querystring: { fields?: string } }>(`${base}/v1/employees/:id`, async (req, reply) => {
      // Employee 0 is the key owner's own record.
      const id = req.params.id === '0' ? state.employees[0]?.id : req.params.id;
      const employee = state.employees.find((e) => e.id === id);
      if (!employee) return fail(reply, 404, 'Employee not found');
      if (state.forbiddenEmployeeIds.has(employee.id)) return fail(reply, 403, 'You do not have access to this employee');
      // Only `id` unless fields are named; fields the record lacks are silently left out.
      const fields = (req.query.fields ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '' && f in employee);
      return Object.fromEntries([['id', employee.id], ...fields.map((f) => [f, employee[f] ?? null])]);
    });

    // Add an employee (documentation.bamboohr.com/reference/create-employee; body details (S) from
    // connector docs): firstName and lastName are required, the answer is 201 with an empty body and the
    // new record's URL in `Location`.
    app.post<{ Body: Record<string, unknown> | undefined }>(`${base}/v1/employees`, async (req, reply) => {
      const fields = writableFields(req.body);
      if (typeof fields === 'string') return fail(reply, 400, fields);
      if (!fields.firstName || !fields.lastName) return fail(reply, 400, 'firstName and lastName are required');
      const id = String(state.employees.reduce((max, e) => Math.max(max, Number(e.id)), 100) + 1);
      state.createdCount += 1;
      state.employees.push({ ...blankEmployee(id), ...fields, displayName: `${fields.firstName} ${fields.lastName}` });
      const host = req.headers.host ?? '127.0.0.1';
      return reply.code(201).header('location', `http://${host}${req.url.replace(/\/$/, '')}/${id}`).send();
    });

    // Update an employee: POST to the record with only the fields that change; 200 with an empty body.
    app.post<{ Params: { id: string }; Body: Record<string, unknown> | undefined }>(`${base}/v1/employees/:id`, async (req, reply) => {
      const employee = state.employees.find((e) => e.id === req.params.id);
      if (!employee) return fail(reply, 404, 'Employee not found');
      if (state.forbiddenEmployeeIds.has(employee.id)) return fail(reply, 403, 'You do not have access to this employee');
      const fields = writableFields(req.body);
      if (typeof fields === 'string') return fail(reply, 400, fields);
      Object.assign(employee, fields, { lastChanged: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00') });
      if ('firstName' in fields || 'lastName' in fields) employee.displayName = `${employee.firstName} ${employee.lastName}`;
      return reply.code(200).send();
    });
  };
  // Registered before the employee routes' `:id`, which would otherwise take `/v1/webhooks`'s siblings.
  const webhooks = registerBambooWebhooks(app, ['/api', '/api/gateway.php/:companyDomain'], { allowLoopbackHttp: options.allowLoopbackHttp ?? true });
  routes('/api');
  routes('/api/gateway.php/:companyDomain');

  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, state, webhooks, close: () => app.close() };
}

// The fields a write may set; BambooHR refuses an unknown field name with 400 (S).
const WRITABLE = new Set(['firstName', 'lastName', 'preferredName', 'jobTitle', 'workPhone', 'mobilePhone', 'workEmail', 'department', 'location', 'division', 'employeeNumber', 'hireDate', 'status']);

/** The body's fields when every one is writable and a string; otherwise the error message BambooHR would send. */
function writableFields(body: unknown): Record<string, string> | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be a JSON object of fields';
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!WRITABLE.has(name)) return `Invalid field: ${name}`;
    if (typeof value !== 'string') return `Field ${name} must be a string`;
    fields[name] = value;
  }
  return fields;
}

function blankEmployee(id: string): BambooEmployee {
  const blank = Object.fromEntries(DIRECTORY_FIELDS.map(([field]) => [field, null]));
  return { ...blank, id, employeeNumber: null, status: 'Active', hireDate: '0000-00-00', terminationDate: '0000-00-00', lastChanged: new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00') };
}

/** BambooHR errors carry an empty body and the reason in `X-BambooHR-Error-Message`. */
function fail(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('x-bamboohr-error-message', message).send();
}

function basicUser(authorization: string | undefined): string {
  const encoded = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
  if (!encoded) return '';
  const decoded = Buffer.from(encoded, 'base64').toString();
  return decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
}
