/**
 * @switchyard/bus — NATS JetStream as the hub's only stateful dependency: the connection and its
 * bootstrap (streams, buckets, server features), durable publishes, consumers, stream pages, KV
 * collections and locks, and the writers of shared messages (delivery tasks, dead letters,
 * operational events). Subjects come from `@switchyard/contracts`; imports only the kernel below it.
 */
export { BUCKETS, connectBus, STREAMS, streamConfigs, DEFAULT_STREAM_MAX_BYTES, type StreamName, type BucketName, type Bus, type BusOptions, type ConnectBusOptions } from './bus.js';
export { DEAD_HEADERS, RAW_HEADERS, TASK_HEADERS } from './bus-headers.js';
export { natsAuthFrom, NatsEnv, PublishEnv, streamMaxBytesFrom, StreamLimitsEnv, type NatsAuth } from './config.js';
export { runConsumer, terminate, type ConsumerOptions } from './consumer.js';
export { publishDeadLetter, type DeadLetter } from './dead-letters.js';
export { enqueueDelivery, enqueueRetry, type DeliveryTask, type RetryTask } from './delivery-tasks.js';
export { isCasConflict, keyToken } from './kv-cas.js';
export { KvCollection } from './kv-collection.js';
export { KvLock, type HeldLock, type LockAttempt, type LockValue } from './kv-lock.js';
export { startLeasedLoop, type LeasedLoopOptions } from './leased-loop.js';
export { leaseOwner, startShardLeases, type ShardLeaseOptions, type ShardLeases } from './shard-leases.js';
export { publishOperationalEvent } from './operational-events.js';
export { publishDurable } from './publish.js';
export { describeConsumed, readTrace, TRACE_HEADERS, writeTrace } from './trace-headers.js';
export { checkServerFeatures, compareVersions, FEATURE_TABLE, NATS_SERVER_FLOOR } from './server-features.js';
export { deleteMatching, readStream, type ReadStreamOptions, type StoredEntry, type StreamPage } from './stream-reader.js';
export { decodeSeen, encodeSeen, fingerprintKey, reconciles, unifiedFingerprint, type SeenRecord } from './record-fingerprints.js';
