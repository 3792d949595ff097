import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { api, EventTypePattern, eventTypeMatches, SwitchyardError, attemptsFilterSubject, environmentEventsSubject, isSubjectToken } from '@switchyard/contracts';
import { enqueueDelivery, readStream, STREAMS, TASK_HEADERS, type StoredEntry } from '@switchyard/bus';
import { parseInput } from '@switchyard/kernel';
import type { RequestParts } from '../parts.js';
import type { EnvironmentStore, SubscriptionStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import { pageResponse, StreamPageQuery } from '../pagination.js';

type IdParams = { Params: { id: string } };

const EventsQuery = StreamPageQuery.extend({ type: EventTypePattern.optional() });

/** What the events routes need to know about an event: its envelope bytes and where it sits. */
interface FoundEvent {
  seq: number;
  bytes: Uint8Array;
  envelope: { id: string; type: string; environment_id: string };
}

/**
 * `/v1/events`: events still in EVENTS (within `SWITCHYARD_EVENTS_RETENTION_HOURS`), their delivery
 * attempts, and re-sending one to its subscribers.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  ctx: RequestParts,
  environments: EnvironmentStore,
  subscriptions: SubscriptionStore,
  options: { publishTimeoutMs: number; lookupWindow: number },
): void {
  const parse = (entry: StoredEntry) => JSON.parse(entry.text()) as FoundEvent['envelope'];

  /**
   * An event by id. Attempt records name the event's position in EVENTS, so a delivered or attempted
   * event is one read away; an event no endpoint took falls back to a scan of the environment's events
   * among the newest `lookupWindow` messages of EVENTS (message ids cannot be looked up directly), so
   * an unknown id costs at most that many reads.
   */
  const findEvent = async (environmentId: string, id: string): Promise<FoundEvent> => {
    if (!/^evt_[A-Za-z0-9]+$/.test(id)) throw new SwitchyardError('SWY_ERR_EVENT_NOT_FOUND', `no event '${id}'`);
    const attempts = await readStream(ctx.bus, { stream: STREAMS.ATTEMPTS, subject: attemptsFilterSubject({ event: id }), limit: 1, scanLimit: 1 });
    const seq = (attempts.entries[0] && (JSON.parse(attempts.entries[0].text()) as api.DeliveryAttempt).event_seq) ?? null;
    if (seq !== null) {
      const stored = await ctx.bus.jsm.streams.getMessage(STREAMS.EVENTS, { seq }).catch(() => null);
      const envelope = stored ? (stored.json() as FoundEvent['envelope']) : undefined;
      if (stored && envelope?.id === id && envelope.environment_id === environmentId) return { seq, bytes: stored.data, envelope };
    }
    const { state } = await ctx.bus.jsm.streams.info(STREAMS.EVENTS);
    const firstSeq = Math.max(1, state.first_seq, state.last_seq - options.lookupWindow + 1);
    const scan = await readStream(ctx.bus, {
      stream: STREAMS.EVENTS,
      subject: environmentEventsSubject(environmentId),
      afterSeq: firstSeq - 1,
      limit: 1,
      scanLimit: options.lookupWindow,
      match: (entry) => entry.headers['Nats-Msg-Id'] === id,
    });
    const entry = scan.entries[0];
    if (!entry) {
      throw new SwitchyardError('SWY_ERR_EVENT_NOT_FOUND', `no event '${id}' among this environment's recent events (an event no endpoint took is looked up among the newest ${options.lookupWindow} hub events)`);
    }
    return { seq: entry.seq, bytes: entry.data, envelope: parse(entry) };
  };

  app.get('/v1/events', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const query = parseInput(EventsQuery, request.query);
    const page = await readStream(ctx.bus, {
      stream: STREAMS.EVENTS,
      subject: environmentEventsSubject(environment.id),
      since: query.since,
      afterSeq: query.cursor,
      limit: query.limit,
      match: query.type ? (entry) => eventTypeMatches(query.type as string, entry.headers[TASK_HEADERS.eventType] ?? parse(entry).type) : undefined,
    });
    // `tail_cursor` is set even at the end of the stream, so a follower (`switchyard events tail`) can ask
    // for what arrives next without reading again what it has seen.
    const tail = page.lastSeq ?? query.cursor ?? null;
    return { ...pageResponse(page, parse), tail_cursor: tail === null ? null : String(tail) };
  });

  app.get<IdParams>('/v1/events/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return (await findEvent(environment.id, request.params.id)).envelope;
  });

  app.get<IdParams>('/v1/events/:id/attempts', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const query = parseInput(StreamPageQuery, request.query);
    if (!isSubjectToken(request.params.id)) throw new SwitchyardError('SWY_ERR_EVENT_NOT_FOUND', `no event '${request.params.id}'`);
    const page = await readStream(ctx.bus, {
      stream: STREAMS.ATTEMPTS,
      subject: attemptsFilterSubject({ event: request.params.id }),
      since: query.since,
      afterSeq: query.cursor,
      limit: query.limit,
      match: (entry) => (JSON.parse(entry.text()) as api.DeliveryAttempt).environment_id === environment.id,
    });
    return pageResponse(page, (e) => JSON.parse(e.text()) as api.DeliveryAttempt);
  });

  app.post<IdParams>('/v1/events/:id/resend', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.ResendEvent, request.body ?? {});
    const event = await findEvent(environment.id, request.params.id);
    let targets;
    if (input.subscription_id) {
      const one = await subscriptions.getInEnvironment(environment.id, input.subscription_id);
      if (!one) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no subscription '${input.subscription_id}'`);
      if (one.status === 'disabled') throw new SwitchyardError('SWY_ERR_ENDPOINT_DISABLED', 'resume the subscription first');
      targets = [one];
    } else {
      targets = subscriptions.matching(environment.id, event.envelope.type);
    }
    const taskId = `r-${randomBytes(6).toString('hex')}`;
    for (const target of targets) {
      await enqueueDelivery(
        ctx.bus,
        { subscriptionId: target.id, eventId: event.envelope.id, eventType: event.envelope.type, taskId, eventSeq: event.seq, body: event.bytes },
        options.publishTimeoutMs,
      );
    }
    return reply.status(202).send({ event_id: event.envelope.id, task_id: taskId, subscription_ids: targets.map((t) => t.id) });
  });
}
