import { z } from 'zod';
import { RegistrationCall } from './provider-registration.js';

/**
 * A provider event queue the subscriber drains (ADP Workforce Now's event-notification messages): one
 * message per `next` call until `empty` holds; each message is acknowledged with `ack` only after its
 * event is durable on JetStream, so the head of the queue is never lost (docs/polling.md).
 */
export const QueueSource = z.object({
  type: z.literal('queue'),
  /** The call that returns the message at the head of the queue. */
  next: RegistrationCall,
  /** JSONata over `{status, headers, body}`: true when the queue is empty (ADP: `status = 204`). */
  empty: z.string().min(1),
  /** JSONata over `{status, headers, body}`: the id `ack` needs (`{id}` in its path). */
  message_id: z.string().min(1),
  /** JSONata over `{status, headers, body}`: the change's identity, for dedupe (the provider's event id). */
  event_key: z.string().min(1),
  /** The call that removes the head (after the publish). */
  ack: RegistrationCall,
  /** Messages taken per account and run, so one busy account does not hold the poller. */
  max_per_run: z.number().int().min(1).max(10_000).default(50),
});
export type QueueSource = z.infer<typeof QueueSource>;

/**
 * A "what changed since" list (SuccessFactors OData v2 `lastModifiedDateTime gt datetimeoffset'…'`):
 * each run reads `(cursor − overlap_s, now]` page by page; a record whose fingerprint (SHA-256 of the
 * provider's record, kept per remote id in `poll_fingerprints`) is new is `created`, a changed one
 * `updated`, an unchanged one (the overlap re-read) nothing. The cursor advances only after every
 * record of the run is durable on RAW (docs/polling.md).
 */
export const ModifiedSinceSource = z.object({
  type: z.literal('modified_since'),
  /** The list call; `query` is JSONata over `{since, until, top, skip, account}` (ISO times). */
  list: RegistrationCall,
  /** JSONata over `{status, headers, body}`: the page's records (none → the last page). */
  records: z.string().min(1),
  /** JSONata over one record: its provider id. */
  remote_id: z.string().min(1),
  /** JSONata over one record: its change version (the modification time), part of the event key. */
  version: z.string().min(1),
  /** Seconds re-read before the cursor each run (clock skew, late commits); fingerprints drop the repeats. */
  overlap_s: z.number().int().min(0).default(300),
  page_size: z.number().int().min(1).max(10_000).default(100),
});
export type ModifiedSinceSource = z.infer<typeof ModifiedSinceSource>;

/** Where a polled resource's changes come from. More source types join this union, never service code. */
export const PollSource = z.discriminatedUnion('type', [QueueSource, ModifiedSinceSource]);
export type PollSource = z.infer<typeof PollSource>;

/** How one resource is polled. */
export const PolledResource = z.object({
  /** Seconds between runs, per account (the operator's `SWITCHYARD_POLL_INTERVAL_MS` caps it). */
  interval_s: z.number().int().min(1).default(60),
  source: PollSource,
});
export type PolledResource = z.infer<typeof PolledResource>;

/**
 * Reconciliation of a resource the provider pushes (docs/polling.md#reconciliation): every `interval_s`
 * the hub walks the provider's declared unified list (`api.resources.<resource>.list`: its pagination,
 * auth and rate-limit governor) and compares each record's fingerprint (SHA-256 of the unified record)
 * with the one the normalizer recorded when a webhook's enrichment fetched it. A record changed without
 * a webhook becomes a normal event with `origin: reconcile`. The first walk of an account only records
 * the fingerprints (a baseline: nothing is reported missed before the hub watched). Opt-in per account
 * (`config.reconcile: true`): nobody pays provider calls they did not ask for.
 */
export const ReconciledResource = z.object({
  /** Seconds between walks, per account (low frequency: a walk reads the whole list). */
  interval_s: z.number().int().min(60).default(3600),
  /** Records per list call. */
  page_size: z.number().int().min(1).max(1000).default(100),
  /**
   * Pass `updated_after` (the previous walk's start minus `overlap_s`) to the list, for providers whose
   * list filters by modification time; false walks everything (deletes are not detected either way).
   */
  updated_after: z.boolean().default(false),
  overlap_s: z.number().int().min(0).default(300),
});
export type ReconciledResource = z.infer<typeof ReconciledResource>;

/**
 * A definition's `polling` section: resources whose changes the hub fetches instead of receiving
 * (docs/polling.md). What a poll fetches goes to RAW with `origin: poll` and through `mapping` (the
 * webhook mapping when unset: one mapping, one mapping version, for both shapes of a change).
 */
export const ProviderPolling = z.object({
  /** The JSONata file (in the provider folder) that turns one polled payload into events. */
  mapping: z.string().regex(/^[\w.-]+\.jsonata$/).optional(),
  /** Keyed by unified resource (`hris/employees`). */
  resources: z.record(z.string().regex(/^[a-z]+\/[a-z-]+$/), PolledResource),
  /**
   * Pushed resources to reconcile (keyed by unified resource, which must not also be in `resources`);
   * the events go through the webhook mapping as `{reconcile: {resource, action, record}}`.
   */
  reconcile: z.record(z.string().regex(/^[a-z]+\/[a-z-]+$/), ReconciledResource).optional(),
  notes: z.array(z.string()).default([]),
});
export type ProviderPolling = z.infer<typeof ProviderPolling>;
