import { join, resolve } from 'node:path';
import { compareVersions, NATS_SERVER_FLOOR, natsAuthFrom, streamMaxBytesFrom, type NatsAuth } from '@switchyard/bus';
import { SwitchyardError } from '@switchyard/contracts';
import { deliveryOptionsFrom, deliveryParts, startDelivery } from '@switchyard/delivery';
import { edgeParts, startEdge } from '@switchyard/edge';
import { closeAll, createHttpApp, generateKey, routesOf, startTracing, type Closeable, type Logger, type ResponseObserver, type TracingOptions } from '@switchyard/kernel';
import { freePort, natsServerVersion, portInUse, startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { normalizerParts, startNormalizer } from '@switchyard/normalizer';
import { requestParts, startRequest } from '@switchyard/request';
import { sandboxOptionsFrom } from '@switchyard/mapping';
import { Runtime } from '@switchyard/runtime';
import type { HubConfig } from './config.js';
import { generateAdminToken, generateMetricsToken, generateNatsPassword, persistentSecret } from './data-dir.js';

/** The embedded nats-server's one user; its password is generated into the data dir. */
export const EMBEDDED_NATS_USER = 'switchyard';
/** Files in the data dir holding the embedded server's password and (opt-in) store key, both 0600. */
export const NATS_PASSWORD_FILE = 'nats-password';
export const NATS_ENCRYPTION_KEY_FILE = 'nats-encryption-key';

/** A running hub. */
export interface Hub {
  /** `http://HOST:PORT` it listens on. */
  readonly url: string;
  readonly publicUrl: string;
  readonly natsUrl: string;
  readonly adminToken: string;
  /** Where the admin token came from, for the start-up banner. */
  readonly adminTokenSource: 'environment' | 'generated' | 'data-dir';
  /** The admin-token file, when the token is kept in the data dir (the banner prints this, never the token). */
  readonly adminTokenPath: string | undefined;
  /** The embedded nats-server's password file (user {@link EMBEDDED_NATS_USER}). */
  readonly natsPasswordPath: string | undefined;
  /** True when the embedded server encrypts JetStream's store at rest. */
  readonly natsEncrypted: boolean;
  readonly embeddedNats: boolean;
  /** The bearer token `/metrics` requires (from SWITCHYARD_METRICS_TOKEN or `<data dir>/metrics-token`). */
  readonly metricsToken: string;
  /** Exceptions for deliveries (`SWITCHYARD_EGRESS_ALLOW`), for the start-up banner. */
  readonly egressAllow: readonly string[];
  /** Exceptions for provider calls (`SWITCHYARD_PROVIDER_EGRESS_ALLOW`), for the start-up banner. */
  readonly providerEgressAllow: readonly string[];
  /** The process's parts, shared by every service in it. */
  readonly runtime: Runtime;
  /** Every HTTP route it serves (method and pattern, e.g. `GET /v1/subscriptions/:id`), HEAD included. */
  readonly routes: ReadonlyArray<{ method: string; url: string }>;
  /** Stops HTTP, then workers (in-flight messages finish), then NATS (drained), then the embedded server. */
  close(): Promise<void>;
}

/** What a caller embedding the hub may add beyond its configuration. */
export interface HubOptions {
  /** Sees every HTTP answer before it is sent (the test suite checks each against the OpenAPI document). */
  observeResponse?: ResponseObserver;
  /** Where spans go instead of the OTEL_TRACES_EXPORTER exporters (tests); tracing still needs OTEL_TRACES_EXPORTER. */
  spanExporter?: TracingOptions['exporter'];
}

/**
 * Starts the embedded default: every service in one process on one port, and a local nats-server with
 * JetStream in `<data dir>/nats` when `NATS_URL` is unset.
 */
export async function startHub(config: HubConfig, logger: Logger, options: HubOptions = {}): Promise<Hub> {
  const dataDir = resolve(config.SWITCHYARD_DATA_DIR);
  const handles: Closeable[] = [];
  try {
    // First opened, last closed: spans of the shutdown itself are flushed too.
    const tracing = await startTracing(config, { serviceName: 'switchyard-hub', exporter: options.spanExporter });
    handles.push(tracing);
    if (tracing.tracer.enabled) logger.info({ exporters: config.OTEL_TRACES_EXPORTER, sampler: config.OTEL_TRACES_SAMPLER }, 'tracing on');
    const admin = config.SWITCHYARD_ADMIN_TOKEN
      ? { value: config.SWITCHYARD_ADMIN_TOKEN, created: false, source: 'environment' as const }
      : await persistentSecret(dataDir, 'admin-token', generateAdminToken).then((s) => ({ ...s, source: s.created ? ('generated' as const) : ('data-dir' as const) }));
    const encryptionKey = config.SWITCHYARD_ENCRYPTION_KEY ?? (await persistentSecret(dataDir, 'encryption-key', generateKey)).value;

    let natsUrl = config.NATS_URL;
    let natsAuth: NatsAuth = natsAuthFrom(config);
    let server: NatsServerHandle | undefined;
    let natsPasswordPath: string | undefined;
    let natsEncrypted = false;
    if (!natsUrl) {
      const version = await natsServerVersion();
      if (compareVersions(version, NATS_SERVER_FLOOR) < 0) {
        throw new SwitchyardError('SWY_ERR_NATS_SERVER_TOO_OLD', `nats-server ${version} found; ${NATS_SERVER_FLOOR} or newer is needed`);
      }
      const port = config.SWITCHYARD_NATS_PORT !== 0 && !(await portInUse(config.SWITCHYARD_NATS_PORT)) ? config.SWITCHYARD_NATS_PORT : 0;
      // A generated password, reused across restarts: without one any local process could read every
      // tenant's payloads or publish a forged raw message the hub would deliver with a valid signature.
      const password = (await persistentSecret(dataDir, NATS_PASSWORD_FILE, generateNatsPassword)).value;
      natsPasswordPath = join(dataDir, NATS_PASSWORD_FILE);
      natsAuth = { user: EMBEDDED_NATS_USER, pass: password };
      const storeKey =
        config.SWITCHYARD_NATS_ENCRYPTION_KEY ??
        (config.SWITCHYARD_NATS_ENCRYPT ? (await persistentSecret(dataDir, NATS_ENCRYPTION_KEY_FILE, generateNatsPassword)).value : undefined);
      natsEncrypted = storeKey !== undefined;
      server = await startNatsServer({
        storeDir: resolve(dataDir, 'nats'),
        port,
        host: '127.0.0.1',
        auth: { user: EMBEDDED_NATS_USER, password },
        ...(storeKey ? { encryptionKey: storeKey } : {}),
      });
      handles.push({ close: () => server!.stop() });
      natsUrl = server.url;
      logger.info({ nats: natsUrl, version, storeDir: server.storeDir, encrypted: natsEncrypted }, 'embedded nats-server started');
    }

    // No loopback by default, embedded or not: several tenants share a hub, and a local service is
    // reachable only where the operator lists it (e.g. SWITCHYARD_EGRESS_ALLOW=127.0.0.1:9000).
    const egressAllow = config.SWITCHYARD_EGRESS_ALLOW;
    const providerEgressAllow = config.SWITCHYARD_PROVIDER_EGRESS_ALLOW;
    // PORT=0 asks for any free port; pick it now so account webhook URLs name the real one.
    const port = config.PORT || (await freePort(config.HOST));
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    const publicUrl = config.SWITCHYARD_PUBLIC_URL ?? url;
    const runtime = await Runtime.open({
      name: 'switchyard-hub',
      logger,
      natsUrl,
      natsAuth,
      replicas: config.SWITCHYARD_NATS_REPLICAS,
      rawRetentionHours: config.SWITCHYARD_RAW_RETENTION_HOURS,
      eventsRetentionHours: config.SWITCHYARD_EVENTS_RETENTION_HOURS,
      streamMaxBytes: streamMaxBytesFrom(config),
      encryptionKey,
      egressAllow,
      providerEgressAllow,
      egressAllowHttp: config.SWITCHYARD_EGRESS_ALLOW_HTTP,
      mappingsDir: config.SWITCHYARD_MAPPINGS_DIR,
      providerTimeoutMs: config.SWITCHYARD_PROVIDER_TIMEOUT_MS,
      providerJobTimeoutMs: config.SWITCHYARD_PROVIDER_JOB_TIMEOUT_MS,
      sandbox: sandboxOptionsFrom(config),
      publicUrl,
      tracer: tracing.tracer,
    });
    handles.push(runtime);

    const metricsToken = config.SWITCHYARD_METRICS_TOKEN ?? (await persistentSecret(dataDir, 'metrics-token', generateMetricsToken)).value;
    const app = createHttpApp({ logger, metrics: runtime.metrics, readiness: runtime.bus, trustedProxies: config.SWITCHYARD_TRUSTED_PROXIES, metricsToken, ...(options.observeResponse ? { observeResponse: options.observeResponse } : {}) });
    handles.push(
      await startNormalizer(await normalizerParts(runtime), { concurrency: config.SWITCHYARD_NORMALIZER_CONCURRENCY, publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS }),
      await startDelivery(await deliveryParts(runtime), deliveryOptionsFrom(config)),
      await startEdge(app, await edgeParts(runtime), { bodyLimit: config.SWITCHYARD_BODY_LIMIT_BYTES, publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS }),
      await startRequest(app, await requestParts(runtime), {
        adminToken: admin.value,
        rotationOverlapMs: config.SWITCHYARD_SECRET_ROTATION_OVERLAP_MS,
        publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS,
        maxRunningReplays: config.SWITCHYARD_REPLAY_MAX_RUNNING,
        eventsLookupWindow: config.SWITCHYARD_EVENTS_LOOKUP_WINDOW,
        registration: config,
        polling: config,
        exports: config,
      }),
    );
    await app.listen({ port, host: config.HOST });
    handles.push({ close: () => app.close() });
    return {
      url,
      publicUrl,
      natsUrl,
      adminToken: admin.value,
      adminTokenSource: admin.source,
      adminTokenPath: admin.source === 'environment' ? undefined : join(dataDir, 'admin-token'),
      natsPasswordPath,
      natsEncrypted,
      embeddedNats: server !== undefined,
      egressAllow,
      providerEgressAllow,
      metricsToken,
      runtime,
      routes: routesOf(app),
      close: () => closeAll(handles),
    };
  } catch (error) {
    await closeAll(handles).catch(() => undefined);
    throw error;
  }
}
