import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { registerGustoWebhooks, type GustoWebhooks } from './gusto-webhooks.js';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';

/** Options for {@link startGustoApi}. */
export interface GustoApiOptions {
  /** The token authority; default: one started here (client `gusto-client`/`gusto-secret`, 7 200 s tokens) and closed with the simulator. */
  oauth?: OAuth2ProviderSimulator;
  /** The one company the grant covers ("strict access"). Default `7779b433-56d4-4729-9fba-7ccbcc2b094e`. */
  companyUuid?: string;
  /** Seeded employees. Default 250. */
  employees?: number;
  /** The rolling limit per grant. Default 200 per 60 000 ms. Raise it for benchmarks. */
  rateLimit?: { max: number; windowMs: number };
  /** Organization-level system access tokens that may manage webhook subscriptions. Default `['gusto-system-token']`. */
  systemTokens?: string[];
  /** Accept loopback http webhook URLs besides HTTPS (tests receive on loopback). Default true. */
  allowLoopbackHttp?: boolean;
}

/** A job as Gusto nests it in an employee. */
export interface GustoJob {
  uuid: string;
  version: string;
  employee_uuid: string;
  hire_date: string;
  title: string;
  primary: boolean;
  rate: string;
  payment_unit: 'Hour' | 'Year';
}

/** An employee with the fields `GET /v1/employees/{uuid}` documents (Gusto has no updated-at; `version` changes on update). */
export interface GustoEmployee {
  uuid: string;
  first_name: string;
  middle_initial: string | null;
  last_name: string;
  preferred_first_name: string | null;
  email: string | null;
  work_email: string | null;
  company_uuid: string;
  manager_uuid: string | null;
  version: string;
  department: string | null;
  terminated: boolean;
  two_percent_shareholder: boolean;
  onboarded: boolean;
  onboarding_status: string;
  date_of_birth: string | null;
  has_ssn: boolean;
  ssn: string;
  phone: string | null;
  payment_method: 'Direct Deposit' | 'Check';
  current_employment_status: 'full_time' | 'part_time_under_twenty_hours' | 'variable' | 'seasonal' | null;
  jobs: GustoJob[];
  terminations: Array<{ uuid: string; effective_date: string; active: boolean }>;
}

/** Knobs and counters of a running Gusto simulator. */
export interface GustoApiState {
  readonly companyUuid: string;
  /** Employees in list order; tests may edit them. */
  employees: GustoEmployee[];
  /** Requests per route, keyed e.g. `GET /v1/companies/:company_uuid/employees`. */
  readonly requests: Record<string, number>;
  /** The next `n` authenticated requests answer 429 with `Retry-After: retryAfterS` (default 30). */
  throttleNext(n: number, options?: { retryAfterS?: number }): void;
}

/** A running simulator; `tokenUrl` is Gusto's `POST /oauth/token`, relayed to the OAuth2 provider. */
export interface GustoApi {
  readonly url: string;
  readonly tokenUrl: string;
  readonly oauth: OAuth2ProviderSimulator;
  readonly state: GustoApiState;
  /** Webhook subscriptions (`/v1/webhook_subscriptions`, organization-level auth) and a signing sender. */
  readonly webhooks: GustoWebhooks;
  close(): Promise<void>;
}

const FIRST = ['Soren', 'Ada', 'Bruno', 'Carmen', 'Dmitri', 'Esme', 'Farid', 'Gwen', 'Hugo', 'Isla', 'Jun'];
const LAST = ['Kierkegaard', 'Lovelace', 'Mendes', 'Novak', 'Okafor', 'Petrov', 'Quinn', 'Rossi', 'Sato'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Operations', 'Finance'];

/** A deterministic UUID-shaped id: the same seed always gives the same employees. */
const uuid = (kind: number, i: number) => `${String(kind).padStart(8, '0')}-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`;
const version = (seed: string) => createHash('md5').update(seed).digest('hex');

/** Deterministic seed: the first employee manages the rest; every 12th is terminated; hire dates spread over years. */
export function seedGustoEmployees(companyUuid: string, count: number): GustoEmployee[] {
  return Array.from({ length: count }, (_, i) => {
    const id = uuid(1, i);
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const terminated = i % 12 === 11;
    const hired = `20${String(16 + (i % 9))}-${String(1 + (i % 12)).padStart(2, '0')}-01`;
    return {
      uuid: id,
      first_name: first,
      middle_initial: null,
      last_name: last,
      preferred_first_name: null,
      email: `${first}.${last}.${i}@example.com`.toLowerCase(),
      work_email: `${first}.${i}@acme.example`.toLowerCase(),
      company_uuid: companyUuid,
      manager_uuid: i === 0 ? null : uuid(1, 0),
      version: version(`${id}:1`),
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      terminated,
      two_percent_shareholder: false,
      onboarded: true,
      onboarding_status: 'onboarding_completed',
      date_of_birth: `19${String(70 + (i % 30))}-06-15`,
      has_ssn: true,
      ssn: '', // Gusto never returns the number itself
      phone: null,
      payment_method: i % 5 === 0 ? 'Check' : 'Direct Deposit',
      current_employment_status: 'full_time',
      jobs: [
        { uuid: uuid(2, i), version: version(`${id}:job`), employee_uuid: id, hire_date: hired, title: i === 0 ? 'Founder' : 'Associate', primary: true, rate: '85000.00', payment_unit: 'Year' },
      ],
      terminations: terminated ? [{ uuid: uuid(3, i), effective_date: '2025-12-31', active: true }] : [],
    };
  });
}

/** Gusto's error body: a list of `{error_key, category, message}`. */
const errors = (category: string, message: string, errorKey = 'base') => ({ errors: [{ error_key: errorKey, category, message }] });

/**
 * Gusto's employees API on loopback: `page`/`per` paging (25 by default) with `X-Page`, `X-Per-Page`,
 * `X-Total-Count`, `X-Total-Pages` when paging parameters are given, Bearer tokens checked against the
 * OAuth2 provider (2-hour expiry, single-use refresh tokens there), and 200 requests per rolling 60 s per
 * grant with `X-RateLimit-Limit`/`-Remaining`/`-Reset` on every authenticated answer, `Retry-After` on 429.
 */
export async function startGustoApi(options: GustoApiOptions = {}): Promise<GustoApi> {
  const ownOAuth = options.oauth === undefined;
  const oauth = options.oauth ?? (await startOAuth2Provider({ clientId: 'gusto-client', clientSecret: 'gusto-secret', accessTokenTtlS: 7_200 }));
  const companyUuid = options.companyUuid ?? '7779b433-56d4-4729-9fba-7ccbcc2b094e';
  const limit = options.rateLimit ?? { max: 200, windowMs: 60_000 };
  const requests: Record<string, number> = {};
  // One grant covers one company (strict access), so one window per simulator is one window per grant.
  const window: number[] = [];
  let throttle = { left: 0, retryAfterS: 30 };
  const state: GustoApiState = {
    companyUuid,
    employees: seedGustoEmployees(companyUuid, options.employees ?? 250),
    requests,
    throttleNext: (n, opts) => {
      throttle = { left: n, retryAfterS: opts?.retryAfterS ?? 30 };
    },
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url;
    if (route === undefined) return;
    requests[`${req.method} ${route}`] = (requests[`${req.method} ${route}`] ?? 0) + 1;
    // Webhook subscriptions take the organization's system token, checked in their own scope.
    if (!route.startsWith('/v1/') || route.startsWith('/v1/webhook_subscriptions')) return;
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !(await oauth.introspect(token))) {
      // Gusto's OAuth server answers in RFC 6750 form (exact body unconfirmed).
      reply.header('www-authenticate', 'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"');
      return reply.code(401).send({ error: 'invalid_token', error_description: 'The access token is invalid' });
    }
    const now = Date.now();
    while (window.length > 0 && window[0]! <= now - limit.windowMs) window.shift();
    const knob = throttle.left > 0;
    const full = window.length >= limit.max;
    // The rolling window frees its oldest slot first; an empty window resets a full window from now.
    const resetAt = knob ? now + throttle.retryAfterS * 1000 : (window[0] ?? now) + limit.windowMs;
    reply.header('x-ratelimit-limit', String(limit.max));
    reply.header('x-ratelimit-remaining', String(knob || full ? 0 : limit.max - window.length - 1));
    // Documented as "the datetime when the window resets"; the exact format is unconfirmed, ISO 8601 here.
    reply.header('x-ratelimit-reset', new Date(resetAt).toISOString());
    if (knob || full) {
      if (knob) throttle.left -= 1;
      reply.header('retry-after', String(Math.max(1, Math.ceil((resetAt - now) / 1000))));
      // Gusto documents the status and headers of a 429, not its body; this one uses Gusto's usual error shape.
      return reply.code(429).send(errors('rate_limit_exceeded', 'Too many requests. Please retry after the time given in Retry-After.'));
    }
    window.push(now);
  });

  app.post('/oauth/token', async (req, reply) => {
    const relayed = await fetch(oauth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
      body: typeof req.body === 'string' ? req.body : '',
    });
    return reply.code(relayed.status).header('content-type', 'application/json').header('cache-control', 'no-store').send(await relayed.text());
  });

  app.get<{ Params: { company_uuid: string }; Querystring: { page?: string; per?: string; terminated?: string } }>(
    '/v1/companies/:company_uuid/employees',
    async (req, reply) => {
      if (req.params.company_uuid !== companyUuid) return reply.code(404).send(errors('not_found', 'Company not found', 'company_uuid'));
      const { page: pageParam, per: perParam, terminated } = req.query;
      const rows = terminated === undefined ? state.employees : state.employees.filter((e) => String(e.terminated) === terminated);
      const page = Math.max(1, Math.floor(Number(pageParam ?? 1)) || 1);
      const per = Math.max(1, Math.floor(Number(perParam ?? 25)) || 25);
      // Gusto documents the paging headers only for requests that carry paging parameters.
      if (pageParam !== undefined || perParam !== undefined) {
        reply.header('x-page', String(page)).header('x-per-page', String(per));
        reply.header('x-total-count', String(rows.length)).header('x-total-pages', String(Math.ceil(rows.length / per)));
      }
      return rows.slice((page - 1) * per, page * per);
    },
  );

  app.get<{ Params: { employee_uuid: string } }>('/v1/employees/:employee_uuid', async (req, reply) => {
    const employee = state.employees.find((e) => e.uuid === req.params.employee_uuid);
    return employee ?? reply.code(404).send(errors('not_found', 'Employee not found', 'employee_uuid'));
  });

  // Create an employee (POST /v1/companies/{company_uuid}/employees, scope employees:write): first and last
  // name required; 201 with the employee. Validation answers 422 in Gusto's errors shape (S: wording).
  type Written = Partial<Pick<GustoEmployee, 'first_name' | 'middle_initial' | 'last_name' | 'preferred_first_name' | 'email' | 'date_of_birth' | 'two_percent_shareholder'>> & { version?: string };
  app.post<{ Params: { company_uuid: string }; Body: Written }>('/v1/companies/:company_uuid/employees', async (req, reply) => {
    if (req.params.company_uuid !== companyUuid) return reply.code(404).send(errors('not_found', 'Company not found', 'company_uuid'));
    const body = req.body ?? {};
    for (const key of ['first_name', 'last_name'] as const) {
      if (!body[key]) return reply.code(422).send(errors('invalid_attribute_value', `${key === 'first_name' ? 'First' : 'Last'} name can't be blank`, key));
    }
    const [template] = seedGustoEmployees(companyUuid, 1);
    const uuid = `${companyUuid.slice(0, 8)}-0000-4000-9000-${String(state.employees.length + 1).padStart(12, '0')}`;
    const employee: GustoEmployee = {
      ...template!,
      uuid,
      first_name: body.first_name!,
      last_name: body.last_name!,
      middle_initial: body.middle_initial ?? null,
      preferred_first_name: body.preferred_first_name ?? null,
      email: body.email ?? null,
      work_email: null,
      date_of_birth: body.date_of_birth ?? null,
      manager_uuid: null,
      onboarded: false,
      onboarding_status: 'admin_onboarding_incomplete',
      version: version(`${uuid}:1`),
      jobs: [],
      terminations: [],
    };
    state.employees.push(employee);
    return reply.code(201).send(employee);
  });
  // Update an employee (PUT /v1/employees/{employee_uuid}): the body must carry the employee's current
  // `version` (Gusto's optimistic concurrency; a stale one is 409) and changes only the fields it names.
  app.put<{ Params: { employee_uuid: string }; Body: Written }>('/v1/employees/:employee_uuid', async (req, reply) => {
    const employee = state.employees.find((e) => e.uuid === req.params.employee_uuid);
    if (!employee) return reply.code(404).send(errors('not_found', 'Employee not found', 'employee_uuid'));
    const body = req.body ?? {};
    if (!body.version) return reply.code(422).send(errors('invalid_attribute_value', 'Version is required', 'version'));
    if (body.version !== employee.version) return reply.code(409).send(errors('invalid_operation', 'The resource you are trying to update has been modified since you last read it', 'version'));
    for (const key of ['first_name', 'middle_initial', 'last_name', 'preferred_first_name', 'email', 'date_of_birth', 'two_percent_shareholder'] as const) {
      if (body[key] !== undefined) (employee as unknown as Record<string, unknown>)[key] = body[key];
    }
    employee.version = version(`${employee.uuid}:${employee.version}`);
    return employee;
  });

  const webhooks = registerGustoWebhooks(app, { systemTokens: new Set(options.systemTokens ?? ['gusto-system-token']), allowLoopbackHttp: options.allowLoopbackHttp ?? true });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    oauth,
    state,
    webhooks,
    close: async () => {
      await app.close();
      if (ownOAuth) await oauth.close();
    },
  };
}
