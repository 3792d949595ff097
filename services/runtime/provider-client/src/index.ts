/**
 * @switchyard/provider-client — calling provider APIs as the definitions declare: outbound HTTP under
 * the egress policy, auth headers, OAuth2 tokens, per-account concurrency caps, the unified engine
 * (templates, pagination, sealed cursors) and rate-limit signals mapped onto the IETF RateLimit fields.
 * Imports provider-auth, stores, mapping, bus and kernel.
 */
export { authorize, authorizedUrl } from './auth.js';
export { openProviderClient, type ProviderClient, type ProviderClientOptions } from './client.js';
export { ProviderEnv } from './config.js';
export { ConcurrencyGovernor, withAccountSlot, type ReleaseSlot } from './governor.js';
export { RegistrationCalls, type RegistrationAnswer, type RegistrationTarget } from './registration-calls.js';
export { ProviderHttp, type ProviderReply, type ProviderRequest } from './http.js';
export { callWithAccessToken, OAuth2Tokens, type OAuth2TokensOptions, type RefreshableAuth, type TokenedCall } from './oauth2-tokens.js';
export { baseUrlFor, renderTemplate } from './templates.js';
export { ProviderThrottled, UnifiedEngine, type ApiOverrides, type ListInput, type TenantExpressions, type UnifiedAnswer, type UnifiedEngineParts, type UnifiedTarget } from './unified.js';
export * as rateLimit from './rate-limit/index.js';
export * as cursors from './cursor/index.js';
