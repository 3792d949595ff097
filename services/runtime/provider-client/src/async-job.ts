import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError, type AsyncJob } from '@switchyard/contracts';

/** One provider answer as the job walk sees it (the body parsed when it is JSON). */
export interface JobReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What {@link followAsyncJob} calls: the definition's expressions, and GETs under the account's cap. */
export interface JobCalls<R extends JobReply> {
  /** Evaluates one of the job's expressions (`field` names it: `job`, `steps.0.until`, …). */
  evaluate(field: string, source: string, view: JobReply): Promise<unknown>;
  /** GETs a URL the provider gave; errors other than "not found" are the call's own. */
  get(url: string): Promise<R>;
  /** Sends the GET that reads the final answer: its errors (404, a refusal) are the write's errors. */
  result(url: string): Promise<R>;
}

/** Poll intervals grow to this many times the definition's `poll_interval_ms`. */
const MAX_BACKOFF = 8;

/**
 * Follows a write the provider accepted as a job to its result, as the definition's `async` section
 * describes: the job URL from the write's answer, then each step's URL read (again, with a growing pause,
 * while `until` is false) until the last one, whose answer is returned. Returns `undefined` when `job`
 * finds no job in the answer (the provider answered at once). A job that has not finished within
 * `timeoutMs` is `SWY_ERR_PROVIDER_JOB_TIMEOUT` naming the job's path (never its query: it may carry
 * credentials); a step that gives no URL, or a job or task the provider no longer knows, is
 * `SWY_ERR_PROVIDER_ERROR`.
 */
export async function followAsyncJob<R extends JobReply>(spec: AsyncJob, answer: JobReply, calls: JobCalls<R>, timeoutMs: number): Promise<R | undefined> {
  const jobUrl = await urlFrom(calls, 'job', spec.job, answer);
  if (jobUrl === undefined) return undefined;
  const deadline = Date.now() + timeoutMs;
  let url = jobUrl;
  for (const [index, step] of spec.steps.entries()) {
    let reply = await read(calls, url, jobUrl);
    let pause = spec.poll_interval_ms;
    while (step.until !== undefined && !(await calls.evaluate(`steps.${index}.until`, step.until, reply))) {
      if (Date.now() + pause > deadline) {
        throw new SwitchyardError('SWY_ERR_PROVIDER_JOB_TIMEOUT', `the provider's job ${pathOf(jobUrl)} had not finished after ${timeoutMs} ms`, { extensions: { provider_job: pathOf(jobUrl) } });
      }
      await sleep(pause);
      pause = Math.min(pause * 2, spec.poll_interval_ms * MAX_BACKOFF);
      reply = await read(calls, url, jobUrl);
    }
    const next = await urlFrom(calls, `steps.${index}.next`, step.next, reply);
    if (next === undefined) throw new SwitchyardError('SWY_ERR_PROVIDER_ERROR', `the provider's job ${pathOf(jobUrl)} gave no URL for its next step (async.steps.${index}.next)`);
    url = next;
  }
  return calls.result(url);
}

async function read<R extends JobReply>(calls: JobCalls<R>, url: string, jobUrl: string): Promise<R> {
  try {
    return await calls.get(url);
  } catch (error) {
    if (error instanceof SwitchyardError && error.code === 'SWY_ERR_NOT_FOUND') {
      throw new SwitchyardError('SWY_ERR_PROVIDER_ERROR', `the provider no longer knows its job ${pathOf(jobUrl)}`, { extensions: { provider_status: 404 } });
    }
    throw error;
  }
}

async function urlFrom(calls: JobCalls<JobReply>, field: string, source: string, view: JobReply): Promise<string | undefined> {
  const value = await calls.evaluate(field, source, view);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The path of a job URL (absolute or not), without its query. */
function pathOf(url: string): string {
  try {
    return new URL(url, 'http://provider.invalid').pathname;
  } catch {
    return '(unreadable URL)';
  }
}
