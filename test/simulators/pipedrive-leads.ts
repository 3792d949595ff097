import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The v1 leads endpoints' page size cap (developers.pipedrive.com/docs/api/v1/Leads#getLeads: limit ≤ 500). */
const MAX_LIMIT = 500;
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const uuid = (i: number) => `adf21080-0e10-11eb-879b-${String(i).padStart(12, '0')}`;
const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ success: false, error, error_info: 'Please check developers.pipedrive.com', data: null, additional_data: null });
const WRITABLE = ['title', 'owner_id', 'person_id', 'organization_id', 'value', 'expected_close_date', 'label_ids', 'was_seen', 'is_archived', 'visible_to', 'channel'];

/**
 * Pipedrive's leads, a v1 API (developers.pipedrive.com/docs/api/v1/Leads): UUID ids, `GET /v1/leads`
 * paged by `start` + `limit` with `additional_data.pagination.{start, limit, more_items_in_collection,
 * next_start}` (core-api-concepts-pagination, offset style), newest first unless `sort` says otherwise
 * (served oldest first here, as `sort=add_time ASC` would); `GET/PATCH/DELETE /v1/leads/{id}`; `POST /v1/leads`
 * needs a `title` and a `person_id` or `organization_id`; `value` is `{amount, currency}`. Leads have no
 * updated-since filter. Mounted inside the CRM scope (its token check, request counts and throttling).
 */
export function mountPipedriveLeads(crm: FastifyInstance, leads: Map<string, Record<string, unknown>>, count: number): void {
  const base = Date.parse('2026-03-02T08:00:00Z');
  for (let i = 0; i < count; i++) {
    const id = uuid(i + 1);
    leads.set(id, {
      id, title: `Lead ${i}`, owner_id: 1201, creator_id: 1201, person_id: 801 + i, organization_id: i % 2 ? 31 + (i % 40) : null, source_name: i % 3 ? 'Web forms' : 'Manually created',
      origin: 'ManuallyCreated', channel: null, is_archived: i % 9 === 8, was_seen: i % 2 === 0, value: i % 4 ? { amount: 500 + i, currency: 'EUR' } : null, expected_close_date: null,
      label_ids: [], next_activity_id: null, add_time: stamp(base + i * 60_000), update_time: stamp(base + i * 90_000), visible_to: '3', cc_email: 'acme+lead@pipedrivemail.com',
    });
  }
  crm.get<{ Querystring: { start?: string; limit?: string } }>('/v1/leads', async (req, reply) => {
    const start = req.query.start === undefined ? 0 : Number(req.query.start);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(start) || start < 0) return fail(reply, 400, 'start must be a non-negative integer');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return fail(reply, 400, `limit must be an integer from 1 to ${MAX_LIMIT}`);
    const rows = [...leads.values()];
    const page = rows.slice(start, start + limit);
    const more = start + limit < rows.length;
    return { success: true, data: page, additional_data: { pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) } } };
  });
  crm.get<{ Params: { id: string } }>('/v1/leads/:id', async (req, reply) => (leads.has(req.params.id) ? { success: true, data: leads.get(req.params.id) } : fail(reply, 404, 'Lead not found')));
  const written = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).filter(([k, v]) => WRITABLE.includes(k) && v !== undefined));
  crm.post<{ Body: Record<string, unknown> }>('/v1/leads', async (req, reply) => {
    const body = req.body ?? {};
    if (typeof body.title !== 'string' || body.title === '') return fail(reply, 400, 'title is required');
    if (typeof body.person_id !== 'number' && typeof body.organization_id !== 'number') return fail(reply, 400, 'A lead must be linked to a person or an organization');
    const id = randomUUID();
    const now = stamp(Date.now());
    const lead = { id, owner_id: 1201, person_id: null, organization_id: null, value: null, expected_close_date: null, is_archived: false, was_seen: false, label_ids: [], source_name: 'API', ...written(body), add_time: now, update_time: now };
    leads.set(id, lead);
    return reply.code(201).send({ success: true, data: lead });
  });
  crm.patch<{ Params: { id: string }; Body: Record<string, unknown> }>('/v1/leads/:id', async (req, reply) => {
    const lead = leads.get(req.params.id);
    if (!lead) return fail(reply, 404, 'Lead not found');
    Object.assign(lead, written(req.body ?? {}), { update_time: stamp(Date.now()) });
    return { success: true, data: lead };
  });
  crm.delete<{ Params: { id: string } }>('/v1/leads/:id', async (req, reply) => (leads.delete(req.params.id) ? { success: true, data: { id: req.params.id } } : fail(reply, 404, 'Lead not found')));
}
