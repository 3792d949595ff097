import { SwitchyardError, type RegistrationAuth, type RegistrationCall } from '@switchyard/contracts';
import type { TraceContext } from '@switchyard/kernel';
import type { LoadedProvider, MappingEngine } from '@switchyard/mapping';
import type { AccountRecord } from '@switchyard/stores';
import { authorize, authorizedUrl } from './auth.js';
import { withAccountSlot, type ConcurrencyGovernor } from './governor.js';
import type { ProviderHttp } from './http.js';
import { callWithAccessToken, type OAuth2Tokens } from './oauth2-tokens.js';
import { normalizeRateLimit, type NormalizedRateLimit } from './rate-limit/index.js';
import { baseUrlFor, renderTemplate } from './templates.js';

/** Whose webhook a registration call manages: the provider, the account and its decrypted credentials. */
export interface RegistrationTarget {
  provider: LoadedProvider;
  account: AccountRecord;
  credentials: Record<string, unknown>;
  /** The trace the calls belong to (a poll run's span): sent on as `traceparent`. */
  trace?: TraceContext | undefined;
}

/**
 * A provider's answer to a registration call, whatever its status: the caller decides what a 404 or a
 * 422 means for the registration. `body` is parsed JSON when it parses, else the text (garbage stays
 * garbage, for the caller to refuse with a coded error).
 */
export interface RegistrationAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** True when the body claimed to be JSON (or looked like it) and did not parse. */
  malformed: boolean;
  rateLimit: NormalizedRateLimit;
}

/**
 * Makes the calls a definition's `registration` section declares, through the same parts as unified
 * calls: the account's base URL and auth, OAuth2 tokens refreshed once on a 401 and the call retried
 * once, the per-account concurrency governor, and the provider's rate-limit signals read from the
 * answer. Statuses are returned, not thrown: a registration records them as coded states.
 */
export class RegistrationCalls {
  readonly #engine: MappingEngine;
  readonly #http: ProviderHttp;
  readonly #governor: ConcurrencyGovernor | undefined;
  readonly #tokens: OAuth2Tokens | undefined;

  constructor(parts: { engine: MappingEngine; http: ProviderHttp; governor?: ConcurrencyGovernor | undefined; tokens?: OAuth2Tokens | undefined }) {
    this.#engine = parts.engine;
    this.#http = parts.http;
    this.#governor = parts.governor;
    this.#tokens = parts.tokens;
  }

  /**
   * Sends `call` (named `what` in errors, e.g. `create`) with `scope` as the JSONata input of its query
   * and body; `id` fills `{id}` in the path. The account's `config` fills `{config.<key>}`. With
   * `auth`, the call authenticates with that scheme and the credentials it names instead of `api.auth`.
   */
  async send(target: RegistrationTarget, what: string, call: RegistrationCall, scope: Record<string, unknown>, id?: string, auth?: RegistrationAuth): Promise<RegistrationAnswer> {
    return withAccountSlot(this.#governor, target, () => this.#send(target, what, call, scope, id, auth));
  }

  async #send(target: RegistrationTarget, what: string, call: RegistrationCall, scope: Record<string, unknown>, id: string | undefined, override: RegistrationAuth | undefined): Promise<RegistrationAnswer> {
    const api = target.provider.definition.api!;
    const slug = target.provider.definition.slug;
    const name = (field: string) => `${slug}/provider.json#registration.${what}.${field}`;
    const base = baseUrlFor(api.base_url, target.account.config);
    let url: URL;
    try {
      url = new URL(`${base}${renderTemplate(call.path, { config: target.account.config, id })}`);
    } catch (cause) {
      if (cause instanceof SwitchyardError) throw cause;
      throw new SwitchyardError('SWY_ERR_ACCOUNT_CONFIG_MISSING', `${slug}: the account's base URL is not a URL; check config.base_url`, { cause });
    }
    const query = call.query ? ((await this.#engine.evaluate(name('query'), call.query, scope)) as Record<string, unknown> | undefined) : undefined;
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    const auth = override?.scheme ?? api.auth;
    const credentials = override ? Object.fromEntries(Object.entries(override.credentials).map(([name, from]) => [name, target.credentials[from]])) : target.credentials;
    const body = call.body ? renderBody(slug, call, await this.#engine.evaluate(name('body'), call.body, bodyScope(call, scope, credentials))) : undefined;
    // A text body (a SOAP envelope) keeps the content type its call declares; a JSON body is always JSON.
    const headers: Record<string, string> =
      call.body_format === 'text'
        ? { accept: 'application/json', 'content-type': 'text/xml; charset=utf-8', ...call.headers }
        : { accept: 'application/json', ...call.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const authed = authorizedUrl(auth, credentials, url.toString());
    const send = (accessToken: string | undefined) =>
      this.#http.send({ method: call.method, url: authed, headers: { ...headers, ...authorize(auth, credentials, { method: call.method, url: authed }, accessToken) }, body, trace: target.trace, provider: slug });
    // An override is static: the token manager refreshes the account's own API grant, not this credential.
    const reply = await callWithAccessToken(override ? undefined : this.#tokens, auth, target.account, credentials, { send, status: (r) => r.status, resendable: true });
    const text = reply.body.toString('utf8');
    const looksJson = /json/.test(reply.headers['content-type'] ?? '') || /^[[{]/.test(text.trim());
    let parsed: unknown = text === '' ? undefined : text;
    let malformed = false;
    if (looksJson && text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        malformed = true;
      }
    }
    const rateLimit = normalizeRateLimit(api.rate_limits, { status: reply.status, headers: reply.headers, body: parsed });
    return { status: reply.status, headers: reply.headers, body: parsed, malformed, rateLimit };
  }
}

/**
 * The body's JSONata scope: the call's scope, plus `credentials.<name>` for the names the call opts in
 * to (`body_credentials`, a SOAP WS-Security `UsernameToken`). Other calls never see a credential.
 */
function bodyScope(call: RegistrationCall, scope: Record<string, unknown>, credentials: Record<string, unknown>): Record<string, unknown> {
  if (!call.body_credentials?.length) return scope;
  return { ...scope, credentials: Object.fromEntries(call.body_credentials.map((key) => [key, credentials[key]])) };
}

/** The body as sent: JSON, or for `body_format: text` the template's string (anything else is a definition error). */
function renderBody(slug: string, call: RegistrationCall, value: unknown): string | undefined {
  if (call.body_format !== 'text') return JSON.stringify(value);
  if (typeof value === 'string') return value;
  throw new SwitchyardError('SWY_ERR_MAPPING_FAILED', `${slug}: a call with body_format text must build a string body, got ${value === undefined ? 'nothing' : typeof value}`);
}
