import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { rootSubject } from '@switchyard/contracts';
import type { Logger } from '@switchyard/kernel';
import { checkServerFeatures } from './server-features.js';
import type { NatsAuth } from './config.js';

const HOUR_MS = 3_600_000;

/**
 * The KV buckets of DESIGN §3; `tokens` holds each OAuth2 grant's current tokens, sealed (provider-client/oauth2-tokens.ts);
 * `registrations` the state of the hub's webhook at each provider (request service, docs/registration.md);
 * `polls` each polled (account, resource)'s cursor, queue head and last error, `poll_fingerprints` a hash per polled
 * record (created vs updated; request service, docs/polling.md); `delivery_order` the queue of each record whose
 * events wait behind a failed one at an ordered subscription (delivery, docs/ordering.md).
 */
export const BUCKETS = ['environments', 'api_keys', 'accounts', 'provider_apps', 'remote_keys', 'subscriptions', 'mappings', 'jobs', 'locks', 'idempotency', 'tokens', 'replay_keys', 'registrations', 'polls', 'poll_fingerprints', 'delivery_order'] as const;
export type BucketName = (typeof BUCKETS)[number];

/** Stream names, one place. */
export const STREAMS = { RAW: 'RAW', EVENTS: 'EVENTS', DELIVERIES: 'DELIVERIES', ATTEMPTS: 'ATTEMPTS', DEAD: 'DEAD' } as const;

/** Retention and placement knobs for {@link streamConfigs}. */
export interface BusOptions {
  replicas: number;
  rawRetentionHours: number;
  eventsRetentionHours: number;
  /** Bytes per stream (0 = unbounded); a stream left out keeps {@link DEFAULT_STREAM_MAX_BYTES}. */
  streamMaxBytes?: Partial<Record<StreamName, number>> | undefined;
}

/** A stream's name. */
export type StreamName = keyof typeof STREAMS;

/** The defaults of `SWITCHYARD_<STREAM>_MAX_BYTES`, for callers that pass no limits. */
export const DEFAULT_STREAM_MAX_BYTES: Readonly<Record<StreamName, number>> = {
  RAW: 1024 * 1024 * 1024,
  EVENTS: 1024 * 1024 * 1024,
  DELIVERIES: 512 * 1024 * 1024,
  ATTEMPTS: 256 * 1024 * 1024,
  DEAD: 512 * 1024 * 1024,
};

/**
 * Stream configurations (DESIGN §3). Duplicate windows make `Nats-Msg-Id` dedupe cover provider
 * retries (RAW), re-normalization (EVENTS) and re-fan-out (DELIVERIES).
 */
export function streamConfigs(options: BusOptions): Array<Partial<StreamConfig> & { name: string }> {
  const base = { storage: StorageType.File, num_replicas: options.replicas };
  const window = (hours: number) => nanos(Math.min(HOUR_MS, hours * HOUR_MS));
  // NATS spells "unbounded" -1. Streams whose messages are work not yet done refuse new ones when full
  // (the publisher sees the refusal and retries or answers 503); history streams drop their oldest.
  const limit = (name: StreamName) => {
    const bytes = options.streamMaxBytes?.[name] ?? DEFAULT_STREAM_MAX_BYTES[name];
    return { max_bytes: bytes > 0 ? bytes : -1 };
  };
  const refuseNew = { discard: DiscardPolicy.New };
  const dropOld = { discard: DiscardPolicy.Old };
  return [
    {
      ...base,
      ...refuseNew,
      ...limit('RAW'),
      name: STREAMS.RAW,
      description: 'verified inbound webhook bytes',
      subjects: [rootSubject('raw')],
      retention: RetentionPolicy.Limits,
      max_age: nanos(options.rawRetentionHours * HOUR_MS),
      duplicate_window: window(options.rawRetentionHours),
    },
    {
      ...base,
      ...dropOld,
      ...limit('EVENTS'),
      name: STREAMS.EVENTS,
      description: 'normalized events: events.<env>.<category>.<resource>.<action>',
      subjects: [rootSubject('events')],
      retention: RetentionPolicy.Limits,
      max_age: nanos(options.eventsRetentionHours * HOUR_MS),
      duplicate_window: window(options.eventsRetentionHours),
    },
    {
      ...base,
      ...refuseNew,
      ...limit('DELIVERIES'),
      name: STREAMS.DELIVERIES,
      description: 'one task per (event, endpoint)',
      subjects: [rootSubject('deliveries')],
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(HOUR_MS),
    },
    {
      ...base,
      ...dropOld,
      ...limit('ATTEMPTS'),
      name: STREAMS.ATTEMPTS,
      description: 'delivery attempt log (no bodies)',
      subjects: [rootSubject('attempts')],
      retention: RetentionPolicy.Limits,
      max_age: nanos(7 * 24 * HOUR_MS),
    },
    {
      ...base,
      ...refuseNew,
      ...limit('DEAD'),
      name: STREAMS.DEAD,
      description: 'failed mappings and exhausted deliveries, replayable',
      subjects: [rootSubject('dead')],
      retention: RetentionPolicy.Limits,
      max_age: nanos(14 * 24 * HOUR_MS),
    },
  ];
}

/** A connected bus: the NATS connection, JetStream clients and the KV buckets. */
export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kv: Readonly<Record<BucketName, KV>>;
  readonly serverVersion: string;
  /** False while the connection is down and reconnecting (readiness). */
  isConnected(): boolean;
  /** Drains the connection: in-flight publishes and acks complete, subscriptions stop. */
  close(): Promise<void>;
}

/** Options for {@link connectBus}. */
export interface ConnectBusOptions extends BusOptions {
  servers: string;
  name: string;
  logger: Logger;
  /** Credentials for servers that require them (the embedded server always does). */
  auth?: NatsAuth;
}

/**
 * Connects to NATS (reconnecting forever), checks the server's features and creates or updates every
 * stream and bucket. Idempotent: any number of processes may run it at start-up.
 */
export async function connectBus(options: ConnectBusOptions): Promise<Bus> {
  const nc = await connect({
    servers: options.servers.split(','),
    name: options.name,
    ...(await authOptions(options.auth)),
    // Replies and KV watch deliveries come to this process's own inbox prefix, so a per-service NATS
    // user can be allowed to subscribe to its inbox alone (infra/nats/permissions.conf).
    inboxPrefix: `_INBOX_${options.name.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Pre-building an Error (with its stack) for every request and publish cost ~11% of the hub's CPU
    // under load; our own errors name the operation that failed instead.
    noAsyncTraces: true,
  });
  const link = { connected: true };
  void watchStatus(nc, options.logger, link);
  const version = nc.info?.version ?? '0.0.0';
  try {
    const optionalMissing = checkServerFeatures(version, nc.info?.jetstream ?? false);
    if (optionalMissing.length > 0) {
      options.logger.info({ version, unavailable: optionalMissing }, 'nats-server lacks optional features');
    }
    // A fresh cluster answers JetStream API calls only once its meta leader is elected; retry meanwhile.
    const jsm = await untilReady(() => jetstreamManager(nc), options.logger);
    for (const config of streamConfigs(options)) await untilReady(() => ensureStream(jsm, config), options.logger);
    const js = jetstream(nc);
    const kvm = new Kvm(js);
    const kv = {} as Record<BucketName, KV>;
    for (const name of BUCKETS) {
      // Job progress and idempotency records are only worth keeping for a day; the rest is control data.
      // Replay keys (edge, providers without signed timestamps) must outlive every RAW message they guard.
      const ttl = name === 'jobs' || name === 'idempotency' ? { ttl: 86_400_000 } : name === 'replay_keys' ? { ttl: options.rawRetentionHours * HOUR_MS } : {};
      // Tokens keep no history: earlier versions are secrets nobody needs (a non-rotating refresh token stays live).
      const history = name === 'mappings' ? 64 : name === 'tokens' || name === 'replay_keys' || name === 'delivery_order' ? 1 : 10;
      kv[name] = await untilReady(() => kvm.create(name, { history, replicas: options.replicas, ...ttl }), options.logger);
    }
    return {
      nc,
      js,
      jsm,
      kv,
      serverVersion: version,
      isConnected: () => link.connected && !nc.isClosed() && !nc.isDraining(),
      close: () => nc.drain(),
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/** How long bootstrap keeps retrying while JetStream is not ready (cluster forming), in ms. */
const BOOTSTRAP_DEADLINE_MS = 60_000;

/**
 * Retries a bootstrap step on timeouts and "not ready" answers for up to {@link BOOTSTRAP_DEADLINE_MS};
 * any other error (bad configuration, permissions) fails at once.
 */
async function untilReady<T>(step: () => Promise<T>, logger: Logger): Promise<T> {
  const deadline = Date.now() + BOOTSTRAP_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
      const transient = /timeout|timed out|no responders|not ready|unavailable|503|leader/i.test(message);
      if (!transient || Date.now() > deadline) throw error;
      logger.warn({ attempt, error: message }, 'JetStream not ready yet; retrying bootstrap');
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 3_000)));
    }
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const name = config.name;
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add(config);
    return;
  }
  // Existing stream: bring the mutable limits in line (replicas and retention cannot change in place).
  const { retention: _r, storage: _s, num_replicas: _n, name: _name, ...mutable } = config;
  await jsm.streams.update(name, mutable);
}

/** nats.js connection options for `auth`; a creds file is read once, at connect. */
async function authOptions(auth: NatsAuth | undefined): Promise<{ user?: string; pass?: string; token?: string; authenticator?: ReturnType<typeof credsAuthenticator> }> {
  if (!auth) return {};
  return {
    ...(auth.user !== undefined ? { user: auth.user, pass: auth.pass ?? '' } : {}),
    ...(auth.token !== undefined ? { token: auth.token } : {}),
    ...(auth.credsFile !== undefined ? { authenticator: credsAuthenticator(await readFile(auth.credsFile)) } : {}),
  };
}

async function watchStatus(nc: NatsConnection, logger: Logger, link: { connected: boolean }): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') link.connected = false;
    if (status.type === 'reconnect') link.connected = true;
    if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
      logger.warn({ nats: status.type, server: 'server' in status ? status.server : undefined }, 'nats connection status');
    }
  }
}
