import { headers as natsHeaders } from '@nats-io/transport-node';
import { rawSubject, type WebhookDefinition } from '@switchyard/contracts';
import { publishDeadLetter, publishDurable, RAW_HEADERS, writeTrace } from '@switchyard/bus';
import { SwitchyardError } from '@switchyard/contracts';
import { sha256Hex, type TraceContext } from '@switchyard/kernel';
import type { EdgeParts } from './parts.js';
import { ReplayKeys, verificationBoundsAge } from './replay.js';
import type { AccountRecord } from '@switchyard/stores';

/** A verified delivery for one account, ready for RAW. */
export interface VerifiedDelivery {
  slug: string;
  webhook: WebhookDefinition;
  account: AccountRecord;
  contentType: string;
  /** The bytes to keep: the request's own bytes, or one account's share of a split batch. */
  body: Buffer;
  /** The parsed form of `body`, when it parsed (for the delivery key). */
  payload: unknown;
  headers: Record<string, string | undefined>;
  /** `k/n` when this is one account's share of a batch split across n accounts. */
  split?: string | undefined;
  /** The request's trace (its server span, or the provider's traceparent): RAW carries it on. */
  trace?: TraceContext | undefined;
}

/**
 * Publishes a verified delivery to `raw.<provider>.<account>` and resolves once JetStream acknowledged
 * it. The provider's delivery key (the definition's `event_key`) becomes the message id, so a provider
 * retry is a duplicate, not a second event; for providers whose verification bounds no age the key is
 * also kept for RAW's retention ({@link ReplayKeys}), so a late replay is a duplicate too. Throws `SWY_ERR_BUS_UNAVAILABLE` when NATS stays unavailable.
 * The publish is a `publish RAW` producer span (tracing on) whose context the message carries.
 */
export async function publishRaw(ctx: EdgeParts, delivery: VerifiedDelivery, publishTimeoutMs: number): Promise<{ duplicate: boolean }> {
  const { slug, webhook, account, headers } = delivery;
  const bodySha = sha256Hex(delivery.body);
  let eventKey = bodySha;
  if (webhook.event_key !== 'body_sha256' && delivery.payload !== undefined) {
    const key = await ctx.engine
      .evaluate(`${slug}/provider.json#webhook.event_key`, webhook.event_key, { headers, payload: delivery.payload, body_sha256: bodySha })
      .catch(() => undefined);
    if (typeof key === 'string' || typeof key === 'number') eventKey = String(key);
  }
  const msgID = `${account.id}:${sha256Hex(eventKey).slice(0, 40)}`;
  // Without a signed timestamp a captured delivery verifies forever: keys outlive JetStream's 1 h window.
  const replay = verificationBoundsAge(webhook) ? undefined : new ReplayKeys(ctx.bus.kv.replay_keys);
  if (replay && (await replay.seen(msgID))) return { duplicate: true };
  const receivedAt = new Date().toISOString();
  const raw = natsHeaders();
  raw.set(RAW_HEADERS.provider, slug);
  raw.set(RAW_HEADERS.account, account.id);
  raw.set(RAW_HEADERS.environment, account.environment_id);
  raw.set(RAW_HEADERS.receivedAt, receivedAt);
  raw.set(RAW_HEADERS.contentType, delivery.contentType);
  raw.set(RAW_HEADERS.eventKey, eventKey);
  raw.set(RAW_HEADERS.origin, 'webhook');
  if (delivery.split) raw.set(RAW_HEADERS.split, delivery.split);
  for (const name of webhook.keep_headers) {
    const value = headers[name.toLowerCase()];
    if (value !== undefined) raw.set(`${RAW_HEADERS.keptPrefix}${name.toLowerCase()}`, value);
  }
  const subject = rawSubject({ provider: slug, account: account.id });
  const span = ctx.tracer.start('publish RAW', 'producer', delivery.trace);
  if (span.recording) {
    span.set('messaging.system', 'nats');
    span.set('messaging.operation.type', 'send');
    span.set('messaging.operation.name', 'publish');
    span.set('messaging.destination.name', subject);
    span.set('messaging.message.id', msgID);
    span.set('switchyard.provider', slug);
    span.set('switchyard.account_id', account.id);
  }
  writeTrace(raw, span.context ?? delivery.trace);
  try {
    const ack = await publishDurable(ctx.bus.js, subject, delivery.body, { msgID, headers: raw }, publishTimeoutMs);
    await replay?.remember(msgID, receivedAt);
    if (ack.duplicate) span.set('switchyard.duplicate', true);
    return { duplicate: ack.duplicate };
  } catch (error) {
    span.fail(error instanceof SwitchyardError ? error.code : 'error');
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Keeps verified bytes the edge could not route (unparsable app-level batches, items of unknown
 * accounts) in DEAD with a coded error, so nothing verified is dropped and it can be replayed.
 */
export async function deadLetterAtEdge(
  ctx: EdgeParts,
  input: { slug: string; appId: string; contentType: string; body: Buffer; code: string; detail: string },
  publishTimeoutMs: number,
): Promise<void> {
  await publishDeadLetter(
    ctx.bus,
    {
      stage: 'edge',
      place: { provider: input.slug, app: input.appId },
      data: input.body,
      msgId: `edge:${input.appId}:${sha256Hex(input.body)}:${input.code}`,
      code: input.code,
      detail: input.detail,
      headers: [
        [RAW_HEADERS.provider, input.slug],
        [RAW_HEADERS.contentType, input.contentType],
        [RAW_HEADERS.receivedAt, new Date().toISOString()],
      ],
    },
    publishTimeoutMs,
  );
}
