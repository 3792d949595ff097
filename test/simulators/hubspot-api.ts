import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';

/** The CRM object types the simulator serves. */
export type HubSpotObjectType = 'contacts' | 'companies' | 'deals';

/** Options for {@link startHubSpotApi}. */
export interface HubSpotApiOptions {
  /** The token authority; default: one started here (client `hubspot-client`/`hubspot-secret`, 1 800 s tokens) and closed with the simulator. */
  oauth?: OAuth2ProviderSimulator;
  /** A private-app token accepted as a Bearer; its calls also carry the daily pair of headers. Default `pat-na1-simulator`. */
  privateAppToken?: string;
  /** Seeded records per type. Default 250 contacts, 120 companies, 150 deals. */
  counts?: Partial<Record<HubSpotObjectType, number>>;
  /** The rolling burst limit. Default 100 per 10 000 ms (OAuth apps). Raise it for benchmarks. */
  rateLimit?: { max: number; intervalMs: number };
  /** The private-app daily limit. Default 250 000. */
  dailyLimit?: number;
}

/** A CRM record as the v3 objects API returns it; every property value is a string or null. */
export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** The 429 policies HubSpot names in `policyName`. */
export type HubSpotPolicy = 'TEN_SECONDLY_ROLLING' | 'DAILY';

/** Knobs and counters of a running HubSpot simulator. */
export interface HubSpotApiState {
  /** Records by type and id, in id order; archived (deleted) ones stay with `archived: true`. */
  readonly objects: Record<HubSpotObjectType, Map<string, HubSpotObject>>;
  /** Requests per route, keyed e.g. `GET /crm/v3/objects/contacts/:id`. */
  readonly requests: Record<string, number>;
  /**
   * The next `n` authenticated requests answer 429 with `policyName` (default TEN_SECONDLY_ROLLING); Retry-After only if given.
   * With `after`, that many authenticated requests are answered normally first (a throttle in the middle of a walk).
   */
  throttleNext(n: number, options?: { retryAfterS?: number; policyName?: HubSpotPolicy; after?: number }): void;
  /** The next `n` authenticated requests (after `after` normal ones) answer 500, as HubSpot does in an outage. */
  failNext(n: number, options?: { after?: number }): void;
  /** Every authenticated request in arrival order: the route, when it arrived (ms epoch), and the status it got. */
  readonly calls: Array<{ route: string; at: number; status: number }>;
}

/** A running simulator; `tokenUrl` is HubSpot's `/oauth/v1/token`, relayed to the OAuth2 provider. */
export interface HubSpotApi {
  readonly url: string;
  readonly tokenUrl: string;
  readonly oauth: OAuth2ProviderSimulator;
  readonly state: HubSpotApiState;
  close(): Promise<void>;
}

interface ObjectSchema {
  writable: string[];
  modified: string;
  /** Returned when the caller names no `properties`. */
  defaults: string[];
  firstId: number;
}

const SCHEMAS: Record<HubSpotObjectType, ObjectSchema> = {
  contacts: {
    // customer_tier stands for a portal's custom property.
    writable: ['email', 'firstname', 'lastname', 'phone', 'company', 'jobtitle', 'lifecyclestage', 'city', 'country', 'customer_tier'],
    modified: 'lastmodifieddate',
    defaults: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
    firstId: 1001,
  },
  companies: {
    writable: ['name', 'domain', 'industry', 'phone', 'city', 'country', 'numberofemployees', 'annualrevenue', 'description'],
    modified: 'hs_lastmodifieddate',
    defaults: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
    firstId: 5001,
  },
  deals: {
    writable: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'hubspot_owner_id', 'description'],
    modified: 'hs_lastmodifieddate',
    defaults: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
    firstId: 9001,
  },
};
const TYPES = Object.keys(SCHEMAS) as HubSpotObjectType[];
const readOnly = (type: HubSpotObjectType) => ['hs_object_id', 'createdate', SCHEMAS[type].modified];

const NAMES = ['Ana', 'Ben', 'Chloe', 'Dev', 'Elif', 'Femi', 'Greta', 'Hiro', 'Ines', 'Jonas'];
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'closedwon', 'closedlost'];

function seedProperties(type: HubSpotObjectType, i: number): Record<string, string | null> {
  const name = NAMES[i % NAMES.length]!;
  if (type === 'contacts') {
    const last = `Tester${Math.floor(i / NAMES.length)}`;
    return { email: `${name}.${last}@example.com`.toLowerCase(), firstname: name, lastname: last, phone: null, lifecyclestage: 'lead', customer_tier: i % 3 === 0 ? 'gold' : null };
  }
  if (type === 'companies') return { name: `${name} Holdings ${i}`, domain: `${name}-${i}.example.com`.toLowerCase(), industry: 'COMPUTER_SOFTWARE', numberofemployees: String(10 + i) };
  return { dealname: `Deal ${i}`, amount: String(1000 + i * 25), dealstage: STAGES[i % STAGES.length]!, pipeline: 'default', closedate: '2026-12-31T00:00:00Z' };
}

/** Deterministic records: ids from the type's first id, created hourly from 2025-06-01, updated hourly from 2026-01-01. */
export function seedHubSpotObjects(type: HubSpotObjectType, count: number): Map<string, HubSpotObject> {
  const records = new Map<string, HubSpotObject>();
  for (let i = 0; i < count; i++) {
    const id = String(SCHEMAS[type].firstId + i);
    const createdAt = new Date(Date.UTC(2025, 5, 1) + i * 3_600_000).toISOString();
    const updatedAt = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
    const properties = { ...seedProperties(type, i), hs_object_id: id, createdate: createdAt, [SCHEMAS[type].modified]: updatedAt };
    records.set(id, { id, properties, createdAt, updatedAt, archived: false });
  }
  return records;
}

const error = (message: string, extra: Record<string, unknown> = {}) => ({ status: 'error', message, correlationId: randomUUID(), ...extra });

/**
 * HubSpot's CRM v3 objects API (contacts, companies, deals) on loopback: `limit`/`after` paging with
 * `paging.next.after`, `properties` selection, create/read/update/archive with HubSpot's validation errors,
 * Bearer tokens checked against the OAuth2 provider (30-minute expiry there), `X-HubSpot-RateLimit-*` headers
 * on every authenticated answer and 429 bodies naming the `policyName`.
 */
export async function startHubSpotApi(options: HubSpotApiOptions = {}): Promise<HubSpotApi> {
  const ownOAuth = options.oauth === undefined;
  const oauth = options.oauth ?? (await startOAuth2Provider({ clientId: 'hubspot-client', clientSecret: 'hubspot-secret', accessTokenTtlS: 1_800 }));
  const privateAppToken = options.privateAppToken ?? 'pat-na1-simulator';
  const limit = options.rateLimit ?? { max: 100, intervalMs: 10_000 };
  const dailyLimit = options.dailyLimit ?? 250_000;
  const counts = { contacts: 250, companies: 120, deals: 150, ...options.counts };
  const objects = Object.fromEntries(TYPES.map((t) => [t, seedHubSpotObjects(t, counts[t])])) as Record<HubSpotObjectType, Map<string, HubSpotObject>>;
  const nextId = Object.fromEntries(TYPES.map((t) => [t, SCHEMAS[t].firstId + counts[t]])) as Record<HubSpotObjectType, number>;
  const requests: Record<string, number> = {};
  const window: number[] = []; // timestamps of admitted calls in the rolling interval
  let dailyUsed = 0;
  let throttle: { skip: number; left: number; retryAfterS?: number; policyName: HubSpotPolicy } = { skip: 0, left: 0, policyName: 'TEN_SECONDLY_ROLLING' };
  let failure = { skip: 0, left: 0 };
  const calls: HubSpotApiState['calls'] = [];
  const state: HubSpotApiState = {
    objects,
    requests,
    calls,
    failNext: (n, opts) => {
      failure = { skip: opts?.after ?? 0, left: n };
    },
    throttleNext: (n, opts) => {
      throttle = { skip: opts?.after ?? 0, left: n, policyName: opts?.policyName ?? 'TEN_SECONDLY_ROLLING', ...(opts?.retryAfterS === undefined ? {} : { retryAfterS: opts.retryAfterS }) };
    },
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  // The token endpoint is form-encoded; it is relayed to the provider verbatim.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode < 500 ? 400 : 500;
    reply.code(status).send(error(status === 400 ? `Invalid input JSON: ${err.message}` : 'internal error', status === 400 ? { category: 'VALIDATION_ERROR' } : {}));
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url;
    if (route === undefined) return;
    requests[`${req.method} ${route}`] = (requests[`${req.method} ${route}`] ?? 0) + 1;
    if (!route.startsWith('/crm/')) return;
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const kind = token === privateAppToken ? 'private' : token && (await oauth.introspect(token)) ? 'oauth' : undefined;
    if (!kind) {
      const message = token
        ? 'The OAuth token used to make this call is invalid or expired.'
        : 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';
      return reply.code(401).send(error(message, { category: token ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION' }));
    }
    const now = Date.now();
    const call = { route: `${req.method} ${route}`, at: now, status: 200 };
    calls.push(call);
    reply.raw.once('finish', () => (call.status = reply.statusCode));
    if (failure.left > 0 && failure.skip-- <= 0) {
      failure.left -= 1;
      return reply.code(500).send(error('internal error'));
    }
    while (window.length > 0 && window[0]! <= now - limit.intervalMs) window.shift();
    const knob = throttle.left > 0 && throttle.skip-- <= 0;
    const policy: HubSpotPolicy | undefined =
      knob ? throttle.policyName : window.length >= limit.max ? 'TEN_SECONDLY_ROLLING' : kind === 'private' && dailyUsed >= dailyLimit ? 'DAILY' : undefined;
    const remaining = policy ? 0 : limit.max - window.length - 1;
    reply.header('x-hubspot-ratelimit-max', String(limit.max)).header('x-hubspot-ratelimit-remaining', String(remaining));
    reply.header('x-hubspot-ratelimit-interval-milliseconds', String(limit.intervalMs));
    // HubSpot leaves the daily pair off OAuth calls (providers.md §2).
    if (kind === 'private') reply.header('x-hubspot-ratelimit-daily', String(dailyLimit)).header('x-hubspot-ratelimit-daily-remaining', String(policy === 'DAILY' ? 0 : dailyLimit - dailyUsed - 1));
    if (policy) {
      if (knob) throttle.left -= 1;
      if (knob && throttle.retryAfterS !== undefined) reply.header('retry-after', String(throttle.retryAfterS));
      const message = `You have reached your ${policy === 'DAILY' ? 'daily' : 'ten_secondly_rolling'} limit.`;
      return reply.code(429).send(error(message, { errorType: 'RATE_LIMIT', policyName: policy }));
    }
    window.push(now);
    if (kind === 'private') dailyUsed += 1;
  });

  app.post('/oauth/v1/token', async (req, reply) => {
    const relayed = await fetch(oauth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
      body: typeof req.body === 'string' ? req.body : '',
    });
    return reply.code(relayed.status).header('content-type', 'application/json').header('cache-control', 'no-store').send(await relayed.text());
  });

  for (const type of TYPES) {
    const records = objects[type];
    const base = `/crm/v3/objects/${type}`;
    const project = (o: HubSpotObject, requested?: string | string[]) => {
      const names = requested === undefined ? SCHEMAS[type].defaults : [requested].flat().flatMap((p) => p.split(','));
      // Named properties the schema knows come back (null when unset); unknown names are ignored, as HubSpot does.
      const known = new Set([...SCHEMAS[type].writable, ...readOnly(type)]);
      const properties = Object.fromEntries(names.filter((n) => known.has(n)).map((n) => [n, o.properties[n] ?? null]));
      return { id: o.id, properties, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: o.archived, ...(o.archivedAt ? { archivedAt: o.archivedAt } : {}) };
    };
    const write = (o: HubSpotObject, props: Record<string, string | null>) => {
      const now = new Date().toISOString();
      Object.assign(o.properties, props, { [SCHEMAS[type].modified]: now });
      o.updatedAt = now;
    };

    app.get<{ Querystring: { limit?: string; after?: string; properties?: string | string[]; archived?: string } }>(base, async (req, reply) => {
      const after = req.query.after === undefined ? 0 : Number(req.query.after);
      if (!Number.isInteger(after)) return reply.code(400).send(error(`Invalid after: ${req.query.after}`, { category: 'VALIDATION_ERROR' }));
      const size = Math.min(Math.max(Number(req.query.limit ?? 10) || 10, 1), 100);
      const archived = req.query.archived === 'true';
      // `after` is the id of the next record, so records created or archived between pages shift nothing.
      const rows = [...records.values()].filter((o) => o.archived === archived && Number(o.id) >= after).slice(0, size + 1);
      const next = rows[size];
      const paging = next ? { paging: { next: { after: next.id, link: `${address}${base}?after=${next.id}` } } } : {};
      return { results: rows.slice(0, size).map((o) => project(o, req.query.properties)), ...paging };
    });

    app.get<{ Params: { id: string }; Querystring: { properties?: string | string[] } }>(`${base}/:id`, async (req, reply) => {
      const record = records.get(req.params.id);
      if (!record || record.archived) return reply.code(404).send(notFound(req.params.id));
      return project(record, req.query.properties);
    });

    app.post(base, async (req, reply) => {
      const checked = validate(type, req.body, records);
      if ('status' in checked) return reply.code(checked.status).send(checked.body);
      const id = String(nextId[type]++);
      const now = new Date().toISOString();
      const record: HubSpotObject = { id, properties: { hs_object_id: id, createdate: now }, createdAt: now, updatedAt: now, archived: false };
      write(record, checked.properties);
      records.set(id, record);
      return reply.code(201).send(project(record, Object.keys(record.properties)));
    });

    app.patch<{ Params: { id: string } }>(`${base}/:id`, async (req, reply) => {
      const record = records.get(req.params.id);
      if (!record || record.archived) return reply.code(404).send(notFound(req.params.id));
      const checked = validate(type, req.body, records, record.id);
      if ('status' in checked) return reply.code(checked.status).send(checked.body);
      write(record, checked.properties);
      return project(record, Object.keys(record.properties));
    });

    // DELETE archives; HubSpot answers 204 whether or not the record existed.
    app.delete<{ Params: { id: string } }>(`${base}/:id`, async (req, reply) => {
      const record = records.get(req.params.id);
      if (record && !record.archived) Object.assign(record, { archived: true, archivedAt: new Date().toISOString() });
      return reply.code(204).send();
    });
  }

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url: address,
    tokenUrl: `${address}/oauth/v1/token`,
    oauth,
    state,
    close: async () => {
      await app.close();
      if (ownOAuth) await oauth.close();
    },
  };
}

const notFound = (id: string) => error('Object not found.  objectId are usually numeric.', { category: 'OBJECT_NOT_FOUND', context: { id: [id] } });

type Checked = { properties: Record<string, string | null> } | { status: number; body: unknown };

/** HubSpot's input validation: a `properties` object of known, writable properties; valid, unique contact emails. */
function validate(type: HubSpotObjectType, body: unknown, records: Map<string, HubSpotObject>, selfId?: string): Checked {
  const input = (body as { properties?: unknown } | null)?.properties;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const message = 'Invalid input JSON on line 1, column 1: Cannot build SimplePublicObjectInput, some of required attributes are not set [properties]';
    return { status: 400, body: error(message, { category: 'VALIDATION_ERROR' }) };
  }
  const problems: Array<{ name: string; code: string; message: string }> = [];
  const properties: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (readOnly(type).includes(name)) problems.push({ name, code: 'READ_ONLY_VALUE', message: `${name} is a read only property; its value cannot be set.` });
    else if (!SCHEMAS[type].writable.includes(name)) problems.push({ name, code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
    else if (name === 'email' && typeof value === 'string' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) problems.push({ name, code: 'INVALID_EMAIL', message: `Email address ${value} is invalid` });
    else properties[name] = value === null || value === '' ? null : String(value);
  }
  if (problems.length > 0) {
    const detail = problems.map((p) => ({ isValid: false, message: p.message, error: p.code, name: p.name }));
    const errors = problems.map((p) => ({ message: p.message, code: p.code, context: { propertyName: [p.name] } }));
    return { status: 400, body: error(`Property values were not valid: ${JSON.stringify(detail)}`, { category: 'VALIDATION_ERROR', errors }) };
  }
  const email = properties.email?.toLowerCase();
  const existing = email ? [...records.values()].find((o) => !o.archived && o.id !== selfId && o.properties.email?.toLowerCase() === email) : undefined;
  if (type === 'contacts' && existing) return { status: 409, body: error(`Contact already exists. Existing ID: ${existing.id}`, { category: 'CONFLICT' }) };
  return { properties };
}
