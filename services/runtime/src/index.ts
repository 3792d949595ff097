export { BUCKETS, STREAMS, connectBus, streamConfigs, type Bus, type BucketName, type BusOptions } from './bus.js';
export { defaultMappingsDir, mappingVersion, ProviderCatalog, type LoadedProvider, type MappingSource } from './catalog.js';
export {
  AdminEnv,
  CatalogEnv,
  DeliveryEnv,
  EdgeEnv,
  EgressEnv,
  HttpEnv,
  RotationEnv,
  LogEnv,
  NatsEnv,
  SecretsEnv,
  loadConfig,
} from './config.js';
export { openContext, type ContextOptions, type RuntimeContext } from './context.js';
export { egressConnector, EgressPolicy } from './egress.js';
export { deterministicId, randomId, sha256Hex } from './ids.js';
export { KvCollection } from './kv-collection.js';
export { closeAll, closeOnSignals, type Closeable } from './lifecycle.js';
export { createLogger, REDACT_PATHS, type Logger } from './logger.js';
export { MappingEngine, toIsoDateTime, type MappingLimits } from './mapping-engine.js';
export { registerMappingFunctions, type MappingFunctionContext, type MoneyValue } from './mapping-functions.js';
/** The pure functions behind the mapping library (`mappingFunctions.phone('020 7946 0000', 44)`). */
export * as mappingFunctions from './mapping-functions.js';
export { Metrics } from './metrics.js';
export { freePort, natsServerVersion, portInUse, startNatsServer, type NatsServerHandle, type NatsServerOptions } from './nats-server.js';
export { checkServerFeatures, compareVersions, FEATURE_TABLE, NATS_SERVER_FLOOR } from './server-features.js';
export { mediaType, parseBody } from './body-format.js';
export { jsonOf, valueAt } from './json-value.js';
export { publishDurable } from './publish.js';
export { DEAD_HEADERS, RAW_HEADERS, TASK_HEADERS } from './bus-headers.js';
export { operationalSubject, publishOperationalEvent } from './operational-events.js';
export { readStream, type ReadStreamOptions, type StoredEntry, type StreamPage } from './stream-reader.js';
export { enqueueDelivery, type DeliveryTask } from './delivery-tasks.js';
export { runConsumer, type ConsumerOptions } from './consumer.js';
export { runStandalone, ServiceEnv, type ServiceConfig, type StandaloneParts } from './standalone.js';
export { createHttpApp, type HttpAppOptions } from './http/app.js';
export { parseInput, registerProblemHandler, toSwitchyardError } from './http/problem.js';
export { accountView, AccountStore, type AccountChanges, type AccountRecord, type AccountStatus, type NewAccount } from './stores/accounts.js';
export { EnvironmentStore, tokensEqual, type ApiKeyRecord } from './stores/environments.js';
export { MappingStore, type OverrideLevel, type OverrideRecord, type OverrideRevision, type ResolvedMapping } from './stores/mappings.js';
export { ProviderAppStore, providerAppView, type AppSecrets, type ProviderAppInput, type ProviderAppRecord } from './stores/provider-apps.js';
export {
  SubscriptionStore,
  subscriptionView,
  type NewSubscription,
  type RevealedCredential,
  type SubscriptionChanges,
  type SubscriptionRecord,
} from './stores/subscriptions.js';
export { activeKeys, ed25519PrivateKey, generateSigningKey, revealedCredential, type SigningKey } from './signing-keys.js';
export { generateKey, parseKey, Vault, type Sealed } from './vault.js';
export { eventId, normalize, syntheticAccount, type RawDelivery } from './normalize.js';
export * as rateLimit from './rate-limit/index.js';
export * as cursors from './cursor/index.js';
export * as idempotency from './idempotency/index.js';
export * as providerAuth from './provider-auth/index.js';
export * as providerClient from './provider-client/index.js';
export { ConnectStates, type ConnectState } from './connect-state.js';
