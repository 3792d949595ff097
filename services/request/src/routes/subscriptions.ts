import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { api, SwitchyardError, attemptsFilterSubject, deadSubject } from '@switchyard/contracts';
import { enqueueDelivery, readStream, STREAMS, TASK_HEADERS } from '@switchyard/bus';
import { parseInput } from '@switchyard/kernel';
import type { RequestParts } from '../parts.js';
import { type EnvironmentStore, type SubscriptionStore } from '@switchyard/stores';
import { z } from 'zod';
import { requireEnvironment } from '../auth.js';
import { pageResponse, StreamPageQuery } from '../pagination.js';

type IdParams = { Params: { id: string } };

/** Subscription-route options. */
export interface SubscriptionRouteOptions {
  /** How long the previous key keeps signing after a rotation, in ms. */
  rotationOverlapMs: number;
  publishTimeoutMs: number;
}

const AttemptsQuery = StreamPageQuery.extend({
  /** An outcome (`delivered`, `failed`, `dead`) or an HTTP status (`500`, `0` for no response). */
  status: z.union([z.enum(['delivered', 'failed', 'dead']), z.string().regex(/^\d{1,3}$/)]).optional(),
});

/**
 * `/v1/subscriptions`: customer endpoints and the events they want, with pause/resume, key rotation,
 * a test event, the attempt log and recovery of dead-lettered deliveries. URLs must pass the egress
 * policy here (a clear 422) and are checked again at every delivery (DNS can change).
 */
export function registerSubscriptionRoutes(
  app: FastifyInstance,
  ctx: RequestParts,
  environments: EnvironmentStore,
  subscriptions: SubscriptionStore,
  options: SubscriptionRouteOptions,
): void {
  const find = async (environmentId: string, id: string) => {
    const record = await subscriptions.getInEnvironment(environmentId, id);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no subscription '${id}'`);
    return record;
  };
  const checkFilter = (filter: string | null | undefined) => {
    if (!filter) return;
    try {
      ctx.engine.compile('filter', filter);
    } catch (error) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', `filter: ${(error as Error).message}`);
    }
  };

  app.post('/v1/subscriptions', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.CreateSubscription, request.body);
    checkFilter(input.filter);
    await ctx.egress.assertUrlAllowed(input.url);
    const { record, credential } = await subscriptions.create({
      environment_id: environment.id,
      url: input.url,
      event_types: input.event_types,
      filter: input.filter ?? null,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      headers: input.headers ?? {},
      rate_limit: input.rate_limit ?? null,
      ordering: input.ordering,
      key_type: input.key_type,
    });
    return reply.status(201).send({ ...subscriptions.view(record), ...credential });
  });

  app.get('/v1/subscriptions', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return { data: subscriptions.list(environment.id).map((record) => subscriptions.view(record)) };
  });

  app.get<IdParams>('/v1/subscriptions/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return subscriptions.view(await find(environment.id, request.params.id));
  });

  app.patch<IdParams>('/v1/subscriptions/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.UpdateSubscription, request.body);
    const record = await find(environment.id, request.params.id);
    checkFilter(input.filter);
    if (input.url) await ctx.egress.assertUrlAllowed(input.url);
    return subscriptions.view(await subscriptions.update(record, input));
  });

  app.delete<IdParams>('/v1/subscriptions/:id', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    await subscriptions.delete(record.id);
    return reply.status(204).send();
  });

  app.post<IdParams>('/v1/subscriptions/:id/rotate-secret', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const { record, credential } = await subscriptions.rotate(await find(environment.id, request.params.id), options.rotationOverlapMs);
    return { ...subscriptions.view(record), ...credential, previous_key_expires_at: new Date(Date.now() + options.rotationOverlapMs).toISOString() };
  });

  app.post<IdParams>('/v1/subscriptions/:id/pause', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    if (record.status === 'disabled') throw new SwitchyardError('SWY_ERR_ENDPOINT_DISABLED', 'resume it instead');
    return subscriptions.view(await subscriptions.setStatus(record, 'paused'));
  });

  app.post<IdParams>('/v1/subscriptions/:id/resume', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return subscriptions.view(await subscriptions.setStatus(await find(environment.id, request.params.id), 'active'));
  });

  app.post<IdParams>('/v1/subscriptions/:id/test', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    const taskId = `t-${randomBytes(6).toString('hex')}`;
    const event = {
      id: `evt_test${randomBytes(12).toString('hex')}`,
      type: 'webhook/endpoint:test',
      timestamp: new Date().toISOString(),
      environment_id: environment.id,
      data: { subscription_id: record.id, message: 'A test event from Switchyard: your endpoint and its signature check work.' },
    };
    await enqueueDelivery(ctx.bus, { subscriptionId: record.id, eventId: event.id, eventType: event.type, taskId, body: Buffer.from(JSON.stringify(event)) }, options.publishTimeoutMs);
    return reply.status(202).send({ event_id: event.id, task_id: taskId });
  });

  app.get<IdParams>('/v1/subscriptions/:id/attempts', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    const query = parseInput(AttemptsQuery, request.query);
    const page = await readStream(ctx.bus, {
      stream: STREAMS.ATTEMPTS,
      subject: attemptsFilterSubject({ subscription: record.id }),
      since: query.since,
      afterSeq: query.cursor,
      limit: query.limit,
      match: (entry) => {
        if (!query.status) return true;
        const attempt = JSON.parse(entry.text()) as api.DeliveryAttempt;
        return /^\d+$/.test(query.status) ? attempt.status === Number(query.status) : attempt.outcome === query.status;
      },
    });
    return pageResponse(page, (e) => JSON.parse(e.text()) as api.DeliveryAttempt);
  });

  app.post<IdParams>('/v1/subscriptions/:id/recover', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    const input = parseInput(api.RecoverSubscription, request.body);
    if (record.status !== 'active') {
      throw new SwitchyardError('SWY_ERR_ENDPOINT_DISABLED', `subscription is ${record.status}; resume it before recovering`);
    }
    let recovered = 0;
    let afterSeq: number | undefined;
    // Page through the dead letters since the given time; each becomes a new task named after its dead letter.
    for (;;) {
      const page = await readStream(ctx.bus, { stream: STREAMS.DEAD, subject: deadSubject('delivery', { subscription: record.id }), since: afterSeq === undefined ? new Date(input.since) : undefined, afterSeq, limit: 500 });
      for (const entry of page.entries) {
        const eventId = entry.headers[TASK_HEADERS.eventId];
        const eventType = entry.headers[TASK_HEADERS.eventType];
        if (!eventId || !eventType) continue;
        const eventSeq = entry.headers[TASK_HEADERS.eventSeq];
        const { duplicate } = await enqueueDelivery(
          ctx.bus,
          { subscriptionId: record.id, eventId, eventType, taskId: `c-${entry.seq}`, eventSeq: eventSeq ? Number(eventSeq) : undefined, body: entry.data },
          options.publishTimeoutMs,
        );
        if (!duplicate) recovered++;
      }
      if (page.nextSeq === null) break;
      afterSeq = page.nextSeq;
    }
    return { subscription_id: record.id, since: input.since, recovered };
  });
}
