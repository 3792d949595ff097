import { serializeCurrent, serializePolicies } from './fields.js';
import type { NormalizedRateLimit } from './normalize.js';

/** The rate-limit response headers the hub sends, lower-case names; absent ones are omitted. */
export interface RateLimitHeaderValues {
  'ratelimit-policy'?: string;
  ratelimit?: string;
  'retry-after'?: string;
}

/** Options for {@link rateLimitHeaders}. */
export interface RateLimitHeaderOptions {
  /**
   * Partition key (`pk`) for members that carry none, e.g. the integrated account id, so a client that
   * calls through several accounts can tell their quotas apart. Sent as a Byte Sequence: visible to the
   * caller, so never a secret.
   */
  partitionKey?: string | Uint8Array;
}

/**
 * Renders a normalized result as draft-11 `RateLimit-Policy` and `RateLimit` fields (Structured Field
 * Lists: quoted-string names, Integer parameters, `pk` as a Byte Sequence) plus `Retry-After` in
 * delay-seconds whenever one is known (a pass-through 503 may carry it too).
 */
export function rateLimitHeaders(result: NormalizedRateLimit, options: RateLimitHeaderOptions = {}): RateLimitHeaderValues {
  const pk = typeof options.partitionKey === 'string' ? new TextEncoder().encode(options.partitionKey) : options.partitionKey;
  const out: RateLimitHeaderValues = {};
  const policy = serializePolicies(result.policies, pk);
  if (policy !== undefined) out['ratelimit-policy'] = policy;
  const current = serializeCurrent(result.current, pk);
  if (current !== undefined) out.ratelimit = current;
  if (result.retryAfterS !== undefined) out['retry-after'] = String(Math.max(0, Math.ceil(result.retryAfterS)));
  return out;
}
