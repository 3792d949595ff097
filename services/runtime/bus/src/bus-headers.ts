/**
 * Header names of the messages services exchange over the bus: the contract between the edge (RAW
 * writer), the normalizer (RAW reader, DEAD writer) and delivery (DELIVERIES, DEAD). One place, so a
 * rename cannot leave a reader behind.
 */
export const RAW_HEADERS = {
  provider: 'swy-provider',
  account: 'swy-account',
  environment: 'swy-environment',
  receivedAt: 'swy-received-at',
  contentType: 'swy-content-type',
  /** The provider's delivery key (what `Nats-Msg-Id` dedupes on), used in deterministic event ids. */
  eventKey: 'swy-event-key',
  origin: 'swy-origin',
  /** `1` on a payload a poll fetched (docs/polling.md): it runs the poll mapping, replayed or not. */
  polled: 'swy-polled',
  /** `k/n` on one account's share of an app-level batch split across n accounts. */
  split: 'swy-split',
  /** Prefix for provider headers a definition keeps (`keep_headers`). */
  keptPrefix: 'swy-h-',
} as const;

/** Headers added to every dead letter. */
export const DEAD_HEADERS = {
  stage: 'swy-stage',
  code: 'swy-error-code',
  message: 'swy-error-message',
  rawSeq: 'swy-raw-seq',
  mappingVersion: 'swy-mapping-version',
  /** Which override revisions shaped the mapping: `environment=12,account=-`. */
  mappingRevisions: 'swy-mapping-revisions',
} as const;

/** Headers on a delivery task and on events. */
export const TASK_HEADERS = {
  /** One delivery task: the original fan-out, a resend and a recovery of the same event are three tasks. */
  taskId: 'swy-task',
  /** The event's sequence in EVENTS, so the event can be found again by id (resend). */
  eventSeq: 'swy-event-seq',
  eventId: 'swy-event-id',
  subscription: 'swy-subscription',
  eventType: 'swy-event-type',
  /** On attempt records: delivered, failed or dead. */
  outcome: 'swy-outcome',
  /** On a task in the retry lane: attempts made so far. */
  attempts: 'swy-attempts',
  /** On a task in the retry lane: when it is due, in ms since the epoch. */
  notBefore: 'swy-not-before',
  /** On a task of an ordered subscription: its record's order key and the event's `sequence` (docs/ordering.md). */
  record: 'swy-record',
  sequence: 'swy-sequence',
} as const;
