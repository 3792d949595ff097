import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import { enricher } from './enrich.js';
import { envelopeSubject, EventOrigin, recordOrderKey, SwitchyardError, type ErrorCode, type EventEnvelope } from '@switchyard/contracts';
import { describeConsumed, DEAD_HEADERS, publishDeadLetter, publishDurable, RAW_HEADERS as H, readTrace, STREAMS, TASK_HEADERS, writeTrace } from '@switchyard/bus';
import type { Closeable, Ticket, TraceContext, TraceSpan } from '@switchyard/kernel';
import { normalize, parseBody } from '@switchyard/mapping';
import type { ResolvedMapping } from '@switchyard/stores';
import type { NormalizerParts } from './parts.js';
import { startRawLanes, type RawLaneTuning } from './raw-lanes.js';

/** Normalizer tuning. */
export interface NormalizerOptions {
  /** Raw deliveries handled at once per RAW shard this process holds (32 shards). */
  concurrency: number;
  /** Per-publish deadline while NATS is unavailable, in ms (then the raw message is retried). */
  publishTimeoutMs: number;
  /** Shard lease timing (tests); defaults suit production. */
  lanes?: Partial<RawLaneTuning>;
}

/** Events of one raw delivery past this many share its last sequence number. */
const SEQUENCE_STRIDE = 1_000;
/** Longest wait held in place while the events of later deliveries of the same record wait behind, in ms. */
const MAX_HOLD_MS = 10_000;

/**
 * RAW → EVENTS. For each verified delivery: parse the body, run the provider's webhook mapping,
 * validate each event against its unified schema and publish it with its deterministic id (JetStream
 * dedupes). A delivery that cannot be normalized is kept in DEAD with a coded error and acked; a bus
 * failure naks it for a later retry. Nothing is dropped.
 *
 * Order (docs/ordering.md): deliveries of one account arrive through one RAW shard held by one process;
 * each takes a ticket as it arrives and, once mapped, waits only for earlier deliveries that produced
 * events of the same record, so events of one record reach EVENTS in the order the hub took them in,
 * each with its `sequence` (RAW sequence × 1000 + its place in the delivery). What would let a later
 * delivery overtake an earlier one — a busy tenant sandbox, a throttled enrichment, a publish that
 * could not be confirmed — is waited out in place for that delivery's records instead of nak'ed.
 *
 * Tracing (on): each delivery is a `map` consumer span, a child of the RAW message's trace context; its
 * enrichments (`enrich`, with the provider call under it) and each event's `publish EVENTS` are its
 * children, and every event carries its publish span's context. Off, the RAW message's traceparent, if
 * any, is carried on to the events unchanged.
 */
export async function startNormalizer(ctx: NormalizerParts, options: NormalizerOptions): Promise<Closeable> {
  const { accounts, mappings } = ctx;
  const enrich = enricher(ctx, { maxTries: 5 });

  const deadLetter = async (message: JsMsg, span: TraceSpan, code: ErrorCode, detail: string, mapping?: ResolvedMapping) => {
    span.fail(code);
    const provider = message.headers?.get(H.provider) || 'unknown';
    const account = message.headers?.get(H.account) || 'unknown';
    const headers = copyHeaders(message.headers);
    headers.push([DEAD_HEADERS.rawSeq, String(message.seq)]);
    if (mapping) {
      headers.push([DEAD_HEADERS.mappingVersion, mapping.version]);
      headers.push([DEAD_HEADERS.mappingRevisions, `environment=${mapping.revisions.environment ?? '-'},account=${mapping.revisions.account ?? '-'}`]);
    }
    await publishDeadLetter(
      ctx.bus,
      { stage: 'normalizer', place: { provider, account }, data: message.data, msgId: `normalizer:${STREAMS.RAW}:${message.seq}`, code, detail, headers },
      options.publishTimeoutMs,
    );
    ctx.metrics.normalized.inc({ provider, outcome: 'dead' });
    ctx.logger.warn({ provider, account, code, rawSeq: message.seq }, 'raw delivery dead-lettered');
    message.ack();
  };

  let closing = false;
  const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, MAX_HOLD_MS)));

  const handle = async (message: JsMsg, ticket: Ticket | undefined) => {
    const parent = readTrace(message.headers);
    const span = ctx.tracer.start('map', 'consumer', parent);
    try {
      await normalizeOne(message, ticket, span, span.context ?? parent);
    } catch (error) {
      span.fail(error instanceof SwitchyardError ? error.code : 'error');
      throw error;
    } finally {
      ticket?.done();
      span.end();
    }
  };

  const normalizeOne = async (message: JsMsg, ticket: Ticket | undefined, span: TraceSpan, trace: TraceContext | undefined) => {
    const slug = message.headers?.get(H.provider) ?? '';
    const accountId = message.headers?.get(H.account) ?? '';
    if (span.recording) {
      describeConsumed(span, message.subject);
      span.set('switchyard.provider', slug);
      span.set('switchyard.account_id', accountId);
      span.set('switchyard.raw_seq', message.seq);
    }
    const loaded = ctx.catalog.get(slug);
    const origin = EventOrigin.safeParse(message.headers?.get(H.origin)).data ?? 'webhook';
    // A polled payload (docs/polling.md), first time or replayed, runs the provider's poll mapping; everything else the webhook's.
    const polled = message.headers?.get(H.polled) === '1' && loaded?.pollMapping !== undefined && loaded.pollMapping !== loaded.webhookMapping ? loaded.pollMapping : undefined;
    if (!polled && (!loaded?.definition.webhook || !loaded.webhookMapping)) return deadLetter(message, span, 'SWY_ERR_MAPPING_MISSING', `no webhook mapping for provider '${slug}'`);
    const account = await accounts.get(accountId);
    if (!account) return deadLetter(message, span, 'SWY_ERR_ACCOUNT_UNKNOWN', `account '${accountId}' no longer exists`);
    // Base ▸ environment ▸ account, from the watched overrides: an edited override applies to the next delivery.
    // A separate poll mapping has no overrides yet (docs/polling.md).
    const mapping: ResolvedMapping = polled ? { ...polled, revisions: { environment: null, account: null }, tenantWritten: false } : mappings.resolve(loaded!, account.environment_id, account.id);

    const contentType = message.headers?.get(H.contentType) ?? 'application/json';
    const format = loaded!.definition.webhook?.content_types[contentType] ?? 'json';
    let payload: unknown;
    try {
      payload = parseBody(format, message.data);
    } catch (error) {
      return deadLetter(message, span, 'SWY_ERR_BODY_UNPARSABLE', `${contentType} body does not parse as ${format}: ${(error as Error).message}`, mapping);
    }
    const kept: Record<string, string> = {};
    for (const [key, value] of copyHeaders(message.headers)) if (key.startsWith(H.keptPrefix)) kept[key.slice(H.keptPrefix.length)] = value;

    let envelopes: EventEnvelope[] | undefined;
    for (;;) {
      try {
        // A tenant's own expression runs in the sandbox (hard deadline, off this event loop); ours run here.
        const evaluator = mapping.tenantWritten ? ctx.sandbox.mappings(account.environment_id) : ctx.engine;
        envelopes = await normalize(evaluator, mapping, {
          provider: slug,
          account,
          eventKey: message.headers?.get(H.eventKey) || `raw:${message.seq}`,
          receivedAt: message.headers?.get(H.receivedAt) || new Date(message.info.timestampNanos / 1e6).toISOString(),
          origin,
          payload,
          headers: kept,
        });
        break;
      } catch (error) {
        const coded = error instanceof SwitchyardError ? error : new SwitchyardError('SWY_ERR_MAPPING_FAILED', String(error));
        if (coded.code !== 'SWY_ERR_MAPPING_BUSY') return deadLetter(message, span, coded.code, coded.message, mapping);
        // The environment's sandbox queue is full: its own backlog, not a bad delivery. Try again later —
        // in place when later deliveries of this account wait on this one's order (only they wait).
        ctx.logger.warn({ provider: slug, account: accountId, code: coded.code, rawSeq: message.seq }, 'tenant mapping busy; delivery retried later');
        if (!ticket || closing) {
          message.nak(1_000);
          return;
        }
        await hold(1_000);
      }
    }
    envelopes.forEach((envelope, i) => (envelope.sequence = message.seq * SEQUENCE_STRIDE + Math.min(i, SEQUENCE_STRIDE - 1)));
    span.set('switchyard.events', envelopes.length);
    await ticket?.keys(envelopes.map(recordOrderKey));

    let enriched = await enrich(loaded!, account, envelopes, message.info.deliveryCount, trace);
    for (let tries = message.info.deliveryCount; enriched.kind === 'later'; ) {
      if (!ticket || closing) {
        message.nak(enriched.delayMs);
        return;
      }
      await hold(enriched.delayMs);
      enriched = await enrich(loaded!, account, envelopes, ++tries, trace);
    }
    for (const envelope of enriched.envelopes) {
      const subject = envelopeSubject(envelope);
      const h = natsHeaders();
      h.set(TASK_HEADERS.eventType, envelope.type);
      const publish = ctx.tracer.start('publish EVENTS', 'producer', trace);
      if (publish.recording) describePublish(publish, subject, envelope);
      writeTrace(h, publish.context ?? trace);
      try {
        for (;;) {
          try {
            await publishDurable(ctx.bus.js, subject, JSON.stringify(envelope), { msgID: envelope.id, headers: h }, options.publishTimeoutMs);
            break;
          } catch (error) {
            // Unordered, or shutting down: nak (via the consumer) and let JetStream bring it back.
            if (!ticket || closing || !(error instanceof SwitchyardError) || error.code !== 'SWY_ERR_BUS_UNAVAILABLE') throw error;
            ctx.logger.warn({ provider: slug, account: accountId, rawSeq: message.seq, code: error.code }, 'event not confirmed by JetStream; retrying in place to keep its record in order');
          }
        }
      } catch (error) {
        publish.fail(error instanceof SwitchyardError ? error.code : 'error');
        throw error;
      } finally {
        publish.end();
      }
    }
    ctx.metrics.normalized.inc({ provider: slug, outcome: 'published' });
    message.ack();
  };

  const lanes = await startRawLanes(ctx, { concurrency: options.concurrency, handle, ...(options.lanes ?? {}) });
  return {
    close: async () => {
      closing = true;
      await lanes.close();
    },
  };
}

/** Messaging attributes of an event's publish (OTel semantic conventions) and its ids; never its data. */
function describePublish(span: TraceSpan, subject: string, envelope: EventEnvelope): void {
  span.set('messaging.system', 'nats');
  span.set('messaging.operation.type', 'send');
  span.set('messaging.operation.name', 'publish');
  span.set('messaging.destination.name', subject);
  span.set('messaging.message.id', envelope.id);
  span.set('switchyard.event_type', envelope.type);
  span.set('switchyard.environment_id', envelope.environment_id);
}

function copyHeaders(headers: MsgHdrs | undefined): Array<[string, string]> {
  if (!headers) return [];
  const out: Array<[string, string]> = [];
  for (const [key, values] of headers) if (!key.toLowerCase().startsWith('nats-')) out.push([key, values.join(', ')]);
  return out;
}
