import type { KV } from '@nats-io/kv';
import { isCasConflict, keyToken } from '@switchyard/bus';

/** An account's OAuth2 tokens as the refresher needs them. */
export interface OAuth2TokenSet {
  access_token: string;
  /** Null when the provider issued none (client-credentials grants): nothing to refresh with. */
  refresh_token: string | null;
  /** When the access token expires, in epoch milliseconds. */
  expires_at: number;
  /**
   * Set when the provider answered `invalid_grant`: the account must be reconnected, and no process
   * tries to refresh it again. Backed by the account's `needs_reauth` status in the AccountStore.
   */
  needs_reauth?: boolean;
}

/** A token set with the revision a compare-and-set must name to replace it. */
export interface StoredTokenSet extends OAuth2TokenSet {
  revision: number;
}

/**
 * Where tokens live. The refresher relies on `casPut` being atomic: with single-use refresh tokens
 * (Gusto, Xero) a lost write loses the only refresh token that still works.
 */
export interface TokenStore {
  /** The current tokens and their revision, or undefined when the account has none. */
  get(accountId: string): Promise<StoredTokenSet | undefined>;
  /**
   * Replaces the tokens only if they are still at `revision`; false when another writer got there first.
   * `revision` 0 means "only if none are stored".
   */
  casPut(accountId: string, tokens: OAuth2TokenSet, revision: number): Promise<boolean>;
}

/**
 * A {@link TokenStore} in a KV bucket, keyed `<prefix>.<account>`. Tokens are stored in plain JSON, so
 * this is for tests and local development; production backs the interface with the sealed AccountStore.
 */
export class KvTokenStore implements TokenStore {
  readonly #kv: KV;
  readonly #prefix: string;

  constructor(kv: KV, prefix = 'oauth2-tokens') {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  async get(accountId: string): Promise<StoredTokenSet | undefined> {
    const entry = await this.#kv.get(this.#key(accountId));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { ...(entry.json<OAuth2TokenSet>()), revision: entry.revision };
  }

  async casPut(accountId: string, tokens: OAuth2TokenSet, revision: number): Promise<boolean> {
    const { access_token, refresh_token, expires_at, needs_reauth } = tokens;
    const value = JSON.stringify({ access_token, refresh_token, expires_at, ...(needs_reauth ? { needs_reauth } : {}) });
    try {
      if (revision === 0) await this.#kv.create(this.#key(accountId), value);
      else await this.#kv.update(this.#key(accountId), value, revision);
      return true;
    } catch (error) {
      if (isCasConflict(error)) return false;
      throw error;
    }
  }

  /** Stores tokens unconditionally, as a completed authorization-code flow does. */
  async put(accountId: string, tokens: OAuth2TokenSet): Promise<number> {
    return this.#kv.put(this.#key(accountId), JSON.stringify(tokens));
  }

  #key(accountId: string): string {
    return `${this.#prefix}.${keyToken(accountId)}`;
  }
}
