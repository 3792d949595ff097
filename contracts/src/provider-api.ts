import { z } from 'zod';
import { RateLimitSignals } from './rate-limit-signals.js';

/**
 * How the hub authenticates to a provider's API with an account's credentials (decrypted only for the
 * call). Each type names the credential fields it reads.
 */
export const ApiAuth = z.discriminatedUnion('type', [
  /** `credentials.api_key` as the HTTP Basic user name, any password (BambooHR). */
  z.object({ type: z.literal('basic_api_key'), password: z.string().default('x') }),
  /** `credentials.username` / `credentials.password`. */
  z.object({ type: z.literal('basic') }),
  /** `credentials.api_key` in a header, with an optional prefix (`Bearer `, `Token `). */
  z.object({ type: z.literal('api_key_header'), header: z.string().min(1), prefix: z.string().default('') }),
  /**
   * `credentials.api_key` as the query parameter `param` (HubSpot's legacy `hapikey` developer key). The
   * URL then carries a secret: the hub never logs provider URLs (errors name the host only).
   */
  z.object({ type: z.literal('api_key_query'), param: z.string().min(1) }),
  /** `credentials.access_token` as a bearer token; refreshed with `credentials.refresh_token` when `token_url` is set. */
  z.object({
    type: z.literal('oauth2'),
    /**
     * `authorization_code` (default): an end user consents, tokens are refreshed with the refresh token.
     * `client_credentials`: the provider app itself is the principal; tokens are requested with the
     * app's (or the account's) client id and secret, and requested again when they expire.
     */
    grant: z.enum(['authorization_code', 'client_credentials']).default('authorization_code'),
    token_url: z.string().min(1).optional(),
    client_auth: z.enum(['basic', 'body']).default('body'),
    /** Where end users consent (authorization-code flow, `GET /v1/connect/{provider}/authorize`). */
    authorize_url: z.string().url().optional(),
    /**
     * PKCE (RFC 7636) in the authorization-code flow, as the provider documents it: `required` or
     * `supported` → the hub sends an S256 `code_challenge` and the `code_verifier`; `none` → neither.
     */
    pkce: z.enum(['required', 'supported', 'none']).default('none'),
    /** Scopes asked for when the provider app names none. */
    scopes: z.array(z.string()).default([]),
    /** How scopes are joined in the authorize URL. */
    scope_separator: z.string().default(' '),
    /** JSONata over the token response: config for the new account (Salesforce `{"base_url": instance_url}`). */
    account_config: z.string().optional(),
    /** JSONata over the token response: the account's remote key (for app-level webhooks). */
    remote_key: z.string().optional(),
    /** What precedes the access token in `Authorization` (Zoho: `Zoho-oauthtoken `). */
    token_prefix: z.string().min(1).default('Bearer '),
  }),
  /** OAuth 1.0a token-based auth (NetSuite): consumer_key/secret, token_id/secret, realm; HMAC-SHA256. */
  z.object({ type: z.literal('oauth1'), signature_method: z.enum(['HMAC-SHA256', 'HMAC-SHA1']).default('HMAC-SHA256') }),
]);
export type ApiAuth = z.infer<typeof ApiAuth>;

/**
 * How a list endpoint pages. Every style ends in one opaque `next_cursor` for the customer; the state
 * inside it (a provider cursor, an offset, a page number, a next URL) is sealed and bound to the account.
 */
export const Pagination = z.discriminatedUnion('style', [
  z.object({ style: z.literal('none') }),
  /** A provider cursor: `next` (JSONata over `{body, headers}`) gives the value for `param` on the next call. */
  z.object({ style: z.literal('cursor'), param: z.string().min(1), next: z.string().min(1), limit_param: z.string().optional() }),
  /**
   * Offset and limit; `has_more` (JSONata over `{body, headers}`) says whether to go on (default: a full page came back).
   * Without `offset_param`/`limit_param` nothing is added to the URL: the `query` or `body` expression places
   * `page.offset` and `page.limit` itself (QuickBooks' `STARTPOSITION … MAXRESULTS …` inside its query text).
   */
  z.object({ style: z.literal('offset'), offset_param: z.string().min(1).optional(), limit_param: z.string().min(1).optional(), has_more: z.string().optional() }),
  /** Page numbers; `has_more` as above (e.g. from `X-Total-Pages`). */
  z.object({ style: z.literal('page'), page_param: z.string().min(1), per_page_param: z.string().min(1), first_page: z.number().int().default(1), has_more: z.string().optional() }),
  /** A next-page URL in the body (`nextRecordsUrl`, `@odata.nextLink`): `next` gives it, absolute or relative to the base URL. */
  z.object({ style: z.literal('next_url'), next: z.string().min(1), limit_param: z.string().optional() }),
  /** RFC 8288 `Link: <…>; rel="next"`. */
  z.object({ style: z.literal('link_header'), limit_param: z.string().optional() }),
]);
export type Pagination = z.infer<typeof Pagination>;

/**
 * A write the provider runs as a job (NetSuite's `Prefer: respond-async` → `202` and `Location: …/async/v1/job/{id}`):
 * the hub sends `headers` with the write, reads the job's URL from its answer with `job` (JSONata over
 * `{status, headers, body}`; nothing → the provider answered at once, and that answer is the write's), then
 * walks `steps`: each reads the URL it is given (absolute, or a path on the provider's origin) with a GET,
 * reads it again every `poll_interval_ms` (growing to 8×) while `until` is false, and gives the next URL with
 * `next`. The answer at the last URL is the write's answer (`remote_id`, `map`, errors). Every call goes
 * through the account's concurrency cap; the wait is bounded by `SWITCHYARD_PROVIDER_JOB_TIMEOUT_MS`.
 */
export const AsyncJob = z.object({
  /** `idempotency_key`: only a write sent with an `Idempotency-Key` runs as a job (providers that honour their own key only for jobs); otherwise every write. */
  when: z.enum(['always', 'idempotency_key']).default('always'),
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/), z.string()).default({}),
  /** The job's URL from the write's answer; it may also recognise a refusal that points to an earlier job (a reused key). */
  job: z.string().min(1),
  steps: z.array(z.object({ until: z.string().min(1).optional(), next: z.string().min(1) })).min(1).max(6),
  poll_interval_ms: z.number().int().min(50).max(10_000).default(500),
});
export type AsyncJob = z.infer<typeof AsyncJob>;

/**
 * One call to the provider. `path` may hold `{id}`, `{config.<key>}` and `path_params` placeholders. `query` and
 * `body` are JSONata over `{input, account, page}` (input: the customer's `limit`, `updated_after`, filters,
 * `id`, and for writes the unified record as `data`; page: `{offset, limit}` of a list call). `records` picks the provider records out of
 * `{body, headers}` (a list for `list`, one for `get`), `map` turns one provider record into the
 * unified model, and `remote_id` reads the id of a created record. A write with `prefetch` also sees the
 * record as it is now, as `input.current`.
 */
export const ApiOperation = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  path: z.string().min(1),
  /**
   * JSONata over `{input, account}` giving the values of the path's other `{name}` placeholders, for a
   * resource one provider keeps in several collections (Zoho CRM's Tasks, Calls and Events modules behind
   * `crm/activities`: `/crm/v8/{module}`). A value named `id` replaces the record id in the path. For `get`
   * it may give a list: each is tried in order until one finds the record (a 404 or no record moves on), so
   * a plain id can be read without knowing its collection; every try is one provider call. Like `path`, never
   * tenant-overridable.
   */
  path_params: z.string().optional(),
  query: z.string().optional(),
  /**
   * Headers sent with the call. A value may name request values — `{limit}`, `{updated_after}`, `{id}`,
   * `{config.<key>}` (`Prefer: odata.maxpagesize={limit}`, `If-Modified-Since: {updated_after}`); a header
   * whose value is absent for this request is left out.
   */
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  records: z.string().optional(),
  map: z.string().optional(),
  remote_id: z.string().optional(),
  /**
   * For writes: the header that carries the provider's own idempotency key (NetSuite
   * `X-NetSuite-Idempotency-Key`). When the customer sends `Idempotency-Key`, the hub sends here a UUID
   * derived from the account and that key, so a retry after a lost answer cannot create a second record
   * even when the hub's own replay record was never written.
   */
  idempotency_header: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/).optional(),
  /**
   * For writes: the query parameter that carries the provider's own idempotency key (QuickBooks Online
   * `requestid`: a repeated id gets the first request's answer, nothing written twice), with the same
   * derived value as `idempotency_header`.
   */
  idempotency_param: z.string().regex(/^[A-Za-z0-9_.~-]+$/).optional(),
  /**
   * For `update` and `delete`: read the record first, for a provider that wants something of the current
   * record in the write (QuickBooks' `SyncToken`, optimistic concurrency) which the caller cannot be asked
   * for. `get` runs this resource's `get` operation for the id (its `path_params` tries and the account's
   * overrides included) and binds the unified record it maps to — with the provider's record as
   * `remote_data` — as `input.current` in this operation's `path_params`, `query`, `body` and headers. An
   * unknown id ends the write with `SWY_ERR_NOT_FOUND` before anything is written. Costs one provider call
   * more per write, and the read and the write are not atomic: a change in between is the provider's to
   * refuse (a stale `SyncToken` is refused, so declare what the provider checks, not a copy of it).
   */
  prefetch: z.literal('get').optional(),
  /**
   * Statuses besides 404 with which the provider says the record does not exist, answered as
   * `SWY_ERR_NOT_FOUND` (Acumatica answers 412 to a `PUT` with `If-Match: *` for a key it does not have).
   * Only for operations on one record (`get`, `update`, `delete`); a create's conflict stays a refusal.
   */
  not_found_statuses: z.array(z.number().int().min(400).max(599)).optional(),
  /** For writes the provider runs as jobs: how to follow one to its result (see {@link AsyncJob}). */
  async: AsyncJob.optional(),
  pagination: Pagination.default({ style: 'none' }),
});
export type ApiOperation = z.infer<typeof ApiOperation>;

/** The operations a provider offers for one unified resource, and the extra filters `list` accepts. */
export const ApiResource = z.object({
  list: ApiOperation.optional(),
  get: ApiOperation.optional(),
  create: ApiOperation.optional(),
  update: ApiOperation.optional(),
  delete: ApiOperation.optional(),
  /** Query parameters the customer may pass to `list` besides limit/cursor/updated_after. */
  filters: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/)).default([]),
}).superRefine((resource, ctx) => {
  for (const kind of ['list', 'get', 'create'] as const) {
    if (resource[kind]?.prefetch) ctx.addIssue({ code: 'custom', path: [kind, 'prefetch'], message: 'prefetch reads the record of an update or delete; a list, get or create has none yet' });
  }
  for (const kind of ['list', 'get'] as const) {
    if (resource[kind]?.async) ctx.addIssue({ code: 'custom', path: [kind, 'async'], message: 'async follows a write the provider runs as a job; a read answers at once' });
  }
  for (const kind of ['update', 'delete'] as const) {
    if (resource[kind]?.prefetch && !resource.get) ctx.addIssue({ code: 'custom', path: [kind, 'prefetch'], message: "prefetch 'get' needs this resource's get operation" });
  }
});
export type ApiResource = z.infer<typeof ApiResource>;

/**
 * The API half of a provider definition: where the provider's REST API is, how to authenticate, its
 * rate-limit signals, and the unified resources it backs (`hris/employees`, `crm/contacts`, …).
 */
export const ProviderApi = z.object({
  /** URL template: `{config.<key>}` placeholders read the account's config; `config.base_url` overrides it whole. */
  base_url: z.string().min(1),
  auth: ApiAuth,
  rate_limits: RateLimitSignals.prefault({}),
  /**
   * A per-account cap on calls in flight, shared by every replica (NetSuite bills concurrency per
   * account). The account's pool is `config[pool_config]` or `default_pool`; the hub uses `share` of it
   * and answers 429 when no slot frees within `wait_ms`.
   */
  concurrency: z
    .object({
      pool_config: z.string().optional(),
      default_pool: z.number().int().positive(),
      share: z.number().positive().max(1).default(0.6),
      wait_ms: z.number().int().nonnegative().default(2_000),
    })
    .optional(),
  resources: z.record(z.string().regex(/^[a-z]+\/[a-z_]+$/, 'a unified resource like hris/employees'), ApiResource).default({}),
  /**
   * JSONata over `{status, body, headers}` of an error answer giving the provider's own reason (shown to
   * the caller as `provider_message`). Unset: the first string among `message`, `error`,
   * `error.message`, `error_description`, `errors[0].message|detail`, `[0].message`, `detail`, `title`.
   */
  error_message: z.string().min(1).optional(),
});
export type ProviderApi = z.infer<typeof ProviderApi>;
