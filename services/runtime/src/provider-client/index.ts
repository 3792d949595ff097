export { authorize } from './auth.js';
export { ProviderHttp, type ProviderReply } from './http.js';
export { baseUrlFor, renderTemplate } from './templates.js';
export { ProviderThrottled, UnifiedEngine, type ListInput, type UnifiedAnswer, type UnifiedTarget } from './unified.js';
export { OAuth2Tokens, refreshable, type OAuth2TokensOptions, type RefreshableAuth } from './oauth2-tokens.js';
export { ConcurrencyGovernor, type ReleaseSlot } from './governor.js';
