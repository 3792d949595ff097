import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SwitchyardError, toProblem } from '@switchyard/contracts';
import { parseInput, traceContextOf } from '@switchyard/kernel';
import { ProviderThrottled, rateLimit, type UnifiedAnswer } from '@switchyard/provider-client';
import { IdempotencyStore, requestFingerprint } from '../idempotency/index.js';
import type { RequestParts } from '../parts.js';
import type { AccountStore, EnvironmentStore } from '@switchyard/stores';
import { z } from 'zod';
import { requireEnvironment } from '../auth.js';
import { ExportEnv, type ExportConfig } from '../config.js';
import { exportRequested, streamExport } from '../export/index.js';

type Params = { Params: { category: string; resource: string; id?: string } };

const ListQuery = z
  .object({
    integrated_account_id: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(4096).optional(),
    updated_after: z.string().datetime({ offset: true }).optional(),
    include_remote_data: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  })
  .passthrough();

/** Writes: a unified record (the provider's definition maps it to its own shape). */
const WriteBody = z.object({ data: z.record(z.string(), z.unknown()) }).strict();

/**
 * `/unified/{category}/{resource}[/{id}]`: one API over every provider, driven by each provider's
 * definition. The account comes from `integrated_account_id` or `x-integrated-account-id`, scoped to the
 * key's environment. Every answer carries the provider's rate-limit state as IETF `RateLimit-Policy` /
 * `RateLimit` headers; provider throttling is a 429 with those and `Retry-After`, never retried here.
 * Writes honour `Idempotency-Key` (fingerprint, status and remote id kept 24 h, no payload).
 */
export function registerUnifiedRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, exports: ExportConfig = ExportEnv.parse({})): void {
  const engine = ctx.client.unified;
  const keys = new IdempotencyStore(ctx.bus.kv.idempotency);

  const target = async (request: FastifyRequest<Params>) => {
    const environment = await requireEnvironment(request, environments);
    const query = request.query as Record<string, string | undefined>;
    const id = query.integrated_account_id ?? (request.headers['x-integrated-account-id'] as string | undefined);
    if (!id) throw new SwitchyardError('SWY_ERR_VALIDATION', 'integrated_account_id: pass it as a query parameter or the x-integrated-account-id header');
    const account = await accounts.getInEnvironment(environment.id, id);
    if (!account) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${id}'`);
    if (account.status === 'needs_reauth') throw new SwitchyardError('SWY_ERR_ACCOUNT_NEEDS_REAUTH', `account '${id}' must be reconnected`);
    if (account.status !== 'active') throw new SwitchyardError('SWY_ERR_ACCOUNT_DISABLED', `account '${id}' is ${account.status}`);
    const provider = ctx.catalog.get(account.provider);
    if (!provider?.definition.api) throw new SwitchyardError('SWY_ERR_RESOURCE_UNSUPPORTED', `${account.provider} has no API definition`);
    // A caller's W3C trace context is continued to the provider (a malformed one is dropped).
    const trace = traceContextOf(request.headers.traceparent, request.headers.tracestate);
    return { environment, resource: `${request.params.category}/${request.params.resource}`, target: { provider, account, credentials: accounts.credentials(account), trace } };
  };

  /** Runs a provider call into an outcome: its answer with rate-limit headers, or the 429 for throttling. */
  const run = async <T extends object>(status: number, call: () => Promise<UnifiedAnswer<T>>): Promise<Outcome> => {
    try {
      const { value, rateLimit: limits } = await call();
      const remoteId = 'remote_id' in value && typeof value.remote_id === 'string' ? value.remote_id : null;
      return { status, body: value, headers: { ...rateLimit.rateLimitHeaders(limits) }, remoteId, problem: false };
    } catch (error) {
      if (!(error instanceof ProviderThrottled)) throw error;
      const body = { ...toProblem(error), ...rateLimit.throttledProblem(error.provider, error.rateLimit) };
      return { status: 429, body, headers: { ...rateLimit.rateLimitHeaders(error.rateLimit) }, remoteId: null, problem: true };
    }
  };

  const send = (reply: FastifyReply, outcome: Outcome) => {
    for (const [name, value] of Object.entries(outcome.headers)) if (value) void reply.header(name, value);
    if (outcome.problem) void reply.type('application/problem+json');
    return reply.status(outcome.status).send(outcome.body);
  };

  /** `Idempotency-Key` around a write: replay the first outcome, 409 while one runs, 422 for another request. */
  const idempotent = async (request: FastifyRequest<Params>, environmentId: string, accountId: string, write: () => Promise<Outcome>): Promise<Outcome> => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return write();
    const fingerprint = requestFingerprint({ method: request.method, path: request.url.split('?')[0]!, accountId, body: request.body });
    const begun = await keys.begin(environmentId, key, fingerprint);
    if (begun.state === 'replay') {
      return { status: begun.outcome.status, body: { remote_id: begun.outcome.remote_id ?? null, result: null }, headers: { 'idempotent-replayed': 'true' }, remoteId: begun.outcome.remote_id ?? null, problem: false };
    }
    if (begun.state === 'in_progress') throw new SwitchyardError('SWY_ERR_IDEMPOTENCY_IN_PROGRESS', 'retry when the first request has finished');
    if (begun.state === 'mismatch') throw new SwitchyardError('SWY_ERR_IDEMPOTENCY_MISMATCH', 'use a new Idempotency-Key for a different request');
    try {
      const outcome = await write();
      // Only successes are remembered: a throttled or failed write may be retried with the same key.
      if (outcome.status < 300) await keys.complete(begun.lease, { status: outcome.status, remote_id: outcome.remoteId });
      else await keys.release(begun.lease);
      return outcome;
    } catch (error) {
      await keys.release(begun.lease);
      throw error;
    }
  };

  app.get<Params>('/unified/:category/:resource', async (request, reply) => {
    const { resource, target: t } = await target(request);
    const query = parseInput(ListQuery, request.query);
    const declared = engine.filters(t, resource); // the definition's, or what an override of this account's declares
    const filters = Object.fromEntries(declared.flatMap((name) => (typeof query[name] === 'string' ? [[name, query[name] as string]] : [])));
    // `all=true`: every page as NDJSON, `limit` is the page size (docs/export.md).
    if (exportRequested(request.query)) {
      return streamExport({ engine, logger: ctx.logger, metrics: ctx.metrics, config: exports }, request, reply, t, resource, { limit: query.limit, cursor: query.cursor, updated_after: query.updated_after, filters, include_remote_data: query.include_remote_data });
    }
    return send(reply, await run(200, () => engine.list(t, resource, { limit: query.limit, cursor: query.cursor, updated_after: query.updated_after, filters, include_remote_data: query.include_remote_data })));
  });

  app.get<Params>('/unified/:category/:resource/:id', async (request, reply) => {
    const { resource, target: t } = await target(request);
    const includeRemoteData = (request.query as Record<string, string>).include_remote_data === 'true';
    return send(reply, await run(200, () => engine.get(t, resource, request.params.id!, includeRemoteData)));
  });

  app.post<Params>('/unified/:category/:resource', async (request, reply) => {
    const { environment, resource, target: t } = await target(request);
    const { data } = parseInput(WriteBody, request.body);
    return send(reply, await idempotent(request, environment.id, t.account.id, () => run(201, () => engine.create(t, resource, data, { idempotencyKey: idempotencyKeyOf(request) }))));
  });

  app.patch<Params>('/unified/:category/:resource/:id', async (request, reply) => {
    const { environment, resource, target: t } = await target(request);
    const { data } = parseInput(WriteBody, request.body);
    return send(reply, await idempotent(request, environment.id, t.account.id, () => run(200, () => engine.update(t, resource, request.params.id!, data, { idempotencyKey: idempotencyKeyOf(request) }))));
  });

  app.delete<Params>('/unified/:category/:resource/:id', async (request, reply) => {
    const { environment, resource, target: t } = await target(request);
    return send(reply, await idempotent(request, environment.id, t.account.id, () => run(200, () => engine.delete(t, resource, request.params.id!))));
  });
}

/** The customer's `Idempotency-Key`, when one was sent. */
function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** A unified call's answer, ready to send or to remember for an idempotent replay. */
interface Outcome {
  status: number;
  body: unknown;
  headers: Record<string, string | undefined>;
  remoteId: string | null;
  problem: boolean;
}
