import type { FastifyInstance, FastifyReply } from 'fastify';

/** What a write did, once its job ran: the record's id, or the refusal NetSuite would have answered. */
export type NetSuiteOutcome = { id: string } | { status: number; title: string; code: string; detail: string };

/** The async job queue: how long a job waits before it runs, and what was submitted and polled. */
export interface NetSuiteJobs {
  /** How long a submitted job stays `pending` before it runs (ms). */
  delayMs: number;
  /** Jobs accepted (202), not counting a reused key's 400. */
  submitted: number;
  /** GETs of a job, its tasks or a result. */
  polls: number;
  /** `X-NetSuite-Idempotency-Key` → the job it started. */
  readonly byKey: Map<string, string>;
}

interface Job {
  readonly id: string;
  readonly startTime: string;
  endTime?: string;
  outcome?: NetSuiteOutcome;
}

type Problem = (reply: FastifyReply, status: number, title: string, code: string, detail: string) => unknown;
type Json = (reply: FastifyReply, status: number, body: object, type: string) => unknown;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * NetSuite's asynchronous request processing (Oracle: "REST Web Services Request Processing", "Sending an
 * Asynchronous Request [Using an Idempotency Key]", "Polling for the Status…", "Getting the Result…"): a
 * write sent with `Prefer: respond-async` answers `202` with `Preference-Applied: respond-async` and
 * `Location: /services/rest/async/v1/job/{id}`; the job runs `delayMs` later. `GET …/job/{id}` gives
 * `{completed, progress: pending|succeeded|failed, task: {links}}`, `GET …/job/{id}/task` the task collection
 * (one task per record write), `GET …/task/{taskId}` `{completed, progress, links: [related → result]}`,
 * and `GET …/result` the written record, or the refusal with the status a synchronous write would have had.
 * A key reused while its job is known answers `400` `IDEMPOTENCY_ERROR` with the earlier job's Location.
 * (S): the task collection's shape follows NetSuite's other collections, the answer of a result read before
 * the job finished and a failed job's result are not documented; built as described here.
 */
export function registerNetSuiteAsync(app: FastifyInstance, ctx: { url: () => string; jobs: NetSuiteJobs; problem: Problem; json: Json; record: (id: string) => object }) {
  const { jobs, problem, json } = ctx;
  const known = new Map<string, Job>();
  const timers = new Set<NodeJS.Timeout>();
  app.addHook('onClose', async () => timers.forEach((t) => clearTimeout(t)));
  const base = '/services/rest/async/v1/job';
  const href = (path: string) => `${ctx.url()}${path}`;

  /** Queues a write (`run` applies it when the job runs); gives the answer to send: 202, or 400 for a key already used. */
  const submit = (reply: FastifyReply, key: string | undefined, run: () => NetSuiteOutcome): (() => unknown) => {
    const earlier = key ? jobs.byKey.get(key) : undefined;
    if (earlier) {
      return () => problem(reply.header('preference-applied', 'respond-async').header('location', `${base}/${earlier}`), 400, 'Conflict', 'IDEMPOTENCY_ERROR', 'A request with the same idempotency key is already submitted. See the "Location" header for a link to the previously submitted job');
    }
    const job: Job = { id: String(7000 + known.size + 1), startTime: iso(Date.now()) };
    known.set(job.id, job);
    if (key) jobs.byKey.set(key, job.id);
    jobs.submitted += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      job.outcome = run();
      job.endTime = iso(Date.now());
    }, jobs.delayMs);
    timer.unref();
    timers.add(timer);
    return () => reply.code(202).header('preference-applied', 'respond-async').header('location', `${base}/${job.id}`).send();
  };

  const progress = (job: Job) => (!job.outcome ? 'pending' : 'id' in job.outcome ? 'succeeded' : 'failed');
  const find = (reply: FastifyReply, id: string, task?: string) => {
    const job = known.get(id);
    jobs.polls += 1;
    if (job && (task === undefined || task === '1')) return job;
    void problem(reply, 404, 'Not Found', 'NONEXISTENT_ID', 'The record instance does not exist. Provide a valid record instance ID.');
    return undefined;
  };
  const times = (job: Job) => ({ startTime: job.startTime, ...(job.endTime ? { endTime: job.endTime } : {}) });

  type P = { Params: { id: string; task?: string } };
  app.get<P>(`${base}/:id`, async (req, reply) => {
    const job = find(reply, req.params.id);
    if (!job) return reply;
    return json(reply, 200, { links: [{ rel: 'self', href: href(`${base}/${job.id}`) }], completed: job.outcome !== undefined, id: job.id, progress: progress(job), ...times(job), task: { links: [{ rel: 'self', href: href(`${base}/${job.id}/task`) }] } }, 'singular-resource');
  });
  app.get<P>(`${base}/:id/task`, async (req, reply) => {
    const job = find(reply, req.params.id);
    if (!job) return reply;
    const items = [{ links: [{ rel: 'self', href: href(`${base}/${job.id}/task/1`) }], id: '1' }];
    return json(reply, 200, { links: [{ rel: 'self', href: href(`${base}/${job.id}/task`) }], count: 1, hasMore: false, items, offset: 0, totalResults: 1 }, 'collection');
  });
  app.get<P>(`${base}/:id/task/:task`, async (req, reply) => {
    const job = find(reply, req.params.id, req.params.task);
    if (!job) return reply;
    const links = [{ rel: 'related', href: href(`${base}/${job.id}/task/1/result`) }, { rel: 'self', href: href(`${base}/${job.id}/task/1`) }];
    return json(reply, 200, { links, completed: job.outcome !== undefined, id: '1', progress: progress(job), ...times(job) }, 'singular-resource');
  });
  app.get<P>(`${base}/:id/task/:task/result`, async (req, reply) => {
    const job = find(reply, req.params.id, req.params.task);
    if (!job) return reply;
    if (!job.outcome) return problem(reply, 400, 'Bad Request', 'INVALID_REQUEST', 'The task has not finished yet.');
    if (!('id' in job.outcome)) return problem(reply, job.outcome.status, job.outcome.title, job.outcome.code, job.outcome.detail);
    return json(reply, 200, ctx.record(job.outcome.id), 'singular-resource');
  });

  return { submit };
}
