export { canonicalJson, requestFingerprint, type FingerprintInput } from './fingerprint.js';
export {
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyStore,
  type BeginResult,
  type IdempotencyLease,
  type IdempotencyOutcome,
  type IdempotencyStoreOptions,
} from './store.js';
