import type { FastifyInstance, FastifyReply } from 'fastify';
import { mountPipedriveLeads } from './pipedrive-leads.js';

/** The v2 entities the simulator serves, by their URL segment. */
export type PipedriveEntity = 'persons' | 'organizations' | 'deals' | 'activities';

/** Records, counters and knobs of the simulated Pipedrive CRM API. */
export interface PipedriveCrmState {
  /** Records by entity and id, in id order (deleted ones removed). */
  readonly records: Record<PipedriveEntity, Map<number, Record<string, unknown>>>;
  /** Leads (v1, UUID ids) in creation order. */
  readonly leads: Map<string, Record<string, unknown>>;
  /** Requests per route, keyed e.g. `GET /v2/persons/:id` (the root stands for `https://{company}.pipedrive.com/api`). */
  readonly requests: Record<string, number>;
  /** The next `n` CRM requests answer 429 (the burst window is spent), with `x-ratelimit-reset` seconds. */
  throttleNext(n: number, resetS?: number): void;
}

/** The burst limit an API token gets on the Essential plan (core-api-concepts-rate-limiting: 2 s rolling window). */
export const PIPEDRIVE_BURST = { limit: 20, windowS: 2 } as const;
/** The documented page size cap of cursor endpoints (core-api-concepts-pagination). */
const MAX_LIMIT = 500;

const FIRST_ID: Record<PipedriveEntity, number> = { persons: 801, organizations: 31, deals: 4001, activities: 7701 };
/** What a create needs (the v2 reference marks these required; activities need nothing). */
const REQUIRED: Record<PipedriveEntity, string | undefined> = { persons: 'name', organizations: 'name', deals: 'title', activities: undefined };
const LABEL: Record<PipedriveEntity, string> = { persons: 'Person', organizations: 'Organization', deals: 'Deal', activities: 'Activity' };
/** Fields the server owns: a write cannot set them. */
const SERVER_FIELDS = new Set(['id', 'add_time', 'update_time', 'is_deleted']);
/** A custom field key as Pipedrive makes them: 40 hex characters. */
export const PIPEDRIVE_TIER_FIELD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

/** RFC 3339 without milliseconds, as the v2 API writes timestamps. */
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function seed(entity: PipedriveEntity, i: number, base: number): Record<string, unknown> {
  const id = FIRST_ID[entity] + i;
  const times = { add_time: stamp(base + i * 60_000), update_time: stamp(base + i * 120_000) };
  switch (entity) {
    case 'persons':
      return {
        id, name: `Person ${i} Example`, first_name: `Person ${i}`, last_name: 'Example', owner_id: 1201, org_id: FIRST_ID.organizations + (i % 40),
        emails: [{ value: `person${i}@example.com`, primary: true, label: 'work' }], phones: i % 2 === 0 ? [{ value: `+1415555${String(1000 + i).slice(-4)}`, primary: true, label: 'mobile' }] : [],
        is_deleted: false, visible_to: 3, custom_fields: { [PIPEDRIVE_TIER_FIELD]: i % 3 === 0 ? 'gold' : null }, ...times,
      };
    case 'organizations':
      return { id, name: `Org ${i} Ltd`, owner_id: 1201, is_deleted: false, address: { value: `${i} Main St, Springfield`, street_number: String(i), route: 'Main St', locality: 'Springfield', admin_area_level_1: 'IL', postal_code: '62701', country: 'United States' }, custom_fields: {}, ...times };
    case 'deals':
      return {
        id, title: `Deal ${i}`, owner_id: 1201, person_id: FIRST_ID.persons + i, org_id: FIRST_ID.organizations + (i % 40), pipeline_id: 1, stage_id: 1 + (i % 5),
        value: 1000 + i * 25, currency: 'EUR', status: i % 7 === 3 ? 'won' : i % 7 === 5 ? 'lost' : 'open', probability: i % 7 === 3 ? 100 : 50, expected_close_date: '2026-12-31', is_deleted: false, custom_fields: {}, ...times,
      };
    case 'activities':
      return {
        id, subject: `Call ${i}`, type: i % 2 === 0 ? 'call' : 'meeting', owner_id: 1201, deal_id: FIRST_ID.deals + i, lead_id: null, person_id: FIRST_ID.persons + i, org_id: null,
        due_date: '2026-06-01', due_time: '09:30', duration: '00:30', done: i % 4 === 0, marked_as_done_time: i % 4 === 0 ? stamp(base + i * 120_000) : null, note: null,
        participants: [{ person_id: FIRST_ID.persons + i, primary: true }], is_deleted: false, ...times,
      };
  }
}

/** Pipedrive's error body (developers.pipedrive.com changelog; providers.md §4). */
const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ success: false, error, error_info: 'Please check developers.pipedrive.com', data: null, additional_data: null });
const cursorOf = (id: number) => Buffer.from(JSON.stringify({ id })).toString('base64url');
const openCursor = (cursor: string): number | undefined => {
  try {
    const id = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Pipedrive's v2 CRM endpoints (providers.md §4; pipedrive.readme.io/docs/core-api-concepts-pagination,
 * developers.pipedrive.com/docs/api/v1 v2 reference): `GET /api/v2/{persons|organizations|deals|activities}` (served at `/v2/…`: the root stands for `/api`)
 * pages with `cursor` + `limit` (default 100, max 500; `additional_data.next_cursor`, null at the end) and
 * filters by `updated_since` (RFC 3339); `GET/PATCH/DELETE …/{id}`, `POST …`. Every answer carries
 * `x-ratelimit-limit|remaining|reset` for the 2 s burst window; a spent window is 429. Custom fields sit in
 * `custom_fields` keyed by 40-hex field keys. The create status (200) and the exact 400 texts are not in our
 * sources (S). Mounted under the webhooks simulator, behind its `x-api-token` check.
 */
export function mountPipedriveCrm(app: FastifyInstance, options: { counts?: Partial<Record<PipedriveEntity | 'leads', number>> } = {}): PipedriveCrmState {
  const { leads: leadCount = 130, ...sizes } = options.counts ?? {};
  const counts: Record<PipedriveEntity, number> = { persons: 230, organizations: 40, deals: 120, activities: 60, ...sizes };
  const base = Date.parse('2026-03-01T08:00:00Z');
  const records = Object.fromEntries(
    (Object.keys(counts) as PipedriveEntity[]).map((e) => [e, new Map([...Array(counts[e]).keys()].map((i) => [FIRST_ID[e] + i, seed(e, i, base)]))]),
  ) as PipedriveCrmState['records'];
  const next: Record<PipedriveEntity, number> = { persons: 9001, organizations: 9101, deals: 9201, activities: 9301 };
  const requests: Record<string, number> = {};
  let throttled = 0;
  let resetS = 2;
  const leads = new Map<string, Record<string, unknown>>();
  const state: PipedriveCrmState = { records, leads, requests, throttleNext: (n, reset = 2) => ((throttled = n), (resetS = reset)) };

  app.register(async (crm) => {
    crm.addHook('onRequest', async (req, reply) => {
      const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
      requests[route] = (requests[route] ?? 0) + 1;
      reply.header('x-ratelimit-limit', String(PIPEDRIVE_BURST.limit)).header('x-ratelimit-reset', String(PIPEDRIVE_BURST.windowS));
      if (throttled > 0) {
        throttled--;
        reply.header('x-ratelimit-remaining', '0').header('x-ratelimit-reset', String(resetS));
        return fail(reply, 429, 'Request over limit');
      }
      reply.header('x-ratelimit-remaining', String(PIPEDRIVE_BURST.limit - 1));
    });
    mountPipedriveLeads(crm, leads, leadCount);
    for (const entity of Object.keys(records) as PipedriveEntity[]) {
      const store = records[entity];
      type One = { Params: { id: string } };
      crm.get<{ Querystring: { cursor?: string; limit?: string; updated_since?: string } }>(`/v2/${entity}`, async (req, reply) => {
        const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return fail(reply, 400, `limit must be an integer from 1 to ${MAX_LIMIT}`);
        const after = req.query.cursor === undefined ? undefined : openCursor(req.query.cursor);
        if (req.query.cursor !== undefined && after === undefined) return fail(reply, 400, 'Invalid cursor');
        const since = req.query.updated_since === undefined ? undefined : Date.parse(req.query.updated_since);
        if (since !== undefined && (Number.isNaN(since) || !/^\d{4}-\d{2}-\d{2}T/.test(req.query.updated_since!))) return fail(reply, 400, 'updated_since must be an RFC 3339 date-time');
        const rows = [...store.values()].filter((r) => (after === undefined || (r.id as number) >= after) && (since === undefined || Date.parse(String(r.update_time)) >= since));
        const page = rows.slice(0, limit);
        const following = rows[limit];
        return { success: true, data: page, additional_data: { next_cursor: following ? cursorOf(following.id as number) : null } };
      });
      crm.get<One>(`/v2/${entity}/:id`, async (req, reply) => store.get(Number(req.params.id)) ? { success: true, data: store.get(Number(req.params.id)) } : fail(reply, 404, `${LABEL[entity]} not found`));
      crm.post<{ Body: Record<string, unknown> }>(`/v2/${entity}`, async (req, reply) => {
        const body = req.body ?? {};
        const required = REQUIRED[entity];
        if (required && (typeof body[required] !== 'string' || body[required] === '')) return fail(reply, 400, `${required} is required`);
        const id = next[entity]++;
        const now = stamp(Date.now());
        const record = { ...written(body), id, is_deleted: false, add_time: now, update_time: now };
        store.set(id, record);
        return { success: true, data: record };
      });
      crm.patch<One & { Body: Record<string, unknown> }>(`/v2/${entity}/:id`, async (req, reply) => {
        const record = store.get(Number(req.params.id));
        if (!record) return fail(reply, 404, `${LABEL[entity]} not found`);
        const changes = written(req.body ?? {});
        const custom = { ...(record.custom_fields as object), ...(changes.custom_fields as object) };
        Object.assign(record, changes, { custom_fields: custom, update_time: stamp(Date.now()) });
        return { success: true, data: record };
      });
      crm.delete<One>(`/v2/${entity}/:id`, async (req, reply) => (store.delete(Number(req.params.id)) ? { success: true, data: { id: Number(req.params.id) } } : fail(reply, 404, `${LABEL[entity]} not found`)));
    }
  });
  return state;
}

/** The writable part of a write body: server-owned fields dropped, `undefined` never stored. */
function written(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k, v]) => !SERVER_FIELDS.has(k) && v !== undefined));
}
