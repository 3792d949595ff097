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
 * A provider fault inside an answer (a SOAP `Fault`, which comes with HTTP 500 whatever its cause).
 * Expressions are JSONata over `{status, headers, body}` (the body decoded as `answer` says). A fault
 * leaves the cursor where it was and is recorded as `SWY_ERR_POLL_PROVIDER_FAULT` — or
 * `SWY_ERR_PROVIDER_UNAUTHORIZED` when `unauthorized` holds (a refused WS-Security token).
 */
export const AnswerFault = z.object({
  /** The fault's code (SOAP `faultcode`) when the answer is a fault; nothing otherwise. */
  code: z.string().min(1),
  /** The fault's text (SOAP `faultstring`), shown shortened in the poll state's `last_error.detail`. */
  message: z.string().min(1).optional(),
  /** True when the fault means the credentials were refused. */
  unauthorized: z.string().min(1).optional(),
});
export type AnswerFault = z.infer<typeof AnswerFault>;

/**
 * A "what changed since" list (SuccessFactors OData v2 `lastModifiedDateTime gt datetimeoffset'…'`):
 * each run reads `(cursor − overlap_s, now]` page by page; a record whose fingerprint (SHA-256 of the
 * provider's record, kept per remote id in `poll_fingerprints`) is new is `created`, a changed one
 * `updated`, an unchanged one (the overlap re-read) nothing. The cursor advances only after every
 * record of the run is durable on RAW (docs/polling.md). SOAP sources (Workday `Get_Workers`) add a
 * text body, an XML answer, a fault and a page count.
 */
export const ModifiedSinceSource = z.object({
  type: z.literal('modified_since'),
  /**
   * The list call; `query` and `body` are JSONata over `{since, until, top, skip, page, account}` (ISO
   * times; `page` counts from 1). A SOAP source builds its envelope in `body` (`body_format: text`).
   */
  list: RegistrationCall,
  /**
   * How the answer's body is read: `json` (default), or `xml`: parsed to JSON with namespace prefixes
   * stripped from element and attribute names, attributes as `@_<name>`, an element's text as `#text`
   * when it has attributes, every value a string (ids keep their leading zeros). An answer that is not
   * well-formed XML, or declares a DOCTYPE, is `SWY_ERR_POLL_ANSWER_INVALID`.
   */
  answer: z.enum(['json', 'xml']).optional(),
  /** A fault the provider reports inside its answer (SOAP). */
  fault: AnswerFault.optional(),
  /**
   * JSONata over `{status, headers, body}`: the window's page count (Workday `Response_Results/Total_Pages`);
   * the run stops after that page. Without it, a page shorter than `page_size` is the last.
   */
  pages: z.string().min(1).optional(),
  /** JSONata over `{status, headers, body}`: the page's records (none → the last page). */
  records: z.string().min(1),
  /** JSONata over one record: its provider id. */
  remote_id: z.string().min(1),
  /** JSONata over one record: its change version (the modification time), part of the event key. */
  version: z.string().min(1),
  /**
   * JSONata over one record: what its fingerprint hashes (default: the whole record). Leave out parts
   * that change without the record changing (Workday's transaction log entries, which follow the window).
   */
  fingerprint: z.string().min(1).optional(),
  /** Seconds re-read before the cursor each run (clock skew, late commits); fingerprints drop the repeats. */
  overlap_s: z.number().int().min(0).default(300),
  /**
   * Seconds the window's end stays behind the hub's clock (default 0), for providers that refuse a
   * window ending after their own current moment (Workday: "Updated Through must be less than or equal
   * to Current Moment!") when the hub's clock runs slightly ahead. Changes arrive that much later.
   */
  lag_s: z.number().int().min(0).max(3_600).optional(),
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
