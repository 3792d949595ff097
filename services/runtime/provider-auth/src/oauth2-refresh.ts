import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import type { Dispatcher } from 'undici';
import type { Logger } from '@switchyard/kernel';
import { keyToken, KvLock } from '@switchyard/bus';
import { refreshGrant, type OAuth2ClientConfig } from './token-endpoint.js';
import type { OAuth2TokenSet, StoredTokenSet, TokenStore } from './token-store.js';

/** Why no access token could be given. */
export type AccessTokenFailure =
  /** `invalid_grant`, or expired with no refresh token: the account must be reconnected. */
  | 'needs_reauth'
  /** The store has no tokens for the account. */
  | 'no_tokens'
  /** The token endpoint failed (5xx, network, invalid_client) and the stored token has expired. */
  | 'refresh_failed'
  /** Another process held the refresh lock for longer than `waitTimeoutMs`. */
  | 'lock_timeout';

/** A usable access token, or the reason there is none. */
export type AccessTokenResult =
  | { ok: true; access_token: string; expires_at: number }
  | { ok: false; reason: AccessTokenFailure; status?: number | undefined };

/** Options for {@link TokenManager}. */
export interface TokenManagerOptions {
  store: TokenStore;
  /** The cluster's `locks` bucket. */
  locks: KV;
  /** The token endpoint and client credentials of the account's provider app. */
  client: OAuth2ClientConfig | ((accountId: string) => OAuth2ClientConfig | Promise<OAuth2ClientConfig>);
  logger: Logger;
  /**
   * Called once per `invalid_grant`, in the one process that recorded it; the place to set the account's
   * status and publish the operational event. Errors it throws are logged, not propagated.
   */
  onNeedsReauth?: (accountId: string) => void | Promise<void>;
  /** Refresh this long before expiry. Default 60 000 (60 s). */
  skewMs?: number;
  /** Lease on the refresh lock; must exceed `requestTimeoutMs`. Default 30 000 (30 s). */
  lockTtlMs?: number;
  /** How often waiters re-read the store. Default 50 ms. */
  pollIntervalMs?: number;
  /** Longest a caller waits for another process's refresh; must exceed `lockTtlMs`. Default lockTtlMs + 5 s. */
  waitTimeoutMs?: number;
  /** Token endpoint timeout. Default 10 000 (10 s). */
  requestTimeoutMs?: number;
  /**
   * After a failed refresh (not `invalid_grant`), this process makes no new attempt for the account for
   * this long, so an outage at the provider does not turn every request into a token call. Default 5 000 (5 s).
   */
  failureBackoffMs?: number;
  /** Lifetime assumed when the provider sends no `expires_in` (Salesforce). Default 3 600 s. */
  defaultExpiresInS?: number;
  /** Egress-checked dispatcher for the token endpoint. */
  dispatcher?: Dispatcher;
  /** Lock owner name; defaults to host, pid and a random suffix. */
  owner?: string;
  now?: () => number;
}

/** What {@link TokenManager.withAccessToken} returns: the call's own result, or why it was not made. */
export type WithTokenResult<R> = { ok: true; value: R } | { ok: false; reason: AccessTokenFailure; status?: number | undefined };

/** The refresh lock of an account in the `locks` bucket. */
export const refreshLockKey = (accountId: string) => `oauth2-refresh.${keyToken(accountId)}`;

type Outcome = AccessTokenResult | 'retry';

const NO_TOKENS: AccessTokenResult = Object.freeze({ ok: false, reason: 'no_tokens' });

/**
 * Hands out valid OAuth2 access tokens, refreshing ahead of expiry so that however many callers in however
 * many processes ask at once, the provider sees one refresh: callers in one process share one attempt, and
 * processes share a KV lease ({@link KvLock}); the losers poll the store until the winner's tokens appear.
 * Rotated refresh tokens are written with compare-and-set before anyone uses the new access token.
 *
 * Tokens are never logged: log lines carry the account id, lock owner and outcome only.
 */
export class TokenManager {
  readonly #o: Required<Omit<TokenManagerOptions, 'onNeedsReauth' | 'dispatcher'>> & Pick<TokenManagerOptions, 'onNeedsReauth' | 'dispatcher'>;
  readonly #lock: KvLock;
  /** One slow path per account in this process; concurrent callers join it. */
  readonly #inflight = new Map<string, Promise<AccessTokenResult>>();
  /** Account → epoch ms before which this process does not retry a failed refresh. */
  readonly #backoff = new Map<string, number>();

  constructor(options: TokenManagerOptions) {
    const lockTtlMs = options.lockTtlMs ?? 30_000;
    this.#o = {
      skewMs: 60_000,
      pollIntervalMs: 50,
      waitTimeoutMs: lockTtlMs + 5_000,
      requestTimeoutMs: 10_000,
      failureBackoffMs: 5_000,
      defaultExpiresInS: 3_600,
      owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      now: Date.now,
      ...options,
      lockTtlMs,
    };
    // A lease shorter than the token call could expire mid-refresh and let a second process refresh too.
    if (this.#o.requestTimeoutMs >= lockTtlMs) throw new Error('TokenManager: requestTimeoutMs must be shorter than lockTtlMs');
    this.#lock = new KvLock(options.locks, { owner: this.#o.owner, ttlMs: lockTtlMs, now: this.#o.now });
  }

  /** A token valid for at least the skew, refreshing first if needed. */
  async getAccessToken(accountId: string): Promise<AccessTokenResult> {
    const current = await this.#o.store.get(accountId);
    if (!current) return NO_TOKENS;
    return this.#settled(current, undefined) ?? this.#join(accountId, undefined);
  }

  /**
   * Refreshes because the provider refused `rejectedToken` (a 401). When another caller has already
   * replaced that token, its replacement is returned and no second refresh happens. Without a token,
   * whatever is stored now counts as rejected.
   */
  async forceRefresh(accountId: string, rejectedToken?: string): Promise<AccessTokenResult> {
    const rejected = rejectedToken ?? (await this.#o.store.get(accountId))?.access_token;
    return this.#join(accountId, rejected);
  }

  /**
   * Calls `fn` with a valid token; when its result is a 401 (`status` or `statusCode`, or `isUnauthorized`),
   * forces one refresh and calls it once more. The second result is returned whatever it is, so a provider
   * that keeps refusing cannot cause a refresh storm. The refused result's body is discarded.
   */
  async withAccessToken<R>(
    accountId: string,
    fn: (accessToken: string) => Promise<R>,
    options: { isUnauthorized?: (result: R) => boolean } = {},
  ): Promise<WithTokenResult<R>> {
    const unauthorized = options.isUnauthorized ?? isHttp401;
    const first = await this.getAccessToken(accountId);
    if (!first.ok) return first;
    const result = await fn(first.access_token);
    if (!unauthorized(result)) return { ok: true, value: result };
    await discardBody(result);
    this.#o.logger.info({ account: accountId }, 'provider refused the access token; refreshing once');
    const second = await this.forceRefresh(accountId, first.access_token);
    if (!second.ok) return second;
    return { ok: true, value: await fn(second.access_token) };
  }

  /** Joins this process's slow path for the account, or starts it. */
  #join(accountId: string, rejected: string | undefined): Promise<AccessTokenResult> {
    let pending = this.#inflight.get(accountId);
    if (!pending) {
      pending = this.#slowPath(accountId, rejected).finally(() => this.#inflight.delete(accountId));
      this.#inflight.set(accountId, pending);
    }
    return pending;
  }

  /** A final answer from what is stored, or undefined when a refresh is needed. */
  #settled(tokens: StoredTokenSet, rejected: string | undefined): AccessTokenResult | undefined {
    if (tokens.needs_reauth) return { ok: false, reason: 'needs_reauth' };
    const fresh = tokens.expires_at - this.#o.skewMs > this.#o.now();
    if (fresh && tokens.access_token !== rejected) return { ok: true, access_token: tokens.access_token, expires_at: tokens.expires_at };
    return undefined;
  }

  async #slowPath(accountId: string, rejected: string | undefined): Promise<AccessTokenResult> {
    const key = refreshLockKey(accountId);
    const deadline = this.#o.now() + this.#o.waitTimeoutMs;
    for (;;) {
      const seen = await this.#o.store.get(accountId);
      if (!seen) return NO_TOKENS;
      const settled = this.#settled(seen, rejected);
      if (settled) return settled;
      if ((this.#backoff.get(accountId) ?? 0) > this.#o.now()) return this.#stillValid(seen, undefined, rejected);
      if (this.#o.now() >= deadline) {
        this.#o.logger.warn({ account: accountId }, 'gave up waiting for the refresh lock');
        return { ok: false, reason: 'lock_timeout' };
      }
      const attempt = await this.#lock.tryAcquire(key);
      if (attempt.acquired) {
        let outcome: Outcome;
        try {
          // Re-read under the lock: the previous holder may have finished between our read and our lock.
          const current = await this.#o.store.get(accountId);
          outcome = !current ? NO_TOKENS : (this.#settled(current, rejected) ?? (await this.#refresh(accountId, current, rejected)));
        } finally {
          await attempt.lock.release();
        }
        if (outcome !== 'retry') return outcome;
        continue;
      }
      this.#o.logger.debug({ account: accountId, holder: attempt.holder?.owner }, 'waiting for a refresh held by another process');
      await this.#waitForOther(accountId, key, seen.revision, deadline);
    }
  }

  /** Polls until the tokens change, the lease ends, or the deadline passes. */
  async #waitForOther(accountId: string, key: string, revision: number, deadline: number): Promise<void> {
    while (this.#o.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollIntervalMs));
      if ((await this.#o.store.get(accountId))?.revision !== revision) return;
      if (await this.#lock.isFree(key)) return;
    }
  }

  /** Runs the refresh grant while holding the lock and records its outcome with compare-and-set. */
  async #refresh(accountId: string, current: StoredTokenSet, rejected: string | undefined): Promise<Outcome> {
    const { logger, store } = this.#o;
    if (!current.refresh_token) return this.#markNeedsReauth(accountId, current, 'no refresh token');
    const client = typeof this.#o.client === 'function' ? await this.#o.client(accountId) : this.#o.client;
    logger.debug({ account: accountId, owner: this.#o.owner }, 'refreshing access token');
    const answer = await refreshGrant(client, current.refresh_token, { timeoutMs: this.#o.requestTimeoutMs, dispatcher: this.#o.dispatcher });
    if (!answer.ok && answer.kind === 'invalid_grant') return this.#markNeedsReauth(accountId, current, 'invalid_grant');
    if (!answer.ok) {
      logger.warn({ account: accountId, status: answer.status, error: answer.error }, 'token refresh failed');
      this.#backoff.set(accountId, this.#o.now() + this.#o.failureBackoffMs);
      return this.#stillValid(current, answer.status, rejected);
    }
    this.#backoff.delete(accountId);
    const next: OAuth2TokenSet = {
      access_token: answer.access_token,
      // Providers that do not rotate (Pipedrive, HubSpot) send no new refresh token: keep the old one.
      refresh_token: answer.refresh_token ?? current.refresh_token,
      expires_at: this.#o.now() + (answer.expires_in ?? this.#o.defaultExpiresInS) * 1000,
    };
    if (!(await store.casPut(accountId, next, current.revision))) {
      // Someone wrote the account meanwhile (a reconnection, or a takeover after our lease expired); theirs wins.
      logger.warn({ account: accountId }, 'tokens changed during refresh; re-reading');
      return 'retry';
    }
    logger.info({ account: accountId, rotated: answer.refresh_token !== undefined, expires_at: next.expires_at }, 'access token refreshed');
    return { ok: true, access_token: next.access_token, expires_at: next.expires_at };
  }

  /** Refreshing early is a courtesy: a token still inside its lifetime remains usable when a refresh fails. */
  #stillValid(tokens: StoredTokenSet, status: number | undefined, rejected: string | undefined): AccessTokenResult {
    if (tokens.expires_at > this.#o.now() && tokens.access_token !== rejected) return { ok: true, access_token: tokens.access_token, expires_at: tokens.expires_at };
    return { ok: false, reason: 'refresh_failed', status };
  }

  /** Records `needs_reauth` in the store, so no process retries, then calls the hook once. */
  async #markNeedsReauth(accountId: string, current: StoredTokenSet, why: string): Promise<Outcome> {
    const { revision: _revision, ...tokens } = current;
    if (!(await this.#o.store.casPut(accountId, { ...tokens, needs_reauth: true }, current.revision))) return 'retry';
    this.#o.logger.warn({ account: accountId, why }, 'account needs re-authorization');
    try {
      await this.#o.onNeedsReauth?.(accountId);
    } catch (error) {
      this.#o.logger.error({ account: accountId, err: error }, 'onNeedsReauth hook failed');
    }
    return { ok: false, reason: 'needs_reauth' };
  }
}

function isHttp401(result: unknown): boolean {
  const r = result as { status?: unknown; statusCode?: unknown } | null;
  return r?.status === 401 || r?.statusCode === 401;
}

/** Frees the connection behind a refused response (undici `body.dump()`, fetch `body.cancel()`). */
async function discardBody(result: unknown): Promise<void> {
  const body = (result as { body?: { dump?: () => Promise<void>; cancel?: () => Promise<void> } } | null)?.body;
  try {
    if (typeof body?.dump === 'function') await body.dump();
    else if (typeof body?.cancel === 'function') await body.cancel();
  } catch {
    // The body is thrown away either way.
  }
}
