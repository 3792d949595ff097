export { CompoundHeader, HeaderPolicy, PolicyName, RateLimitSignals, ResetFormat, RetryAfterSource, ThrottleDetector } from '@switchyard/contracts';
export type { RateLimitSignalsInput } from '@switchyard/contracts';
export { normalizeRateLimit, type NormalizedRateLimit, type ProviderResponse } from './normalize.js';
export { parseCurrent, parsePolicies, type RateLimitCurrent, type RateLimitPolicy } from './fields.js';
export { rateLimitHeaders, type RateLimitHeaderOptions, type RateLimitHeaderValues } from './headers.js';
export { PROVIDER_RATE_LIMITED, QUOTA_EXCEEDED_TYPE, throttledProblem, type ThrottledProblem } from './problem.js';
export type { HeaderInput } from './values.js';
