import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';

/** Tuning for remote key sets; the defaults suit production, tests shorten the cooldown. */
export interface JwksCacheOptions {
  /** Least time between two refetches prompted by an unknown `kid`, in ms (default 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are used before a refetch, in ms (default 10 min). */
  maxAgeMs?: number;
  /** Abort a JWKS fetch after this long, in ms (default 5 s). */
  timeoutMs?: number;
  /**
   * How key sets are fetched: the edge passes the provider-egress pool, so a JWKS URL is held to the
   * same egress policy as every provider call. Default: the global fetch (tests).
   */
  fetch?: (url: string, init: { headers?: Record<string, string>; signal?: AbortSignal; method?: string }) => Promise<Response>;
}

/** The provider's key set could not be fetched or read: our problem, answered 503 so the provider retries. */
export class JwksUnavailable extends Error {
  constructor(url: string, options: { cause: unknown }) {
    super(`JWKS ${url} could not be fetched`, options);
    this.name = 'JwksUnavailable';
  }
}

/**
 * One `jose` remote key set per JWKS URL, created on first use and kept, so keys are fetched once and
 * refetched when a token names an unknown `kid` (a provider rotated its keys), at most once per cooldown.
 * JWKS URLs come from provider definitions (reviewed data), never from customers.
 */
export class JwksCache {
  readonly #sets = new Map<string, JWTVerifyGetKey>();
  readonly #options: JwksCacheOptions;

  constructor(options: JwksCacheOptions = {}) {
    this.#options = options;
  }

  /** The key resolver for `url`. Fetch failures surface as {@link JwksUnavailable}, key mismatches as jose errors. */
  get(url: string): JWTVerifyGetKey {
    let resolver = this.#sets.get(url);
    if (!resolver) {
      const remote = createRemoteJWKSet(new URL(url), {
        cooldownDuration: this.#options.cooldownMs ?? 30_000,
        cacheMaxAge: this.#options.maxAgeMs ?? 600_000,
        timeoutDuration: this.#options.timeoutMs ?? 5_000,
        ...(this.#options.fetch ? { [customFetch]: this.#options.fetch as (url: string, init: object) => Promise<Response> } : {}),
      });
      resolver = async (protectedHeader, token) => {
        try {
          return await remote(protectedHeader, token);
        } catch (error) {
          // A token naming no key (or several) is the sender's problem; anything else is the fetch.
          if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
          if (error instanceof errors.JOSENotSupported) throw error;
          throw new JwksUnavailable(url, { cause: error });
        }
      };
      this.#sets.set(url, resolver);
    }
    return resolver;
  }
}

let shared: JwksCache | undefined;

/** The process-wide cache used when a caller passes none. */
export function sharedJwksCache(): JwksCache {
  shared ??= new JwksCache();
  return shared;
}
