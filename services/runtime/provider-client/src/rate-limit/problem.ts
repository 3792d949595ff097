import type { NormalizedRateLimit } from './normalize.js';

/** The problem type draft-ietf-httpapi-ratelimit-headers-11 registers for an exhausted quota. */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded';

/** Our error code for provider throttling (registered in the contracts error registry). */
export const PROVIDER_RATE_LIMITED = 'SWY_ERR_PROVIDER_RATE_LIMITED';

/** RFC 9457 body for a provider's throttling, served as `application/problem+json` with status 429. */
export interface ThrottledProblem {
  type: typeof QUOTA_EXCEEDED_TYPE;
  title: string;
  status: 429;
  code: typeof PROVIDER_RATE_LIMITED;
  detail: string;
  provider: string;
  'violated-policies': string[];
  retry_after_s?: number;
}

/**
 * The body the hub answers with when a provider throttled the call. It names the provider, so the
 * caller knows whose quota ran out (not ours), and the violated policies, which match the names in the
 * `RateLimit` header sent beside it. The hub does not retry: the caller decides when.
 */
export function throttledProblem(provider: string, result: NormalizedRateLimit): ThrottledProblem {
  const violated = result.violated.length > 0 ? result.violated : ['default'];
  const wait = result.retryAfterS === undefined ? 'the provider did not say when to retry' : `retry after ${result.retryAfterS} s`;
  const problem: ThrottledProblem = {
    type: QUOTA_EXCEEDED_TYPE,
    title: 'Provider rate limit exceeded',
    status: 429,
    code: PROVIDER_RATE_LIMITED,
    detail: `${provider} refused the call for exceeding its rate limit (${violated.join(', ')}); ${wait}`,
    provider,
    'violated-policies': violated,
  };
  if (result.retryAfterS !== undefined) problem.retry_after_s = result.retryAfterS;
  return problem;
}
