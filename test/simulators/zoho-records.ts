import type { FastifyInstance, FastifyReply } from 'fastify';

/** The record modules the simulator serves. */
export type ZohoModule = 'Contacts' | 'Accounts' | 'Deals' | 'Leads' | 'Tasks' | 'Calls' | 'Events';

/** Records, counters and knobs of the simulated Zoho CRM records API. */
export interface ZohoRecordsState {
  /** Records by module and id, in id order (deleted ones removed). */
  readonly records: Record<ZohoModule, Map<string, Record<string, unknown>>>;
  /** Requests per route and module, keyed e.g. `GET Contacts`, `GET Contacts/:id`, `POST Deals`. */
  readonly requests: Record<string, number>;
  /** The next `n` record requests answer 429 `TOO_MANY_REQUESTS` (the org's API credits are spent). */
  throttleNext(n: number): void;
}

/** `page` × `per_page` beyond this needs `page_token` (Zoho CRM v2.1+ get-records docs; the error code is (S)). */
export const ZOHO_DISCRETE_PAGING_LIMIT = 2000;
const MAX_PER_PAGE = 200;
const REQUIRED: Record<ZohoModule, string[]> = {
  Contacts: ['Last_Name'], Accounts: ['Account_Name'], Deals: ['Deal_Name', 'Stage'], Leads: ['Last_Name'],
  Tasks: ['Subject'], Calls: ['Subject', 'Call_Type', 'Call_Start_Time'], Events: ['Event_Title', 'Start_DateTime', 'End_DateTime'],
};
const LOOKUPS = new Set(['Account_Name', 'Contact_Name', 'Owner']);
const OWNER = { name: 'Ana Admin', id: '5725767000000411001', email: 'ana@example.com' };

/** Zoho's timestamp shape: ISO 8601 with a `+00:00` offset, no milliseconds. */
const zohoTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
// Record ids are unique across an org's modules (S: every documented sample is); the module digit only keeps seeds apart.
const idOf = (module: ZohoModule, i: number) => `5725767${{ Contacts: '1', Accounts: '2', Deals: '3', Leads: '4', Tasks: '5', Calls: '6', Events: '7' }[module]}${String(i + 1).padStart(11, '0')}`;

function seed(module: ZohoModule, i: number, base: number): Record<string, unknown> {
  const times = { Created_Time: zohoTime(base + i * 60_000), Modified_Time: zohoTime(base + i * 120_000), Owner: OWNER };
  const account = { name: `Company ${i % 60}`, id: idOf('Accounts', i % 60) };
  switch (module) {
    case 'Contacts':
      return { id: idOf(module, i), First_Name: `Ana${i}`, Last_Name: 'Ruiz', Email: `ana${i}@example.com`, Phone: i % 2 ? null : '+1 415 555 0100', Mobile: null, Title: 'Buyer', Account_Name: account, Mailing_City: 'Madrid', Mailing_Country: 'ES', Customer_Tier: i % 3 === 0 ? 'Gold' : null, ...times };
    case 'Accounts':
      return { id: idOf(module, i), Account_Name: `Company ${i}`, Industry: 'Technology', Website: `company${i}.example.com`, Employees: 10 + i, Annual_Revenue: 50000 + i, Phone: null, Billing_City: 'Berlin', Billing_Code: '10115', Billing_Country: 'DE', ...times };
    case 'Deals':
      return { id: idOf(module, i), Deal_Name: `Deal ${i}`, Amount: 1000 + i * 10, Stage: i % 5 === 4 ? 'Closed Won' : 'Qualification', Pipeline: 'Standard', Probability: i % 5 === 4 ? 100 : 10, Closing_Date: '2026-11-30', Account_Name: account, Contact_Name: { name: `Ana${i} Ruiz`, id: idOf('Contacts', i) }, ...times };
    case 'Leads':
      return { id: idOf(module, i), First_Name: `Lee${i}`, Last_Name: 'Dsouza', Company: `Prospect ${i}`, Designation: 'CTO', Email: `lee${i}@example.com`, Lead_Source: 'Web Download', Lead_Status: i % 2 ? 'Contacted' : 'Not Contacted', City: 'Pune', Country: 'IN', ...times };
    // Activities: What_Id is the related record and $se_module its module; Who_Id a contact (v8 Tasks/Calls/Events field lists; Outgoing_Call_Status values are (S)).
    case 'Tasks': {
      const done = i % 3 === 0;
      return { id: idOf(module, i), Subject: `Follow up ${i}`, Description: 'Send the proposal', Status: done ? 'Completed' : 'Not Started', Due_Date: '2026-05-15', Closed_Time: done ? zohoTime(base + i * 120_000) : null, What_Id: { name: `Deal ${i % 120}`, id: idOf('Deals', i % 120) }, $se_module: 'Deals', Who_Id: { name: `Ana${i % 250} Ruiz`, id: idOf('Contacts', i % 250) }, Task_Channel: i % 2 ? 'Email' : null, ...times };
    }
    case 'Calls':
      return { id: idOf(module, i), Subject: `Call ${i}`, Description: null, Call_Type: i % 2 ? 'Inbound' : 'Outbound', Call_Start_Time: zohoTime(base + 86_400_000 + i * 3_600_000), Call_Duration_in_seconds: 300, Outgoing_Call_Status: i % 2 ? null : 'Completed', What_Id: { name: `Company ${i % 60}`, id: idOf('Accounts', i % 60) }, $se_module: 'Accounts', Who_Id: { name: `Ana${i} Ruiz`, id: idOf('Contacts', i) }, ...times };
    case 'Events':
      return { id: idOf(module, i), Event_Title: `Demo ${i}`, Description: 'Product demo', Start_DateTime: zohoTime(base + 2 * 86_400_000 + i * 3_600_000), End_DateTime: zohoTime(base + 2 * 86_400_000 + i * 3_600_000 + 1_800_000), What_Id: { name: `Lee${i} Dsouza`, id: idOf('Leads', i) }, $se_module: 'Leads', Who_Id: null, Venue: 'Online', ...times };
  }
}

const recordError = (reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown>) => reply.code(status).send({ data: [{ code, details, message, status: 'error' }] });
const plainError = (reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown> = {}) => reply.code(status).send({ code, details, message, status: 'error' });
const token = (offset: number) => Buffer.from(JSON.stringify({ offset, exp: Date.now() + 86_400_000 })).toString('base64url');
const untoken = (value: string): number | undefined => {
  try {
    const { offset, exp } = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { offset?: unknown; exp?: unknown };
    return typeof offset === 'number' && typeof exp === 'number' && exp > Date.now() ? offset : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Zoho CRM's records API (zoho.com/crm/developer/docs/api/v8/get-records, insert/update/delete-records;
 * providers.md §5): `GET /crm/{version}/{module}?fields=…` (fields mandatory) pages with `page` + `per_page`
 * (≤ 200) up to 2 000 records and with `page_token` (from `info.next_page_token`) beyond, answers
 * `{data, info: {per_page, count, page, more_records, next_page_token, …}}`, 204 when there is nothing and
 * 304 when nothing changed since `If-Modified-Since`; `GET …/{id}` answers `{data: [record]}` or 204;
 * `POST` / `PUT …/{id}` / `DELETE …/{id}` take and answer `{data: [ … ]}` with per-record `code`s. Lookups are
 * `{name, id}`. The activity modules Tasks, Calls and Events are served the same way, each on its own (no
 * `Activities` module since v3). 429 `TOO_MANY_REQUESTS` when credits are spent. The 204 for an unknown id, the code for deep
 * `page` paging and the 400 shapes follow the docs' examples and community answers (S).
 */
export function mountZohoRecords(crm: FastifyInstance, state: ZohoRecordsState & Internals): void {
  const modules = Object.keys(state.records) as ZohoModule[];
  const known = (module: string): module is ZohoModule => (modules as string[]).includes(module);
  type ModuleRoute = { Params: { version: string; module: string; id?: string } };
  const gate = async (req: { params: { module: string; id?: string }; method: string }, reply: FastifyReply) => {
    if (!known(req.params.module)) return plainError(reply, 400, 'INVALID_MODULE', 'the module name given seems to be invalid');
    state.requests[`${req.method} ${req.params.module}${req.params.id ? '/:id' : ''}`] = (state.requests[`${req.method} ${req.params.module}${req.params.id ? '/:id' : ''}`] ?? 0) + 1;
    if (state.throttled.n > 0) {
      state.throttled.n--;
      return plainError(reply, 429, 'TOO_MANY_REQUESTS', 'the API credits of the organization are exhausted');
    }
    return undefined;
  };

  crm.get<ModuleRoute & { Querystring: { fields?: string; page?: string; per_page?: string; page_token?: string } }>('/crm/:version/:module', async (req, reply) => {
    if (await gate(req, reply)) return reply;
    const module = req.params.module as ZohoModule;
    if (!req.query.fields) return plainError(reply, 400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', { param: 'fields' });
    const perPage = req.query.per_page === undefined ? MAX_PER_PAGE : Number(req.query.per_page);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) return plainError(reply, 400, 'INVALID_DATA', 'invalid data', { param: 'per_page', maximum_length: MAX_PER_PAGE });
    let offset: number;
    let page = 1;
    if (req.query.page_token !== undefined) {
      const opened = untoken(req.query.page_token);
      if (opened === undefined) return plainError(reply, 400, 'INVALID_DATA', 'invalid page_token', { param: 'page_token' });
      offset = opened;
    } else {
      page = req.query.page === undefined ? 1 : Number(req.query.page);
      if (!Number.isInteger(page) || page < 1) return plainError(reply, 400, 'INVALID_DATA', 'invalid data', { param: 'page' });
      if (page * perPage > ZOHO_DISCRETE_PAGING_LIMIT) return plainError(reply, 400, 'DISCRETE_PAGINATION_LIMIT_EXCEEDED', `use page_token to fetch more than ${ZOHO_DISCRETE_PAGING_LIMIT} records`, { limit: ZOHO_DISCRETE_PAGING_LIMIT });
      offset = (page - 1) * perPage;
    }
    const since = req.headers['if-modified-since'];
    const sinceMs = typeof since === 'string' ? Date.parse(since) : undefined;
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) return plainError(reply, 400, 'INVALID_DATA', 'invalid If-Modified-Since', { header: 'If-Modified-Since' });
    const rows = [...state.records[module].values()].filter((r) => sinceMs === undefined || Date.parse(String(r.Modified_Time)) > sinceMs);
    if (sinceMs !== undefined && rows.length === 0) return reply.code(304).send();
    const slice = rows.slice(offset, offset + perPage);
    if (slice.length === 0) return reply.code(204).send();
    const fields = new Set(['id', ...req.query.fields.split(',').map((f) => f.trim())]);
    // A related-to lookup comes back with the module it points into (S: documented samples show both together).
    if (fields.has('What_Id')) fields.add('$se_module');
    const more = offset + perPage < rows.length;
    return {
      data: slice.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.has(k)))),
      info: { per_page: perPage, count: slice.length, page, sort_by: 'id', sort_order: 'asc', more_records: more, next_page_token: more ? token(offset + perPage) : null, previous_page_token: null, page_token_expiry: more ? zohoTime(Date.now() + 86_400_000) : null },
    };
  });
  crm.get<ModuleRoute>('/crm/:version/:module/:id', async (req, reply) => {
    if (await gate(req, reply)) return reply;
    const record = state.records[req.params.module as ZohoModule].get(req.params.id!);
    return record ? { data: [record] } : reply.code(204).send();
  });
  type Write = ModuleRoute & { Body: { data?: Array<Record<string, unknown>> } };
  const incoming = (req: { body: Write['Body'] }) => (Array.isArray(req.body?.data) && typeof req.body.data[0] === 'object' ? req.body.data[0] : undefined);
  const stored = (values: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'id' && !k.endsWith('_Time')).map(([k, v]) => [k, LOOKUPS.has(k) && typeof v === 'string' ? { id: v } : v]));
  crm.post<Write>('/crm/:version/:module', async (req, reply) => {
    if (await gate(req, reply)) return reply;
    const module = req.params.module as ZohoModule;
    const values = incoming(req);
    if (!values) return plainError(reply, 400, 'INVALID_DATA', 'invalid data', { api_name: 'data' });
    const missing = REQUIRED[module].find((f) => typeof values[f] !== 'string' || values[f] === '');
    if (missing) return recordError(reply, 400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: missing, json_path: `$.data[0].${missing}` });
    const id = idOf(module, 90_000 + state.next.n++);
    const now = zohoTime(Date.now());
    state.records[module].set(id, { id, ...stored(values), Owner: OWNER, Created_Time: now, Modified_Time: now });
    return reply.code(201).send({ data: [{ code: 'SUCCESS', details: { Modified_Time: now, Modified_By: OWNER, Created_Time: now, id, Created_By: OWNER }, message: 'record added', status: 'success' }] });
  });
  crm.put<Write>('/crm/:version/:module/:id', async (req, reply) => {
    if (await gate(req, reply)) return reply;
    const record = state.records[req.params.module as ZohoModule].get(req.params.id!);
    const values = incoming(req);
    if (!record) return recordError(reply, 400, 'INVALID_DATA', 'the related id given seems to be invalid', { api_name: 'id' });
    if (!values) return plainError(reply, 400, 'INVALID_DATA', 'invalid data', { api_name: 'data' });
    const now = zohoTime(Date.now());
    Object.assign(record, stored(values), { Modified_Time: now });
    return { data: [{ code: 'SUCCESS', details: { Modified_Time: now, Modified_By: OWNER, Created_Time: record.Created_Time, id: record.id, Created_By: OWNER }, message: 'record updated', status: 'success' }] };
  });
  crm.delete<ModuleRoute>('/crm/:version/:module/:id', async (req, reply) => {
    if (await gate(req, reply)) return reply;
    if (!state.records[req.params.module as ZohoModule].delete(req.params.id!)) return recordError(reply, 400, 'INVALID_DATA', 'the related id given seems to be invalid', { api_name: 'id' });
    return { data: [{ code: 'SUCCESS', details: { id: req.params.id }, message: 'record deleted', status: 'success' }] };
  });
}

/** What the routes share with the state object: the id counter and the throttle countdown. */
interface Internals {
  next: { n: number };
  throttled: { n: number };
}

/** Seeded records: 250 contacts and 230 tasks (more than one page of 200), 60 accounts, 120 deals, 80 leads, 40 calls, 30 events by default. */
export function zohoRecordsState(counts: Partial<Record<ZohoModule, number>> = {}): ZohoRecordsState & Internals {
  const sizes: Record<ZohoModule, number> = { Contacts: 250, Accounts: 60, Deals: 120, Leads: 80, Tasks: 230, Calls: 40, Events: 30, ...counts };
  const base = Date.parse('2026-04-01T09:00:00Z');
  const records = Object.fromEntries((Object.keys(sizes) as ZohoModule[]).map((m) => [m, new Map([...Array(sizes[m]).keys()].map((i) => [idOf(m, i), seed(m, i, base)]))])) as ZohoRecordsState['records'];
  const throttled = { n: 0 };
  return { records, requests: {}, next: { n: 0 }, throttled, throttleNext: (n) => void (throttled.n = n) };
}
