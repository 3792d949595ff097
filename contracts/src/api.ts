import { z } from 'zod';
import { EventTypePattern } from './event-type.js';

/** `POST /v1/environments` */
export const CreateEnvironment = z.object({ name: z.string().min(1).max(200) }).strict();

/** Stored environment. */
export const Environment = z.object({ id: z.string(), name: z.string(), created_at: z.string() });
export type Environment = z.infer<typeof Environment>;

/**
 * `POST /v1/environments/{id}/api-keys`: issue another key. Without `expire_others_in_seconds` the
 * existing keys stay valid until revoked; with it they stop working after that grace period (0 = now).
 */
export const CreateApiKey = z.object({ expire_others_in_seconds: z.number().int().min(0).max(30 * 86_400).optional() }).strict();

/** An API key as the API shows it: id and display prefix only, never the key or its hash. */
export const ApiKeyView = z.object({ id: z.string(), prefix: z.string(), created_at: z.string(), expires_at: z.string().optional() });
export type ApiKeyView = z.infer<typeof ApiKeyView>;

const Secrets = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(5)]);

/** A provider app's secrets: one value, or several during a rotation (any one verifies). */
const AppSecret = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(5)]);

/**
 * `POST /v1/provider-apps`: an environment's OAuth / webhook app at a provider (HubSpot's app signs
 * webhooks with its client secret). Secrets are encrypted and never returned.
 */
export const CreateProviderApp = z
  .object({
    provider: z.string().min(1),
    client_id: z.string().min(1).optional(),
    client_secret: AppSecret.optional(),
    webhook_secret: AppSecret.optional(),
    /**
     * Credentials the hub calls the provider with on the app's behalf (HubSpot's developer API key, for
     * app-level webhook registration), by name; sealed, never returned. A PATCH replaces the whole set.
     */
    credentials: z.record(z.string().min(1), z.string().min(1)).optional(),
    scopes: z.array(z.string().min(1)).max(100).default([]),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** `PATCH /v1/provider-apps/{id}` */
export const UpdateProviderApp = z
  .object({
    client_id: z.string().min(1).nullable().optional(),
    client_secret: AppSecret.optional(),
    webhook_secret: AppSecret.optional(),
    /**
     * Credentials the hub calls the provider with on the app's behalf (HubSpot's developer API key, for
     * app-level webhook registration), by name; sealed, never returned. A PATCH replaces the whole set.
     */
    credentials: z.record(z.string().min(1), z.string().min(1)).optional(),
    scopes: z.array(z.string().min(1)).max(100).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** A provider app as the API shows it: which secrets are set, never their values. */
export const ProviderAppView = z.object({
  id: z.string(),
  provider: z.string(),
  client_id: z.string().nullable(),
  scopes: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  has_client_secret: z.boolean(),
  has_webhook_secret: z.boolean(),
  /** The names of the app's sealed `credentials` (never their values). */
  credential_names: z.array(z.string()),
  /** Where the provider sends app-level webhooks, when the provider routes them (`app_routing`). */
  webhook_url: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ProviderAppView = z.infer<typeof ProviderAppView>;

/** `POST /v1/integrated-accounts` */
export const CreateIntegratedAccount = z
  .object({
    provider: z.string().min(1),
    /** The provider app the account was connected through; with `remote_key`, routes app-level webhooks. */
    provider_app_id: z.string().min(1).optional(),
    credentials: z.record(z.string(), z.unknown()).default({}),
    /** One secret, or several during a rotation (any one verifies). */
    webhook_secret: Secrets.optional(),
    remote_key: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).default({}),
    /** Register the hub's webhook at the provider at once (docs/registration.md); the answer carries its state. */
    register_webhooks: z.boolean().default(false),
  })
  .strict();

/** `PATCH /v1/integrated-accounts/{id}` */
export const UpdateIntegratedAccount = z
  .object({
    status: z.enum(['active', 'disabled']).optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
    webhook_secret: Secrets.optional(),
    remote_key: z.string().min(1).nullable().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** Opens an account's verification window: the provider's token POST is captured only while it is open. */
export const OpenVerification = z.object({ minutes: z.number().int().min(1).max(60).optional() }).strict();

/** Confirms the pending token with the value the customer sees at the provider (Gusto's dashboard or API). */
export const ConfirmVerification = z.object({ token: z.string().min(1).max(512) }).strict();

/** An integrated account as the API shows it: never credentials nor secrets. */
export const IntegratedAccountView = z.object({
  id: z.string(),
  provider: z.string(),
  status: z.enum(['active', 'disabled', 'needs_reauth']),
  webhook_url: z.string().nullable(),
  provider_app_id: z.string().nullable(),
  remote_key: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  has_webhook_secret: z.boolean(),
  /**
   * The secret-capture window (Gusto's verification token): open until `open_until`; `token_pending`
   * once the provider POSTed a token, which becomes the webhook secret only when confirmed.
   */
  verification: z.object({ open_until: z.string().nullable(), token_pending: z.boolean() }),
  created_at: z.string(),
  updated_at: z.string(),
  /** Only in the answer to a create with `register_webhooks: true`: the registration's state (a view as `GET …/webhook-registration`). */
  webhook_registration: z.lazy(() => WebhookRegistrationView).optional(),
});
export type IntegratedAccountView = z.infer<typeof IntegratedAccountView>;

/**
 * Headers a subscription may not set: the signature contract and the transport are ours. Compared
 * lower-case.
 */
export const RESERVED_DELIVERY_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'user-agent',
  'host',
  'connection',
  'transfer-encoding',
] as const;

const DeliveryHeaders = z
  .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'header names are letters, digits and dashes'), z.string().max(1024).regex(/^[^\r\n]*$/, 'no line breaks'))
  .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers')
  .refine((h) => Object.keys(h).every((name) => !(RESERVED_DELIVERY_HEADERS as readonly string[]).includes(name.toLowerCase())), {
    message: `these headers are set by Switchyard: ${RESERVED_DELIVERY_HEADERS.join(', ')}`,
  });

/** A JSONata expression over the envelope; the event is delivered when it is truthy. */
const Filter = z.string().min(1).max(4000);

/** Deliveries per second to the endpoint (per delivery process). */
const RateLimit = z.number().positive().max(10_000);

/**
 * Delivery order: `none` (default) delivers in parallel; `record` delivers the events of one record
 * (account, resource, record id) in the order the hub took them in, a failing event holding back only the
 * later events of its own record (docs/ordering.md). Chosen at creation: fan-out splits subscriptions
 * by it, and a change while events are in flight could hand an event to neither side.
 */
export const Ordering = z.enum(['none', 'record']);
export type Ordering = z.infer<typeof Ordering>;

/** Signature key type: Standard Webhooks v1 (HMAC-SHA256, `whsec_`) or v1a (ed25519, `whpk_` public key). */
export const KeyType = z.enum(['hmac-sha256', 'ed25519']);

/** `POST /v1/subscriptions` */
export const CreateSubscription = z
  .object({
    url: z.string().url(),
    event_types: z.array(EventTypePattern).min(1).max(100),
    filter: Filter.optional(),
    description: z.string().max(1000).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    headers: DeliveryHeaders.optional(),
    rate_limit: RateLimit.optional(),
    ordering: Ordering.default('none'),
    key_type: KeyType.default('hmac-sha256'),
  })
  .strict();

/** `PATCH /v1/subscriptions/{id}`: `null` clears an optional field. */
export const UpdateSubscription = z
  .object({
    url: z.string().url().optional(),
    event_types: z.array(EventTypePattern).min(1).max(100).optional(),
    filter: Filter.nullable().optional(),
    description: z.string().max(1000).nullable().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    headers: DeliveryHeaders.optional(),
    rate_limit: RateLimit.nullable().optional(),
  })
  .strict();

/** `POST /v1/subscriptions/{id}/recover` */
export const RecoverSubscription = z.object({ since: z.string().datetime({ offset: true }) }).strict();

/** `POST /v1/events/{id}/resend` */
export const ResendEvent = z.object({ subscription_id: z.string().optional() }).strict();

/** `active` delivers; `paused` holds deliveries until resumed; `disabled` (by the hub) dead-letters them. */
export const SubscriptionStatus = z.enum(['active', 'paused', 'disabled']);

/** A subscription as the API shows it (secrets only once: at creation and at rotation). */
export const SubscriptionView = z.object({
  id: z.string(),
  url: z.string(),
  event_types: z.array(z.string()),
  filter: z.string().nullable(),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  headers: z.record(z.string(), z.string()),
  rate_limit: z.number().nullable(),
  ordering: Ordering,
  key_type: KeyType,
  status: SubscriptionStatus,
  /** Why the hub disabled it: `endpoint_gone` (HTTP 410) or `failing` (failing continuously too long). */
  disabled_reason: z.enum(['endpoint_gone', 'failing']).nullable(),
  /** Since when every attempt has failed, if the last one did. */
  failing_since: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;

/**
 * One delivery attempt as recorded in ATTEMPTS and returned by the attempts routes. Never the request
 * body, never headers or secrets; at most the first 256 bytes of the endpoint's response.
 */
export const DeliveryAttempt = z.object({
  environment_id: z.string(),
  subscription_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  /** The delivery task: the original fan-out, a resend and a recovery are distinct tasks. */
  task_id: z.string(),
  /** The event's sequence in EVENTS (null for test events), so the event can be found by id. */
  event_seq: z.number().int().nullable(),
  /** 1 for the first attempt of this task. */
  attempt: z.number().int().positive(),
  /** HTTP status, 0 when no response arrived. */
  status: z.number().int(),
  outcome: z.enum(['delivered', 'failed', 'dead']),
  latency_ms: z.number(),
  /** Why no response arrived: timeout, connection, dns, tls, egress_denied, error. */
  error_class: z.string().nullable(),
  response_excerpt: z.string().nullable(),
  /** Delay before the next attempt, when there is one. */
  next_attempt_in_ms: z.number().nullable(),
  at: z.string(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

/**
 * `PUT /v1/integrated-accounts/{id}/webhook-registration`: ensure the hub's webhook at the provider
 * (idempotent). `event_types` narrows the subscribed provider events to those whose unified types match
 * one of these patterns; without it every event the mapping handles is subscribed.
 */
export const EnsureWebhookRegistration = z.object({ event_types: z.array(EventTypePattern).min(1).max(100).optional() }).strict();

/** A registration's state: see docs/registration.md for what each one means and what to do. */
export const REGISTRATION_STATES = ['registered', 'pending_verification', 'expiring', 'failed', 'manual'] as const;

/** The last failure of a registration call: its code and what went wrong, never a body or secret. */
export const RegistrationError = z.object({ code: z.string(), detail: z.string(), at: z.string(), provider_status: z.number().int().nullable() });

/** `GET /v1/integrated-accounts/{id}/webhook-registration` */
export const WebhookRegistrationView = z.object({
  /** The account it belongs to; null for a registration made once per provider app (`scope: app`). */
  integrated_account_id: z.string().nullable(),
  /** The provider app of an app-level registration, else null. */
  provider_app_id: z.string().nullable(),
  provider: z.string(),
  mode: z.enum(['api', 'manual']),
  state: z.enum(REGISTRATION_STATES),
  webhook_url: z.string(),
  /** The provider's id of the webhook / subscription / channel. */
  provider_ids: z.array(z.string()),
  /** The provider event names subscribed to. */
  subscribed_events: z.array(z.string()),
  expires_at: z.string().nullable(),
  last_renewed_at: z.string().nullable(),
  next_check_at: z.string().nullable(),
  last_error: RegistrationError.nullable(),
  /** `manual` only: what to do at the provider, and where the verification secret comes from. */
  manual: z.object({ steps: z.array(z.string()), secret_from: z.enum(['provider', 'app', 'none']) }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type WebhookRegistrationView = z.infer<typeof WebhookRegistrationView>;

/** One polled resource of an account (`GET /v1/integrated-accounts/{id}/polling`, docs/polling.md). */
export const PollStateView = z.object({
  resource: z.string(),
  /** `reconcile`: a walk of a pushed resource's list that finds changes no webhook announced. */
  source: z.enum(['queue', 'modified_since', 'reconcile']),
  /** Null until the first run. */
  last_run_at: z.string().nullable(),
  next_poll_at: z.string().nullable(),
  /** Modified-since sources: changes up to this time are on JetStream. Null for queues. */
  cursor: z.string().nullable(),
  /** Seconds between now and the cursor (modified-since) or the last successful run; null before one. */
  lag_seconds: z.number().nullable(),
  /** Events published to RAW so far. */
  events_emitted: z.number().int(),
  /** A queue message published but not yet acknowledged at the provider (acknowledged on the next run). */
  pending_ack: z.boolean(),
  last_error: RegistrationError.nullable(),
  /** Paused by the operator (`POST …/polling/pause`): no run until resumed, on any replica, across restarts. */
  paused: z.boolean(),
  /** A `poll-now` the poller has not started yet. */
  poll_requested_at: z.string().nullable(),
  /** A run in progress (a first backfill): records and pages so far. */
  progress: z.object({ records: z.number().int(), pages: z.number().int(), at: z.string() }).nullable(),
  /** Reconcile walks: changes found that no webhook announced (each emitted with `origin: reconcile`). */
  missed: z.object({ last_run: z.number().int(), total: z.number().int(), last_at: z.string().nullable() }).nullable(),
});
export type PollStateView = z.infer<typeof PollStateView>;

/** Every polled resource of an account. */
export const PollingView = z.object({ integrated_account_id: z.string(), provider: z.string(), resources: z.array(PollStateView) });
export type PollingView = z.infer<typeof PollingView>;

const ReplayToken = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _');

/** Which normalizer dead letters a replay takes (all of the environment's when empty). */
export const DeadLetterFilter = z
  .object({
    provider: ReplayToken.optional(),
    integrated_account_id: ReplayToken.optional(),
    code: z.string().regex(/^SWY_ERR_[A-Z_]+$/).optional(),
    since: z.string().datetime({ offset: true }).optional(),
    until: z.string().datetime({ offset: true }).optional(),
    /** Specific dead letters (`dl_<n>`). */
    ids: z.array(z.string().regex(/^dl_\d+$/)).max(10_000).optional(),
  })
  .strict();

/** `POST /v1/dead-letters/replay`: through the current mapping, the dead letters the filter takes. */
export const ReplayDeadLetters = z.object({ filter: DeadLetterFilter.default({}) }).strict();

/** `POST /v1/raw/replay`: stored raw deliveries received in a time range, optionally of one provider or account. */
export const ReplayRaw = z
  .object({ provider: ReplayToken.optional(), integrated_account_id: ReplayToken.optional(), since: z.string().datetime({ offset: true }), until: z.string().datetime({ offset: true }).optional() })
  .strict();
