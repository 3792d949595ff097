import { z } from 'zod';
import { ACTIONS, EventType, OperationalEventType } from './event-type.js';

/** Where an event came from. */
export const EventOrigin = z.enum(['webhook', 'poll', 'reconcile', 'replay']);
export type EventOrigin = z.infer<typeof EventOrigin>;

/**
 * The one envelope of every normalized event (DESIGN §5). Delivered as the body of customer webhooks
 * and published on `events.<environment>.<category>.<resource>.<action>`.
 */
export const EventEnvelope = z.object({
  /** Deterministic: the same provider delivery, retried or replayed, yields the same id. */
  id: z.string().regex(/^evt_[A-Za-z0-9]+$/),
  type: EventType,
  /** When the change happened at the provider if it says so, else when the hub received it (ISO 8601). */
  timestamp: z.string().datetime({ offset: true }),
  environment_id: z.string(),
  integrated_account_id: z.string(),
  provider: z.string(),
  category: z.string(),
  resource: z.string(),
  action: z.enum(ACTIONS),
  record_id: z.string().min(1),
  origin: EventOrigin,
  mapping_version: z.string(),
  /**
   * The event's place among the events of its record (account, resource, record_id), in the order the hub
   * took them in: a later change has a higher number (not consecutive). Absent on events published by
   * versions before it existed. docs/ordering.md.
   */
  sequence: z.number().int().nonnegative().optional(),
  data: z.record(z.string(), z.unknown()),
  remote_data: z.unknown().optional(),
  /**
   * For thin webhooks: the full record must be fetched from the provider. `pending` until the request
   * service's enrichment runs; consumers can fetch `GET /unified/{category}/{resource}/{remote_id}` meanwhile.
   */
  enrichment: z.object({ status: z.enum(['pending', 'done', 'failed']), resource: z.string(), remote_id: z.string() }).optional(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/**
 * What a webhook mapping returns for each record: the normalizer turns each into an envelope.
 * `type` decides category, resource and action; `data` must satisfy the unified model.
 */
export const MappedEvent = z.object({
  type: EventType,
  record_id: z.union([z.string().min(1), z.number()]).transform(String),
  occurred_at: z.string().optional(),
  /**
   * The provider's own id for this item when a batch carries several (HubSpot `eventId`): it replaces
   * the delivery's key in the event id, so two changes to one record in one batch stay two events.
   */
  event_key: z.union([z.string().min(1), z.number()]).transform(String).optional(),
  data: z.record(z.string(), z.unknown()),
  remote_data: z.unknown().optional(),
  /** Declared by thin payloads: the record to fetch (defaults: the event's resource and remote id). */
  enrich: z.union([z.literal(true), z.object({ resource: z.string().optional(), remote_id: z.union([z.string(), z.number()]).transform(String).optional() })]).optional(),
});
export type MappedEvent = z.infer<typeof MappedEvent>;

/**
 * An event about the hub itself (an endpoint disabled, a message that exhausted its attempts, an
 * account connected). Delivered exactly like record events, to subscriptions that ask for its type.
 */
export const OperationalEvent = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9]+$/),
  type: OperationalEventType,
  timestamp: z.string().datetime({ offset: true }),
  environment_id: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type OperationalEvent = z.infer<typeof OperationalEvent>;

/**
 * What per-record order is kept by (docs/ordering.md): the record's account, category/resource and id.
 * Events with the same key reach an ordered subscription in `sequence` order.
 */
export function recordOrderKey(envelope: Pick<EventEnvelope, 'integrated_account_id' | 'category' | 'resource' | 'record_id'>): string {
  return `${envelope.integrated_account_id}:${envelope.category}/${envelope.resource}:${envelope.record_id}`;
}
