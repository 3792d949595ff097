import type { FastifyInstance, FastifyReply } from 'fastify';
import type { NetSuiteCustomer } from './netsuite-api.js';
import type { SuiteQlTable } from './netsuite-suiteql.js';
import { registerNetSuiteAsync, type NetSuiteJobs, type NetSuiteOutcome } from './netsuite-async.js';

/** A vendor as the record service returns it. */
export interface NetSuiteVendor {
  id: string;
  entityId: string;
  companyName: string;
  email?: string;
  isPerson: boolean;
  isInactive: boolean;
  dateCreated: string;
  lastModifiedDate: string;
}

/** An invoice (record type `invoice`, SuiteQL `transaction` with type `CustInvc`); references are `{id, refName}`. */
export interface NetSuiteInvoice {
  id: string;
  type: 'CustInvc';
  tranId: string;
  entity: { id: string; refName: string };
  tranDate: string;
  dueDate: string;
  total: number;
  amountRemaining: number;
  currency: { id: string; refName: string };
  /** SuiteQL status letters of a customer invoice: A open, B paid in full (S). */
  status: { id: 'A' | 'B'; refName: 'Open' | 'Paid In Full' };
  memo?: string;
  createdDate: string;
  lastModifiedDate: string;
}

/** What the record writes remember: how many creates ran, what the last write carried, the async jobs. */
export interface NetSuiteWrites {
  creates: number;
  updates: number;
  /** Write requests answered, replays and refusals included. */
  handled: number;
  /** Holds the answer of the next write this long after it took effect: the answer a caller never hears. */
  holdNextAnswerMs: number;
  /** The `X-NetSuite-Idempotency-Key` of the last write (undefined when none was sent). */
  lastKey: string | undefined;
  /** Whether the last write asked for asynchronous execution (`Prefer: respond-async`). */
  lastAsync: boolean;
  /** The async job queue; a reused `X-NetSuite-Idempotency-Key` leads to its first job. */
  readonly jobs: NetSuiteJobs;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Deterministic vendors (ids from 2001) and invoices (ids from 5001, one per customer in turn). */
export function seedNetSuiteRecords(customers: Map<string, NetSuiteCustomer>, counts: { vendors: number; invoices: number }) {
  const epoch = Date.UTC(2024, 0, 1);
  const vendors = new Map<string, NetSuiteVendor>();
  for (let i = 1; i <= counts.vendors; i += 1) {
    const id = String(2000 + i);
    vendors.set(id, {
      id, entityId: `VEND${id}`, companyName: `Supplier ${i} Inc`, ...(i % 4 ? { email: `ap${i}@supplier.example` } : {}), isPerson: false, isInactive: i % 10 === 0,
      dateCreated: iso(epoch), lastModifiedDate: iso(epoch + i * 29 * 60_000),
    });
  }
  const ids = [...customers.keys()];
  const invoices = new Map<string, NetSuiteInvoice>();
  for (let i = 1; i <= counts.invoices; i += 1) {
    const id = String(5000 + i);
    const customer = customers.get(ids[(i - 1) % ids.length]!)!;
    const total = 250 + i * 10.5;
    const paid = i % 3 === 0;
    invoices.set(id, {
      id, type: 'CustInvc', tranId: `INV${id}`, entity: { id: customer.id, refName: customer.companyName },
      tranDate: '2026-02-01', dueDate: '2026-03-03', total, amountRemaining: paid ? 0 : total, currency: { id: '1', refName: 'USD' },
      status: paid ? { id: 'B', refName: 'Paid In Full' } : { id: 'A', refName: 'Open' }, ...(i % 2 ? { memo: `Order ${i}` } : {}),
      createdDate: iso(epoch), lastModifiedDate: iso(epoch + i * 17 * 60_000),
    });
  }
  return { vendors, invoices };
}

/** The SuiteQL tables over the seeded records (column names as SuiteQL spells them). */
export function suiteQlTables(customers: Map<string, NetSuiteCustomer>, vendors: Map<string, NetSuiteVendor>, invoices: Map<string, NetSuiteInvoice>): Record<string, SuiteQlTable> {
  const entity = { id: 'id', entityid: 'entityId', companyname: 'companyName', email: 'email', isperson: 'isPerson', datecreated: 'dateCreated', lastmodifieddate: 'lastModifiedDate' };
  return {
    customer: { rows: () => customers.values() as Iterable<Record<string, unknown>>, columns: entity },
    vendor: { rows: () => vendors.values() as unknown as Iterable<Record<string, unknown>>, columns: { ...entity, isinactive: 'isInactive' } },
    transaction: {
      rows: () => invoices.values() as unknown as Iterable<Record<string, unknown>>,
      columns: {
        id: 'id', type: 'type', tranid: 'tranId', entity: 'entity', trandate: 'tranDate', duedate: 'dueDate', foreigntotal: 'total', foreignamountremaining: 'amountRemaining',
        currency: 'currency', status: 'status', memo: 'memo', createddate: 'createdDate', lastmodifieddate: 'lastModifiedDate',
      },
    },
  };
}

type Problem = (reply: FastifyReply, status: number, title: string, code: string, detail: string) => unknown;

/**
 * The record service's other routes: `GET /record/v1/vendor/{id}` and `/invoice/{id}`, and customer
 * writes. `POST /record/v1/customer` answers 204 with `Location: …/customer/{id}`; `PATCH …/customer/{id}`
 * answers 204. With `Prefer: respond-async` a write is queued as a job instead (netsuite-async.ts) and
 * `X-NetSuite-Idempotency-Key` makes a retry lead to the first job: Oracle documents the key for
 * asynchronous requests only, so a synchronous write ignores it (S: what NetSuite does with a key on a
 * synchronous request is not documented; ignoring it is the case a client must not rely on).
 */
export function registerNetSuiteRecords(app: FastifyInstance, ctx: { url: () => string; customers: Map<string, NetSuiteCustomer>; vendors: Map<string, NetSuiteVendor>; invoices: Map<string, NetSuiteInvoice>; writes: NetSuiteWrites; problem: Problem; json: (reply: FastifyReply, status: number, body: object, type: string) => unknown }) {
  const { customers, vendors, invoices, writes, problem, json } = ctx;
  const recordOf = (kind: string, found: { id: string }) => ({ links: [{ rel: 'self', href: `${ctx.url()}/services/rest/record/v1/${kind}/${found.id}` }], ...found });
  const one = <T extends { id: string }>(kind: string, map: Map<string, T>) =>
    app.get<{ Params: { id: string } }>(`/services/rest/record/v1/${kind}/:id`, async (req, reply) => {
      const found = map.get(req.params.id);
      if (!found) return problem(reply, 404, 'Not Found', 'NONEXISTENT_ID', 'The record instance does not exist. Provide a valid record instance ID.');
      return json(reply, 200, recordOf(kind, found), 'singular-resource');
    });
  one('vendor', vendors);
  one('invoice', invoices);
  const async = registerNetSuiteAsync(app, { url: ctx.url, jobs: writes.jobs, problem, json, record: (id) => recordOf('customer', customers.get(id)!) });

  type Write = { Body: Partial<NetSuiteCustomer> & Record<string, unknown>; Params: { id?: string } };
  const notFound: NetSuiteOutcome = { status: 404, title: 'Not Found', code: 'NONEXISTENT_ID', detail: 'The record instance does not exist. Provide a valid record instance ID.' };
  const write = async (req: { headers: Record<string, unknown> }, reply: FastifyReply, apply: () => NetSuiteOutcome) => {
    writes.handled += 1;
    const key = typeof req.headers['x-netsuite-idempotency-key'] === 'string' ? req.headers['x-netsuite-idempotency-key'] : undefined;
    writes.lastKey = key;
    writes.lastAsync = /respond-async/i.test(String(req.headers.prefer ?? ''));
    let answer: () => unknown;
    if (writes.lastAsync) {
      answer = async.submit(reply, key, apply);
    } else {
      const outcome = apply();
      if (!('id' in outcome)) return problem(reply, outcome.status, outcome.title, outcome.code, outcome.detail);
      answer = () => reply.code(204).header('location', `${ctx.url()}/services/rest/record/v1/customer/${outcome.id}`).send();
    }
    if (writes.holdNextAnswerMs > 0) {
      const ms = writes.holdNextAnswerMs;
      writes.holdNextAnswerMs = 0;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    return answer();
  };
  app.post<Write>('/services/rest/record/v1/customer', async (req, reply) =>
    write(req, reply, () => {
      if (typeof req.body?.companyName !== 'string' || req.body.companyName === '') return { status: 400, title: 'Bad Request', code: 'USER_ERROR', detail: 'Please enter value(s) for: Company Name' };
      const id = String(Math.max(...[...customers.keys()].map(Number)) + 1);
      const now = iso(Date.now());
      customers.set(id, { id, entityId: `CUST${id}`, companyName: req.body.companyName, ...(req.body.email ? { email: req.body.email } : {}), isPerson: false, dateCreated: now, lastModifiedDate: now });
      writes.creates += 1;
      return { id };
    }),
  );
  app.patch<Write>('/services/rest/record/v1/customer/:id', async (req, reply) =>
    write(req, reply, () => {
      const found = customers.get(req.params.id!);
      if (!found) return notFound;
      if (typeof req.body?.companyName === 'string') found.companyName = req.body.companyName;
      if (typeof req.body?.email === 'string') found.email = req.body.email;
      found.lastModifiedDate = iso(Date.now());
      writes.updates += 1;
      return { id: found.id };
    }),
  );
}
