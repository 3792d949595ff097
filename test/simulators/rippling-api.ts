import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** A worker as Rippling's REST API returns it, `user` expanded (developer.rippling.com rest-api, Worker; S). */
export interface RipplingWorker {
  id: string;
  created_at: string;
  updated_at: string;
  user_id: string;
  user: { id: string; display_name: string; name: { given_name: string; family_name: string; preferred_given_name: string | null } };
  number: number;
  work_email: string;
  personal_email: string | null;
  title: string;
  manager_id: string | null;
  department_id: string;
  legal_entity_id: string;
  country: string;
  status: 'INIT' | 'HIRED' | 'ACCEPTED' | 'ACTIVE' | 'TERMINATED';
  start_date: string;
  end_date: string | null;
}

/** Knobs and counters of a running Rippling simulator. */
export interface RipplingApiState {
  workers: RipplingWorker[];
  readonly requests: Record<string, number>;
  /** The next `n` authenticated requests answer 429 with `Retry-After`. */
  throttleNext(n: number, options?: { retryAfterS?: number }): void;
}

/** A running simulator: `url` is the REST base (`https://rest.ripplingapis.com` in production). */
export interface RipplingApi {
  readonly url: string;
  readonly state: RipplingApiState;
  close(): Promise<void>;
}

const NAMES = ['Avery', 'Blake', 'Casey', 'Devon', 'Emery', 'Finley', 'Gray', 'Harper'];
const workerId = (i: number) => `65f1c0a2b3d4e5f6a7b8${String(i).padStart(4, '0')}`;

/** Deterministic seed: ids sort in creation order; every 8th worker is terminated, every 11th not started yet. */
export function seedRipplingWorkers(count: number): RipplingWorker[] {
  const base = Date.parse('2026-01-01T00:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const given = NAMES[i % NAMES.length]!;
    const family = `Worker${i}`;
    const status = i % 8 === 7 ? 'TERMINATED' : i % 11 === 10 ? 'HIRED' : 'ACTIVE';
    return {
      id: workerId(i),
      created_at: new Date(base + i * 3_600_000).toISOString(),
      updated_at: new Date(base + i * 7_200_000).toISOString(),
      user_id: `u${workerId(i)}`,
      user: { id: `u${workerId(i)}`, display_name: `${given} ${family}`, name: { given_name: given, family_name: family, preferred_given_name: null } },
      number: 100 + i,
      work_email: `${given}.${i}@Ripple-Example.com`,
      personal_email: null,
      title: i === 0 ? 'Founder' : 'Analyst',
      manager_id: i === 0 ? null : workerId(0),
      department_id: `dep${i % 3}`,
      legal_entity_id: 'le1',
      country: 'US',
      status,
      start_date: '2025-03-01',
      end_date: status === 'TERMINATED' ? '2026-05-31' : null,
    } satisfies RipplingWorker;
  });
}

/** `filter` clauses this simulator understands: `updated_at gt '<iso>'` and `status eq '<STATUS>'`, joined with `and`. */
function applyFilter(workers: RipplingWorker[], filter: string | undefined): RipplingWorker[] | string {
  if (!filter) return workers;
  let out = workers;
  for (const clause of filter.split(/\s+and\s+/)) {
    const m = /^(updated_at|status)\s+(gt|eq)\s+'([^']*)'$/.exec(clause.trim());
    if (!m) return `unsupported filter '${clause}'`;
    const [, field, op, value] = m;
    if (field === 'updated_at' && op === 'gt') {
      const since = Date.parse(value!);
      if (Number.isNaN(since)) return `bad timestamp '${value}'`;
      out = out.filter((w) => Date.parse(w.updated_at) > since);
    } else if (field === 'status' && op === 'eq') out = out.filter((w) => w.status === value);
    else return `unsupported operator ${op} on ${field}`;
  }
  return out;
}

/**
 * Rippling's REST API `/workers` on loopback: Bearer API token, cursor pagination (`limit`, default 100,
 * max 100; the answer carries `next_link`, an absolute URL holding the opaque `cursor`, null on the last
 * page), `filter` and `expand=user`, `GET /workers/{id}` with 404 when unknown, 429 with `Retry-After`.
 * From secondary sources (S): Rippling's reference pages summarised by lava.so and the rippling-api crate.
 */
export async function startRipplingApi(options: { tokens: string[]; workers?: number }): Promise<RipplingApi> {
  const requests: Record<string, number> = {};
  let throttle = { left: 0, retryAfterS: 5 };
  const state: RipplingApiState = {
    workers: seedRipplingWorkers(options.workers ?? 230),
    requests,
    throttleNext(n, opts) {
      throttle = { left: n, retryAfterS: opts?.retryAfterS ?? 5 };
    },
  };
  const view = (w: RipplingWorker, expand: string | undefined) => {
    const { user, ...rest } = w;
    return expand?.split(',').includes('user') ? { ...rest, user } : rest;
  };
  const app = Fastify({ logger: false });
  let url = '';
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = `${request.method} ${request.routeOptions.url ?? request.url}`;
    requests[key] = (requests[key] ?? 0) + 1;
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !options.tokens.includes(token)) return reply.code(401).send({ detail: 'Invalid token.' });
    if (throttle.left > 0) {
      throttle.left--;
      return reply.code(429).header('retry-after', String(throttle.retryAfterS)).send({ detail: 'Request was throttled.' });
    }
    return undefined;
  });
  app.get('/workers', async (request, reply) => {
    const q = request.query as { limit?: string; cursor?: string; filter?: string; expand?: string; order_by?: string };
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return reply.code(400).send({ detail: 'limit must be between 1 and 100' });
    const filtered = applyFilter(state.workers, q.filter);
    if (typeof filtered === 'string') return reply.code(400).send({ detail: filtered });
    // The cursor is opaque to clients; here it is the base64 of the last id served (ids sort in order).
    const after = q.cursor ? Buffer.from(q.cursor, 'base64url').toString('utf8') : '';
    const rest = filtered.filter((w) => w.id > after).sort((a, b) => a.id.localeCompare(b.id));
    const page = rest.slice(0, limit);
    let next: string | null = null;
    if (rest.length > limit) {
      const link = new URL('/workers', url);
      for (const [k, v] of Object.entries(q)) if (k !== 'cursor' && v !== undefined) link.searchParams.set(k, v);
      link.searchParams.set('cursor', Buffer.from(page.at(-1)!.id).toString('base64url'));
      next = link.toString();
    }
    return { results: page.map((w) => view(w, q.expand)), next_link: next };
  });
  app.get('/workers/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const worker = state.workers.find((w) => w.id === id);
    if (!worker) return reply.code(404).send({ detail: 'Not found.' });
    return view(worker, (request.query as { expand?: string }).expand);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { url, state, close: () => app.close() };
}
