import { z } from 'zod';
import { EventType } from './event-type.js';
import { ApiAuth } from './provider-api.js';

/**
 * One call the hub makes to a provider to manage its webhook, over the definition's `api` (base URL,
 * auth, rate limits). `path` takes `{id}` (the provider's id of the registration) and `{config.<key>}`.
 * `query` and `body` are JSONata over the registration scope:
 * `{account: {id, config}, webhook_url, events, secret, remote, expires_at, token}` — `events` are the
 * provider's event names to subscribe to (`event` the one of a `per_event` part), `secret` is what the
 * hub generated (see `secret`; on renew the stored webhook secret), `remote` is
 * what was kept from earlier answers, `expires_at` the ISO time the hub asks for, `token` a verification
 * token the provider sent (Gusto).
 */
export const RegistrationCall = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  path: z.string().min(1),
  query: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  /**
   * `json` (default): the body's JSONata result is sent as JSON. `text`: it must give a string, sent as
   * is with the `Content-Type` the call's `headers` declare (`text/xml` when they declare none) — a
   * SOAP envelope built by the template (docs/polling.md).
   */
  body_format: z.enum(['json', 'text']).optional(),
  /**
   * Account credentials the body's JSONata sees as `credentials.<name>`, for providers that
   * authenticate inside the body (a SOAP WS-Security `UsernameToken`). Opt-in per call and per name;
   * bodies are never logged. Every other call's scope holds no credential.
   */
  body_credentials: z.array(z.string().min(1)).optional(),
});
export type RegistrationCall = z.infer<typeof RegistrationCall>;

/**
 * One provider event the hub can subscribe to, and the unified types the mapping makes of it. Which
 * events a registration asks for is derived from these: every one, or (per account, `event_types` on
 * `PUT …/webhook-registration`) those yielding a type the account's patterns match.
 */
export const RegistrationEvent = z.object({
  name: z.string().min(1),
  yields: z.array(EventType).min(1),
});

/**
 * What to keep from the provider's answer to `create` (JSONata over `{body, headers}`): `id` is the
 * provider's id of the registration (`{id}` in later paths); `secret`, when the provider generates the
 * verification secret (BambooHR's `privateKey`, returned exactly once), becomes the account's webhook
 * secret, sealed; `expires_at` reads the expiry the provider granted (Graph's `expirationDateTime`).
 */
export const RegistrationAnswer = z.object({
  id: z.string().min(1),
  secret: z.string().optional(),
  expires_at: z.string().optional(),
});

/**
 * A secret the hub generates before `create` and hands the provider (Graph's `clientState`, Zoho's
 * `token`, Pipedrive's basic-auth pair, Dataverse's `authvalue`). `bytes` of randomness, encoded;
 * `as` (JSONata over `{random}`) shapes the stored webhook secret, e.g. `'swy:' & random` for a
 * `user:password` pair. Limits the provider documents (Zoho: ≤ 50 characters) are checked at load.
 */
export const GeneratedSecret = z.object({
  bytes: z.number().int().min(16).max(64).default(24),
  encoding: z.enum(['hex', 'base64url']).default('base64url'),
  as: z.string().default('random'),
  max_length: z.number().int().positive().optional(),
});

/**
 * How long a registration lives at the provider and when the hub renews it. `lifetime_minutes` is what
 * the hub asks for (capped by `SWITCHYARD_REGISTRATION_MAX_LIFETIME_S` for tests and cautious
 * operators), the provider's answer may grant less (`answer.expires_at`); renewal starts
 * `renew_ahead_fraction` of the lifetime before expiry, so a failed renewal is visible long before.
 */
export const RegistrationExpiry = z.object({
  lifetime_minutes: z.number().positive(),
  renew_ahead_fraction: z.number().gt(0).lt(1).default(0.25),
});

/**
 * A step after `create` before events flow: the provider POSTs a verification token to the webhook URL
 * (captured by the edge's `capture_secret` handshake while the hub holds the window open), and the hub
 * hands it back with `call` (Gusto: `PUT /v1/webhook_subscriptions/{id}/verify`). A 2xx makes the token
 * the account's webhook secret. `resend`, when declared, asks the provider to send the token again.
 */
export const RegistrationVerification = z.object({
  call: RegistrationCall,
  resend: RegistrationCall.optional(),
  /** How long to wait for the token before asking again (or failing), in seconds. */
  wait_s: z.number().int().positive().default(300),
});

/**
 * Registration calls that authenticate otherwise than the account's API calls (Gusto's webhook
 * subscriptions take the organization's system access token, not the company's OAuth token): `scheme`
 * as in `api.auth` (static schemes only; tokens are not refreshed here), `credentials` naming, for each
 * credential the scheme reads, the account credential that holds it (`{"api_key": "system_access_token"}`).
 */
export const RegistrationAuth = z.object({
  scheme: ApiAuth.refine((auth) => auth.type !== 'oauth2' || auth.token_url === undefined, 'a registration auth is not refreshed: leave out token_url'),
  credentials: z.record(z.string(), z.string()).default({}),
});
export type RegistrationAuth = z.infer<typeof RegistrationAuth>;

/**
 * Lifecycle notices the provider sends to the webhook URL about the registration itself (Graph's
 * `reauthorizationRequired`, `subscriptionRemoved`, `missed`). `items` is JSONata over `{payload}` of a
 * verified delivery giving `[{id, event}]`, `event` one of `reauthorize` (call `reauthorize`, or renew
 * when it is not declared), `removed` (create the registration again) or `missed` (recorded only).
 */
export const RegistrationLifecycle = z.object({
  items: z.string().min(1),
  reauthorize: RegistrationCall.optional(),
});

/** Registration through the provider's API, per integrated account or once per provider app. */
export const ApiRegistration = z.object({
  mode: z.literal('api'),
  /**
   * `account` (default): one registration per integrated account, with the account's config and
   * credentials, at the account's webhook URL. `app`: one per provider app (HubSpot subscribes every
   * portal that installed the app), with the app's `config` and sealed `credentials`, at the app's
   * webhook URL (`webhook_url` in the scope); `PUT /v1/provider-apps/{id}/webhook-registration`, and
   * `register_webhooks: true` on an account ensures its app's. No `verification` step at app scope.
   */
  scope: z.enum(['account', 'app']).default('account'),
  auth: RegistrationAuth.optional(),
  events: z.array(RegistrationEvent).min(1),
  /**
   * `per_event`: one webhook per subscribed event (Pipedrive takes one object per webhook; `event` in the
   * scope names it), all sharing one generated secret; `none` (default): one webhook for all `events`.
   */
  split: z.enum(['none', 'per_event']).default('none'),
  secret: GeneratedSecret.optional(),
  /**
   * A call made before `create`, once per registration (HubSpot's `PUT /webhooks/v3/{appId}/settings`
   * setting the target URL; Dataverse's `POST serviceendpoints` carrying the URL and the header key).
   * `keep` (JSONata over `{body, headers}`) reads the id of what it made: `setup.id` in later scopes,
   * and `{id}` of `teardown`, the call that removes it after every part is deleted.
   */
  setup: RegistrationCall.extend({ keep: z.string().optional() }).optional(),
  teardown: RegistrationCall.optional(),
  /**
   * Reads before each part's `create`, in order, whose results later calls need (Dataverse: the
   * `sdkmessage` id of the event's message, then its `sdkmessagefilter` id for the entity). Each `read`
   * (JSONata over `{body, headers}`) must give a value, found as `lookup.<name>` in the scope.
   */
  lookups: z.array(z.object({ name: z.string().regex(/^[a-z_][a-z0-9_]*$/), call: RegistrationCall, read: z.string().min(1) })).default([]),
  create: RegistrationCall,
  /** Reads the registration; a 404 (or `exists` false) means it was deleted at the provider: re-create. */
  read: RegistrationCall.optional(),
  /** JSONata over `{body, headers, remote}` of `read`: false when the provider answered but the registration is gone or inactive. */
  exists: z.string().optional(),
  renew: RegistrationCall.optional(),
  delete: RegistrationCall.optional(),
  answer: RegistrationAnswer,
  /**
   * How to tell the provider's refusals apart (JSONata over `{status, body}`, truthy when it applies):
   * `url` — the webhook URL was refused (Gusto's 422 for a non-routable URL); `limit` — too many webhooks
   * (Pipedrive's 40 per user). Any other 4xx/5xx is `SWY_ERR_REGISTRATION_REFUSED`.
   */
  refusals: z.object({ url: z.string().optional(), limit: z.string().optional() }).default({}),
  expiry: RegistrationExpiry.optional(),
  verification: RegistrationVerification.optional(),
  lifecycle: RegistrationLifecycle.optional(),
  /** Documented facts the simulator and the API cite (limits, sources). */
  notes: z.array(z.string()).default([]),
});

/**
 * A provider with no registration API (QuickBooks, Xero, HiBob, Rippling partner apps): the API answers
 * state `manual` with these steps. `{webhook_url}` in a step is replaced by the account's URL.
 * `secret_from` says where the verification secret comes from (`provider`: paste what its UI shows
 * as the account's `webhook_secret`; `app`: the provider app's secret).
 */
export const ManualRegistration = z.object({
  mode: z.literal('manual'),
  steps: z.array(z.string().min(1)).min(1),
  secret_from: z.enum(['provider', 'app', 'none']).default('provider'),
  notes: z.array(z.string()).default([]),
});

/** The `registration` section of a provider definition. */
export const ProviderRegistration = z.discriminatedUnion('mode', [ApiRegistration, ManualRegistration]);
export type ProviderRegistration = z.infer<typeof ProviderRegistration>;
export type ApiRegistration = z.infer<typeof ApiRegistration>;
