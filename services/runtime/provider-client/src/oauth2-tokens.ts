import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { SwitchyardError, type ApiAuth } from '@switchyard/contracts';
import type { Dispatcher } from 'undici';
import { type Bus, publishOperationalEvent, isCasConflict, keyToken } from '@switchyard/bus';
import type { ProviderCatalog } from '@switchyard/mapping';
import type { Logger, Sealed, Vault } from '@switchyard/kernel';
import { TokenManager, type AccessTokenResult, type TokenManagerOptions, clientCredentialsGrant, type OAuth2ClientConfig, type OAuth2TokenSet, type StoredTokenSet, type TokenStore } from '@switchyard/provider-auth';
import { accountView, type AccountRecord, type AccountStore, type ProviderAppStore } from '@switchyard/stores';
import { renderTemplate } from './templates.js';

/** OAuth2 with a token endpoint: the only auth whose tokens are refreshed. */
export type RefreshableAuth = Extract<ApiAuth, { type: 'oauth2' }> & { token_url: string };

/** True when calls with this auth take their bearer token from {@link OAuth2Tokens} rather than the credentials. */
export function refreshable(auth: ApiAuth): auth is RefreshableAuth {
  return auth.type === 'oauth2' && typeof auth.token_url === 'string' && auth.token_url !== '';
}

/** One provider call made by {@link callWithAccessToken}. */
export interface TokenedCall<R> {
  /** Sends the request with this bearer token (undefined when the auth takes none from {@link OAuth2Tokens}). */
  send(accessToken: string | undefined): Promise<R>;
  /** The HTTP status of a reply. */
  status(reply: R): number;
  /**
   * Whether the request can be sent a second time. A streamed body is consumed by the first send, so
   * its 401 goes back to the caller after the refresh, and the caller's own retry finds the new token.
   */
  resendable: boolean;
  /** Releases a reply that will not be returned (a 401 about to be retried). */
  discard?(reply: R): Promise<void>;
  /** Told when the refresh after a 401 that cannot be resent fails (the 401 is still returned). */
  onRefreshFailed?(error: unknown): void;
}

/**
 * A provider call with OAuth2 handled once for every caller: with a refreshable auth it sends the
 * account's current token and, on a 401, forces one refresh cluster-wide and retries once; any other
 * auth (or no token manager) sends as is.
 */
export async function callWithAccessToken<R>(
  tokens: OAuth2Tokens | undefined,
  auth: ApiAuth,
  account: AccountRecord,
  credentials: Record<string, unknown>,
  call: TokenedCall<R>,
): Promise<R> {
  const manager = refreshable(auth) ? tokens : undefined;
  if (!manager) return call.send(undefined);
  const accessToken = await manager.accessToken(account, credentials);
  const reply = await call.send(accessToken);
  if (call.status(reply) !== 401) return reply;
  if (!call.resendable) {
    await manager.refused(account, credentials, accessToken).catch((error: unknown) => call.onRefreshFailed?.(error));
    return reply;
  }
  await call.discard?.(reply);
  return call.send(await manager.refused(account, credentials, accessToken));
}

/** Options for {@link OAuth2Tokens}. */
export interface OAuth2TokensOptions {
  bus: Bus;
  vault: Vault;
  catalog: ProviderCatalog;
  accounts: () => Promise<AccountStore>;
  providerApps: () => Promise<ProviderAppStore>;
  logger: Logger;
  /** Names the account's webhook URL in the `integrated_account:needs_reauth` event, as the API's view does. */
  publicUrl: string;
  /** Egress-checked dispatcher for the token endpoint (the provider HTTP pool). */
  dispatcher?: Dispatcher;
  /** Overrides for the {@link TokenManager} (timings, clock). */
  manager?: Partial<Omit<TokenManagerOptions, 'store' | 'locks' | 'client' | 'logger' | 'onNeedsReauth' | 'dispatcher'>>;
}

/** Most grants whose last token this process remembers. */
const CACHE_LIMIT = 10_000;

/**
 * The access token of an account whose provider declares OAuth2 with a `token_url`, valid for the call
 * about to be made: refreshed ahead of expiry by a {@link TokenManager} under the cluster-wide lock in
 * the `locks` bucket, so however many processes ask at once the provider sees one refresh.
 *
 * Where tokens live: the `tokens` bucket, one key per *grant* (`oauth2.<account>.<grant>`), the value
 * sealed with the vault under associated data naming the account and grant. Compare-and-set on that one
 * key is what makes a rotated refresh token's write atomic; keeping it out of the account record means a
 * config-only `PATCH` of the account (a plain put of the record) can never write back a used refresh token.
 * The grant id is a truncated SHA-256 of the access and refresh token the customer stored in the account's
 * credentials: new credentials are a new grant, seeded from them (and clear of any `needs_reauth`), while
 * re-sealing the same credentials (an encryption-key rotation) keeps the grant. Until a grant's first
 * refresh its tokens are read from the credentials (`access_token`, `refresh_token`, optional `expires_at`
 * as epoch seconds, epoch ms or ISO 8601; without it the token is used until the provider answers 401).
 *
 * The client id and secret come from the account's provider app, or from `credentials.client_id` /
 * `client_secret` when it has none. `invalid_grant` sets the account's status to `needs_reauth` and
 * publishes `integrated_account:needs_reauth`. No token, nor anything derived from one but the grant id,
 * is ever logged.
 */
export class OAuth2Tokens {
  readonly #o: OAuth2TokensOptions;
  readonly #store: SealedTokenStore;
  readonly #manager: TokenManager;
  readonly #skewMs: number;
  readonly #now: () => number;
  /** Grant → the last token handed out here, so a warm call costs no KV read. */
  readonly #cache = new Map<string, { access_token: string; expires_at: number }>();

  constructor(options: OAuth2TokensOptions) {
    this.#o = options;
    this.#skewMs = options.manager?.skewMs ?? 60_000;
    this.#now = options.manager?.now ?? Date.now;
    this.#store = new SealedTokenStore(options.bus.kv.tokens, options.vault, (accountId, grant) => this.#seed(accountId, grant), options.logger);
    this.#manager = new TokenManager({
      ...options.manager,
      store: this.#store,
      locks: options.bus.kv.locks,
      client: (grantKey) => this.#client(grantKey),
      logger: options.logger,
      onNeedsReauth: (grantKey) => this.#needsReauth(grantKey),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  /** A valid access token for the account; a coded error when there is none (e.g. `SWY_ERR_ACCOUNT_NEEDS_REAUTH`). */
  async accessToken(account: AccountRecord, credentials: Record<string, unknown>): Promise<string> {
    if (this.#clientCredentials(account)) return this.#appToken(account, false);
    const key = grantKey(account.id, credentials);
    const cached = this.#cache.get(key);
    if (cached && cached.expires_at - this.#skewMs > this.#now()) return cached.access_token;
    return this.#remember(account, key, await this.#manager.getAccessToken(key));
  }

  /**
   * The provider answered 401 to `rejected`: a fresh token, from one forced refresh cluster-wide (or the
   * replacement another caller already obtained). Call once per provider call, then give up.
   */
  async refused(account: AccountRecord, credentials: Record<string, unknown>, rejected: string): Promise<string> {
    if (this.#clientCredentials(account)) return this.#appToken(account, true);
    const key = grantKey(account.id, credentials);
    this.#cache.delete(key);
    this.#o.logger.info({ account: account.id }, 'provider refused the access token; refreshing once');
    return this.#remember(account, key, await this.#manager.forceRefresh(key, rejected));
  }

  #remember(account: AccountRecord, key: string, result: AccessTokenResult): string {
    if (!result.ok) throw failure(account, result);
    this.#cache.delete(key);
    this.#cache.set(key, { access_token: result.access_token, expires_at: result.expires_at });
    if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    return result.access_token;
  }

  /** The tokens a grant starts from: the account's credentials, if they still are that grant. */
  async #seed(accountId: string, grant: string): Promise<OAuth2TokenSet | undefined> {
    const accounts = await this.#o.accounts();
    const account = await accounts.get(accountId);
    if (!account) return undefined;
    const credentials = accounts.credentials(account);
    return grantId(credentials) === grant ? tokensFrom(credentials) : undefined;
  }

  /** The token endpoint and client of the account's provider app (or its own credentials). */
  async #client(key: string): Promise<OAuth2ClientConfig> {
    const { accountId } = parseGrantKey(key);
    const accounts = await this.#o.accounts();
    const account = await accounts.get(accountId);
    if (!account) throw new SwitchyardError('SWY_ERR_ACCOUNT_UNKNOWN', `no integrated account '${accountId}'`);
    const auth = this.#o.catalog.get(account.provider)?.definition.api?.auth;
    if (!auth || !refreshable(auth)) throw new SwitchyardError('SWY_ERR_RESOURCE_UNSUPPORTED', `${account.provider} declares no OAuth2 token endpoint`);
    const credentials = accounts.credentials(account);
    let clientId: unknown = credentials.client_id;
    let clientSecret: unknown = credentials.client_secret;
    if (account.provider_app_id) {
      const apps = await this.#o.providerApps();
      const app = await apps.get(account.provider_app_id);
      if (!app) throw new SwitchyardError('SWY_ERR_PROVIDER_APP_UNKNOWN', `the account's provider app '${account.provider_app_id}' no longer exists`);
      clientId = app.client_id;
      // The first secret is the current one; the others only survive a rotation for verifying webhooks.
      clientSecret = apps.secrets(app).client_secret?.[0];
    }
    for (const [name, value] of [['client_id', clientId], ['client_secret', clientSecret]] as const) {
      if (typeof value !== 'string' || value === '') {
        throw new SwitchyardError('SWY_ERR_CREDENTIALS_MISSING', `no '${name}' to refresh the access token with: set it on the account's provider app, or in its credentials`);
      }
    }
    return { token_url: renderTemplate(auth.token_url, { config: account.config }), client_id: clientId as string, client_secret: clientSecret as string, auth: auth.client_auth };
  }

  #clientCredentials(account: AccountRecord): boolean {
    const auth = this.#o.catalog.get(account.provider)?.definition.api?.auth;
    return auth?.type === 'oauth2' && auth.grant === 'client_credentials';
  }

  /**
   * A client-credentials token for the account, kept per process until shortly before it expires (there
   * is no refresh token to share or rotate, so no lock is needed); `fresh` asks the provider again.
   */
  async #appToken(account: AccountRecord, fresh: boolean): Promise<string> {
    const key = `cc:${account.id}`;
    const cached = this.#cache.get(key);
    if (!fresh && cached && cached.expires_at - this.#skewMs > this.#now()) return cached.access_token;
    const auth = this.#o.catalog.get(account.provider)?.definition.api?.auth;
    const scope = auth?.type === 'oauth2' && auth.scopes.length > 0 ? auth.scopes.join(auth.scope_separator) : undefined;
    const client = await this.#client(grantKey(account.id, {}));
    const result = await clientCredentialsGrant(client, scope, { timeoutMs: 10_000, ...(this.#o.dispatcher ? { dispatcher: this.#o.dispatcher } : {}) });
    if (!result.ok) {
      // 400/401 from the token endpoint (invalid_client, invalid_grant): the app's credentials were refused.
      const refused = result.kind === 'invalid_grant' || result.status === 400 || result.status === 401;
      throw refused
        ? new SwitchyardError('SWY_ERR_PROVIDER_UNAUTHORIZED', `${account.provider} refused the app's client credentials`)
        : new SwitchyardError('SWY_ERR_PROVIDER_UNREACHABLE', `${account.provider} token endpoint: ${result.error}`);
    }
    this.#cache.set(key, { access_token: result.access_token, expires_at: this.#now() + (result.expires_in ?? 3_600) * 1_000 });
    if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    return result.access_token;
  }

  /** `invalid_grant` (once per grant, cluster-wide): the account's status, then the operational event. */
  async #needsReauth(key: string): Promise<void> {
    const { accountId, grant } = parseGrantKey(key);
    for (const cached of this.#cache.keys()) if (cached.startsWith(`${accountId}=`)) this.#cache.delete(cached);
    const accounts = await this.#o.accounts();
    let account = await accounts.get(accountId);
    if (!account) return;
    if (account.status === 'active') account = await accounts.update(account, { status: 'needs_reauth' });
    const receivesWebhooks = this.#o.catalog.get(account.provider)?.definition.webhook !== undefined;
    const view = accountView(account, receivesWebhooks ? `${this.#o.publicUrl}/webhooks/${account.provider}/${account.id}` : null);
    await publishOperationalEvent(this.#o.bus, { type: 'integrated_account:needs_reauth', environmentId: account.environment_id, key: `${account.id}:needs_reauth:${grant}`, data: view });
  }
}

/** The TokenManager's "account id": the account and its grant, `acc_…=<grant>` (readable in `nats kv ls`). */
function grantKey(accountId: string, credentials: Record<string, unknown>): string {
  return `${accountId}=${grantId(credentials)}`;
}

function parseGrantKey(key: string): { accountId: string; grant: string } {
  const at = key.lastIndexOf('=');
  return { accountId: key.slice(0, at), grant: key.slice(at + 1) };
}

/**
 * Which grant the credentials hold: 64 bits of SHA-256 over the tokens. Not a secret (the tokens are
 * random and long), stable across re-sealing, and different for every reconnection.
 */
function grantId(credentials: Record<string, unknown>): string {
  const part = (value: unknown) => (typeof value === 'string' ? value : '');
  return createHash('sha256').update(`${part(credentials.access_token)}\0${part(credentials.refresh_token)}`).digest('hex').slice(0, 16);
}

/** The tokens in an account's credentials, or undefined when it has neither an access nor a refresh token. */
function tokensFrom(credentials: Record<string, unknown>): OAuth2TokenSet | undefined {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const access = text(credentials.access_token);
  const refresh = text(credentials.refresh_token);
  if (!access && !refresh) return undefined;
  return { access_token: access ?? '', refresh_token: refresh ?? null, expires_at: access ? (expiry(credentials.expires_at) ?? Number.MAX_SAFE_INTEGER) : 0 };
}

/** `expires_at` as epoch seconds, epoch milliseconds or an ISO 8601 string; undefined when unusable. */
function expiry(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    const parsed = /^\d+$/.test(value) ? expiry(Number(value)) : Date.parse(value);
    return parsed !== undefined && Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function failure(account: AccountRecord, result: Extract<AccessTokenResult, { ok: false }>): SwitchyardError {
  switch (result.reason) {
    case 'needs_reauth':
      return new SwitchyardError('SWY_ERR_ACCOUNT_NEEDS_REAUTH', `account '${account.id}' must be reconnected: ${account.provider} refused its refresh token (or it has none)`);
    case 'no_tokens':
      return new SwitchyardError('SWY_ERR_CREDENTIALS_MISSING', "the account's credentials lack 'access_token' and 'refresh_token'");
    case 'refresh_failed':
      return new SwitchyardError('SWY_ERR_PROVIDER_ERROR', `${account.provider} token endpoint failed${result.status ? ` (${result.status})` : ''} and the access token has expired`, {
        extensions: result.status ? { provider_status: result.status } : {},
      });
    case 'lock_timeout':
      return new SwitchyardError('SWY_ERR_PROVIDER_UNREACHABLE', `timed out waiting for another process to refresh the ${account.provider} access token`);
  }
}

/**
 * A {@link TokenStore} over the `tokens` bucket: one key per grant, the token set sealed with the vault.
 * A grant not written yet reads as its seed (the account's credentials) at revision 0, so its first
 * refresh is a `create` that only one process can win.
 */
class SealedTokenStore implements TokenStore {
  readonly #kv: KV;
  readonly #vault: Vault;
  readonly #seed: (accountId: string, grant: string) => Promise<OAuth2TokenSet | undefined>;
  readonly #logger: Logger;

  constructor(kv: KV, vault: Vault, seed: (accountId: string, grant: string) => Promise<OAuth2TokenSet | undefined>, logger: Logger) {
    this.#kv = kv;
    this.#vault = vault;
    this.#seed = seed;
    this.#logger = logger;
  }

  async get(key: string): Promise<StoredTokenSet | undefined> {
    const { accountId, grant } = parseGrantKey(key);
    const entry = await this.#kv.get(kvKey(accountId, grant));
    if (entry?.operation === 'PUT') {
      const tokens = this.#vault.openJson<OAuth2TokenSet>(entry.json<Sealed>(), aad(accountId, grant));
      return { ...tokens, revision: entry.revision };
    }
    const seed = await this.#seed(accountId, grant);
    return seed && { ...seed, revision: 0 };
  }

  async casPut(key: string, tokens: OAuth2TokenSet, revision: number): Promise<boolean> {
    const { accountId, grant } = parseGrantKey(key);
    const { access_token, refresh_token, expires_at, needs_reauth } = tokens;
    const sealed = this.#vault.sealJson({ access_token, refresh_token, expires_at, ...(needs_reauth ? { needs_reauth } : {}) }, aad(accountId, grant));
    try {
      if (revision === 0) await this.#kv.create(kvKey(accountId, grant), JSON.stringify(sealed));
      else await this.#kv.update(kvKey(accountId, grant), JSON.stringify(sealed), revision);
    } catch (error) {
      if (isCasConflict(error)) return false;
      throw error;
    }
    if (revision === 0) void this.#sweep(accountId, grant);
    return true;
  }

  /** A new grant replaces the account's earlier ones: purge them (history included), best effort. */
  async #sweep(accountId: string, grant: string): Promise<void> {
    try {
      const keep = kvKey(accountId, grant);
      const stale: string[] = [];
      for await (const key of await this.#kv.keys(`oauth2.${keyToken(accountId)}.*`)) if (key !== keep) stale.push(key);
      for (const key of stale) await this.#kv.purge(key);
    } catch (error) {
      this.#logger.debug({ account: accountId, err: error }, 'could not purge earlier OAuth2 grants');
    }
  }
}

const kvKey = (accountId: string, grant: string) => `oauth2.${keyToken(accountId)}.${grant}`;
const aad = (accountId: string, grant: string) => `account:${accountId}:oauth2_tokens:${grant}`;
