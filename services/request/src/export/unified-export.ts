import type { FastifyReply, FastifyRequest } from 'fastify';
import { SwitchyardError, toProblem } from '@switchyard/contracts';
import type { Logger, Metrics } from '@switchyard/kernel';
import { ProviderThrottled, rateLimit, type ListInput, type UnifiedEngine, type UnifiedTarget } from '@switchyard/provider-client';
import type { ExportConfig } from '../config.js';
import { doneLine, errorLine, progressLine, type ExportCounts } from './control-lines.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { ThrottleBudget } from './throttle-budget.js';

/**
 * How long past its duration bound an export still waits for a reader that is not reading: enough for the
 * in-band limit line to go out to a live client, not forever for one that stopped reading without closing.
 */
const STALLED_READER_GRACE_MS = 30_000;

/** How an export call ended, as the duration histogram labels it. */
type Outcome = 'done' | 'error' | 'limit' | 'aborted';

/** What an export works with. */
export interface ExportParts {
  engine: UnifiedEngine;
  logger: Logger;
  metrics?: Metrics | undefined;
  config: ExportConfig;
}

/**
 * `all=true` on a unified list: whether the caller asked for a streamed export. Only `true` and
 * `false` are meaningful; anything else is refused rather than silently answering one page.
 */
export function exportRequested(query: unknown): boolean {
  const all = (query as Record<string, unknown> | undefined)?.all;
  if (all === undefined || all === 'false') return false;
  if (all === 'true') return true;
  throw new SwitchyardError('SWY_ERR_VALIDATION', 'all: must be true or false');
}

/**
 * Streams every page of a unified list as NDJSON (docs/export.md): each page goes through the engine
 * (the provider's own pagination, auth, the account's concurrency governor, the mapping), its records
 * are written one per line with backpressure, then a progress line carries the sealed cursor of the next
 * page. Throttling is waited out within the budget. Errors before the first byte are thrown (the route
 * answers problem+json); after it they end the stream with an error line and the cursor to resume from.
 * When the client leaves, the walk stops: no provider call is made after the connection closed.
 */
export async function streamExport(parts: ExportParts, request: FastifyRequest, reply: FastifyReply, target: UnifiedTarget, resource: string, input: ListInput): Promise<void> {
  const started = Date.now();
  const { config } = parts;
  const left = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) left.abort();
  });
  const budget = new ThrottleBudget({ maxWaitMs: config.SWITCHYARD_EXPORT_MAX_RETRY_WAIT_MS, maxTotalMs: config.SWITCHYARD_EXPORT_MAX_THROTTLE_MS });
  const page = (cursor: string | undefined) => budget.run(() => parts.engine.list(target, resource, { ...input, cursor }), left.signal);
  const provider = target.provider.definition.slug;
  const counts: ExportCounts = { records: 0, pages: 0 };
  const finish = (outcome: Outcome, code?: string) => {
    parts.metrics?.exportDuration.observe({ outcome }, (Date.now() - started) / 1000);
    // Counts and the outcome only: records, cursors and tokens never reach the log.
    request.log.info({ provider, resource, outcome, ...(code ? { code } : {}), ...counts, throttled_ms: budget.spentMs, ms: Date.now() - started }, 'export');
  };

  // The first page decides the status: a bad or foreign cursor, refused credentials or an exhausted
  // budget are still a normal problem answer, since nothing was sent yet.
  let answer;
  try {
    answer = await page(input.cursor);
  } catch (error) {
    finish(left.signal.aborted ? 'aborted' : 'error', error instanceof SwitchyardError ? error.code : 'SWY_ERR_INTERNAL');
    if (left.signal.aborted) return reply.hijack();
    if (error instanceof ProviderThrottled) {
      for (const [name, value] of Object.entries(rateLimit.rateLimitHeaders(error.rateLimit))) if (value) void reply.header(name, value);
      return reply.status(429).type('application/problem+json').send({ ...toProblem(error), ...rateLimit.throttledProblem(error.provider, error.rateLimit) });
    }
    throw error;
  }
  if (left.signal.aborted) {
    finish('aborted');
    return reply.hijack();
  }

  reply.hijack();
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', ...definedHeaders(rateLimit.rateLimitHeaders(answer.rateLimit)) });
  const out = new NdjsonWriter(res, { deadline: started + config.SWITCHYARD_EXPORT_MAX_DURATION_MS + STALLED_READER_GRACE_MS });
  const exported = parts.metrics?.exportedRecords.labels({ provider, resource });
  for (;;) {
    const { result, next_cursor: next } = answer.value;
    for (const record of result) {
      if (!(await out.line(record))) return finish('aborted');
    }
    counts.records += result.length;
    counts.pages += 1;
    exported?.inc(result.length);
    if (next === null) {
      await out.line(doneLine(counts));
      await out.end();
      return finish(out.closed && !res.writableFinished ? 'aborted' : 'done');
    }
    if (!(await out.line(progressLine(counts, next))) || !(await out.flush())) return finish('aborted');
    const bound = counts.pages >= config.SWITCHYARD_EXPORT_MAX_PAGES ? `${config.SWITCHYARD_EXPORT_MAX_PAGES} pages` : Date.now() - started >= config.SWITCHYARD_EXPORT_MAX_DURATION_MS ? `${config.SWITCHYARD_EXPORT_MAX_DURATION_MS} ms` : undefined;
    if (bound) {
      await out.line(errorLine(new SwitchyardError('SWY_ERR_EXPORT_LIMIT', `this export reached its bound of ${bound}; call again with resume_cursor`), counts, next));
      await out.end();
      return finish('limit', 'SWY_ERR_EXPORT_LIMIT');
    }
    if (left.signal.aborted) return finish('aborted');
    try {
      answer = await page(next);
    } catch (error) {
      if (left.signal.aborted) return finish('aborted');
      const coded = error instanceof SwitchyardError ? error : new SwitchyardError('SWY_ERR_INTERNAL', 'the export failed');
      if (!(error instanceof SwitchyardError)) request.log.error({ err: error, provider, resource }, 'export failed');
      await out.line(errorLine(coded instanceof ProviderThrottled ? withRetryAfter(coded) : coded, counts, next));
      await out.end();
      return finish('error', coded.code);
    }
    if (left.signal.aborted) return finish('aborted');
  }
}

/** A throttling error whose in-band line names the provider's Retry-After, so the caller knows when to resume. */
function withRetryAfter(error: ProviderThrottled): SwitchyardError {
  const retry = error.rateLimit.retryAfterS;
  return new SwitchyardError('SWY_ERR_PROVIDER_RATE_LIMITED', error.detail, { extensions: { provider: error.provider, ...(retry === undefined ? {} : { retry_after_s: retry }) } });
}

/** Header values that are set, for `writeHead` (which would send an empty header). */
function definedHeaders(headers: object): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}
