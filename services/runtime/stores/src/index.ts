/**
 * @switchyard/stores — the control data in KV, each store a watched, decrypting view of one bucket:
 * environments and API keys, integrated accounts, provider apps, subscriptions (with their signing
 * keys) and mapping overrides. Imports the bus, the mapping package (overrides resolve against the
 * catalog) and the kernel.
 */
export {
  accountView,
  AccountStore,
  syntheticAccount,
  type AccountChanges,
  type AccountRecord,
  type AccountStatus,
  type AccountVerification,
  type NewAccount,
} from './accounts.js';
export { capturePending, confirmPending, openVerification, verificationOpen, type VerificationResult } from './account-verification.js';
export { EnvironmentStore, tokensEqual, type ApiKeyRecord } from './environments.js';
export { pruneApiNulls, resolveApiResource, validateApiOverride, type ApiOverrideSection, type ResolvedApiResource } from './api-overrides.js';
export { MappingStore, type OverrideLevel, type OverrideRecord, type OverrideRevision, type ResolvedMapping } from './mappings.js';
export { ProviderAppStore, providerAppView, type AppSecrets, type ProviderAppInput, type ProviderAppRecord } from './provider-apps.js';
export { activeKeys, ed25519PrivateKey, generateSigningKey, revealedCredential, type SigningKey } from './signing-keys.js';
export {
  SubscriptionStore,
  type NewSubscription,
  type RevealedCredential,
  type SubscriptionChanges,
  type SubscriptionRecord,
} from './subscriptions.js';
