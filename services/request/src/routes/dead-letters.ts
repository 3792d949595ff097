import type { FastifyInstance } from 'fastify';
import { SwitchyardError, api, deadFilterSubject, rawProviderSubject } from '@switchyard/contracts';
import { DEAD_HEADERS, RAW_HEADERS, readStream, STREAMS } from '@switchyard/bus';
import { parseInput } from '@switchyard/kernel';
import type { RequestParts } from '../parts.js';
import type { EnvironmentStore } from '@switchyard/stores';
import { z } from 'zod';
import { requireEnvironment } from '../auth.js';
import { pageResponse, StreamPageQuery } from '../pagination.js';
import { deadLetterView, getJob, inEnvironment, startReplay } from '../replay.js';

const Token = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _');

const ListQuery = StreamPageQuery.extend({
  /** normalizer (default): deliveries no mapping could handle; delivery: events an endpoint never took. */
  stage: z.enum(['normalizer', 'delivery']).default('normalizer'),
  provider: Token.optional(),
  integrated_account_id: Token.optional(),
  subscription_id: Token.optional(),
  code: z.string().optional(),
});
/**
 * Dead letters of the normalizer and of delivery (`GET /v1/dead-letters[?stage=delivery]`, bodies never
 * returned; a delivery dead letter is sent again with `/v1/subscriptions/{id}/recover` or an event
 * resend), replaying the normalizer's
 * through the current mapping (`POST /v1/dead-letters/replay {filter}`), replaying stored raw
 * deliveries (`POST /v1/raw/replay`), and replay progress (`GET /v1/replays/{id}`).
 */
export function registerDeadLetterRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, options: { publishTimeoutMs: number; maxRunningReplays: number }): void {
  app.get('/v1/dead-letters', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const query = parseInput(ListQuery, request.query);
    const belongs = inEnvironment(environment.id);
    const page = await readStream(ctx.bus, {
      stream: STREAMS.DEAD,
      subject:
        query.stage === 'delivery'
          ? deadFilterSubject('delivery', { subscription: query.subscription_id })
          : deadFilterSubject('normalizer', { provider: query.provider, account: query.integrated_account_id }),
      since: query.since,
      afterSeq: query.cursor,
      limit: query.limit,
      match: (entry) => belongs(entry) && (!query.code || entry.headers[DEAD_HEADERS.code] === query.code),
    });
    return pageResponse(page, deadLetterView);
  });

  app.post('/v1/dead-letters/replay', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const { filter } = parseInput(api.ReplayDeadLetters, request.body ?? {});
    const belongs = inEnvironment(environment.id);
    const ids = filter.ids ? new Set(filter.ids.map((id) => Number(id.slice(3)))) : undefined;
    const until = filter.until ? Date.parse(filter.until) : undefined;
    const job = await startReplay(
      ctx.bus,
      ctx.logger,
      environment.id,
      {
        kind: 'dead_letters',
        stream: STREAMS.DEAD,
        subject: deadFilterSubject('normalizer', { provider: filter.provider, account: filter.integrated_account_id }),
        since: filter.since ? new Date(filter.since) : undefined,
        match: (entry) =>
          belongs(entry) &&
          (!ids || ids.has(entry.seq)) &&
          (!filter.code || entry.headers[DEAD_HEADERS.code] === filter.code) &&
          (until === undefined || entry.time.getTime() <= until),
        deleteAfter: true,
      },
      { publishTimeoutMs: options.publishTimeoutMs, maxRunning: options.maxRunningReplays },
    );
    return reply.status(202).send(job);
  });

  app.post('/v1/raw/replay', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.ReplayRaw, request.body);
    const belongs = inEnvironment(environment.id);
    const until = input.until ? Date.parse(input.until) : Number.POSITIVE_INFINITY;
    const job = await startReplay(
      ctx.bus,
      ctx.logger,
      environment.id,
      {
        kind: 'raw',
        stream: STREAMS.RAW,
        // Both RAW layouts (sharded, and from before the shards): the account is matched on its header.
        subject: rawProviderSubject(input.provider),
        since: new Date(input.since),
        // Earlier replays sit on RAW too; replaying them again would only repeat this one.
        match: (entry) =>
          belongs(entry) &&
          (input.integrated_account_id === undefined || entry.headers[RAW_HEADERS.account] === input.integrated_account_id) &&
          entry.headers[RAW_HEADERS.origin] !== 'replay' &&
          entry.time.getTime() <= until,
        deleteAfter: false,
      },
      { publishTimeoutMs: options.publishTimeoutMs, maxRunning: options.maxRunningReplays },
    );
    return reply.status(202).send(job);
  });

  app.get<{ Params: { id: string } }>('/v1/replays/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const job = await getJob(ctx.bus, environment.id, request.params.id);
    if (!job) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no replay '${request.params.id}'`);
    return job;
  });
}
