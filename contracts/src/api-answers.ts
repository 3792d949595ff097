import { z } from 'zod';
import { EventEnvelope, OperationalEvent } from './envelope.js';
import { MappingOverride } from './mapping-document.js';
import { ApiKeyView, Environment, SubscriptionView } from './api.js';

// The answers of the customer API that are not a stored record's view: what a create reveals once,
// what an action reports. The OpenAPI document is generated from these, so a generated client keeps
// every field the hub sends (issue 17: the create-subscription answer's `secret` used to be forbidden).

/** `POST /v1/environments` (201): the environment and its first API key, shown only here. */
export const EnvironmentCreated = Environment.extend({ api_key: z.string() });

/** What `DELETE /v1/environments/{id}` removed, counted. */
export const EnvironmentDeleted = z.object({
  id: z.string(),
  deleted: z.object({
    integrated_accounts: z.number().int(),
    subscriptions: z.number().int(),
    provider_apps: z.number().int(),
    mapping_overrides: z.number().int(),
    purged_messages: z.number().int(),
  }),
});

/** `POST /v1/environments/{id}/api-keys` (201): the new key, shown only here. */
export const ApiKeyCreated = ApiKeyView.extend({ api_key: z.string() });

/** The signing credential a subscription reveals once: an HMAC secret (`whsec_…`) or an ed25519 public key (`whpk_…`). */
const RevealedCredential = { secret: z.string().optional(), public_key: z.string().optional() };

/** `POST /v1/subscriptions` (201): the subscription and its signing credential, shown only here. */
export const SubscriptionCreated = SubscriptionView.extend(RevealedCredential);

/** `POST /v1/subscriptions/{id}/rotate-secret`: the new credential, and until when the previous key still signs. */
export const SubscriptionRotated = SubscriptionView.extend({ ...RevealedCredential, previous_key_expires_at: z.string() });

/** `POST /v1/subscriptions/{id}/test` (202): the test event and its delivery task. */
export const TestEventSent = z.object({ event_id: z.string(), task_id: z.string() });

/** `POST /v1/subscriptions/{id}/recover`: dead-lettered deliveries queued again. */
export const Recovered = z.object({ subscription_id: z.string(), since: z.string(), recovered: z.number().int() });

/** `POST /v1/events/{id}/resend` (202): the event, its task id, and the subscriptions it goes to. */
export const EventResent = z.object({ event_id: z.string(), task_id: z.string(), subscription_ids: z.array(z.string()) });

/** A unified event or an operational one (`webhook/…`, `subscription/…`), as `GET /v1/events` lists them. */
export const AnyEvent = z.union([EventEnvelope, OperationalEvent]);

/** `GET /v1/events`: a page, and where a follower continues even when the page ends the stream. */
export const EventPage = z.object({ data: z.array(AnyEvent), next_cursor: z.string().nullable(), tail_cursor: z.string().nullable() });

/** A dead letter as listed (never its body). */
export const DeadLetter = z.object({
  id: z.string(),
  stage: z.string().nullable(),
  provider: z.string().nullable(),
  integrated_account_id: z.string().nullable(),
  code: z.string().nullable(),
  message: z.string().nullable(),
  mapping_version: z.string().nullable(),
  mapping_revisions: z.string().nullable(),
  raw_seq: z.number().int().nullable(),
  subscription_id: z.string().nullable(),
  event_id: z.string().nullable(),
  received_at: z.string().nullable(),
  dead_at: z.string(),
  size_bytes: z.number().int(),
});

/** A replay started by `POST /v1/dead-letters/replay` or `/v1/raw/replay`, and read by `GET /v1/replays/{id}`. */
export const ReplayJob = z.object({
  id: z.string(),
  environment_id: z.string(),
  kind: z.enum(['dead_letters', 'raw']),
  status: z.enum(['running', 'done', 'failed']),
  /** Messages examined that matched the filter so far. */
  matched: z.number().int(),
  /** Of those, put back on RAW for the normalizer. */
  republished: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  error: z.string().nullable(),
});
export type ReplayJob = z.infer<typeof ReplayJob>;

/** Revisions of the overrides in force at each level (null: none). */
const Revisions = z.object({ environment: z.number().int().nullable(), account: z.number().int().nullable() });

/** `GET /v1/mappings/{provider}?level=resolved` and the answer of a change: the mapping in force at a level. */
export const ResolvedMappingView = z.object({
  provider: z.string(),
  level: z.enum(['environment', 'account']),
  mapping_version: z.string().nullable(),
  revisions: Revisions,
  webhook: z.object({ mapping: z.string(), bindings: z.record(z.string(), z.unknown()) }).optional(),
  /** Per unified resource: its overridable expressions by operation, and its filters. */
  api: z.object({ resources: z.record(z.string(), z.record(z.string(), z.unknown())) }).optional(),
  /** The override's revision after a change or a rollback. */
  revision: z.number().int().optional(),
  /** The revision a rollback restored. */
  rolled_back_to: z.number().int().optional(),
});

/** `GET /v1/mappings/{provider}`: the override stored at the level alone, with its revision. */
export const MappingOverrideView = z.object({ provider: z.string(), revision: z.number().int() }).extend(MappingOverride.shape);

/** `GET /v1/mappings/{provider}/history`: every revision of the override, deletions included. */
export const MappingHistory = z.object({
  data: z.array(z.object({ revision: z.number().int(), operation: z.string(), created_at: z.string(), document: MappingOverride.nullable() })),
});

/** `POST /v1/mappings/preview`: the events the payload would produce; nothing is published. */
export const MappingPreviewAnswer = z.object({ mapping_version: z.string(), events: z.array(EventEnvelope) });

/** `POST /v1/mappings/preview/api`: what the expression made of the record; nothing is called. */
export const ApiMappingPreviewAnswer = z.object({ provider: z.string(), resource: z.string(), operation: z.string(), result: z.unknown() });

/** `GET /v1/connect/{provider}/authorize`: where to send the user, valid for `expires_in` seconds. */
export const ConnectAuthorization = z.object({ url: z.string(), expires_in: z.number().int() });

/** A webhook the edge stored (or recognised as already stored), for providers that expect no reply of their own. */
export const WebhookAccepted = z.object({ status: z.literal('accepted'), duplicate: z.boolean() });

/** `GET /healthz`. */
export const Health = z.object({ status: z.literal('ok') });

/** `GET /readyz`: 200 when NATS is connected, 503 otherwise, with the server's version. */
export const Readiness = z.object({ status: z.enum(['ready', 'unavailable']), nats: z.string() });
