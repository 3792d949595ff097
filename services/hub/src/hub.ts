import { resolve } from 'node:path';
import { compareVersions, NATS_SERVER_FLOOR } from '@switchyard/bus';
import { SwitchyardError } from '@switchyard/contracts';
import { deliveryOptionsFrom, deliveryParts, startDelivery } from '@switchyard/delivery';
import { edgeParts, startEdge } from '@switchyard/edge';
import { closeAll, createHttpApp, generateKey, type Closeable, type Logger } from '@switchyard/kernel';
import { freePort, natsServerVersion, portInUse, startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { normalizerParts, startNormalizer } from '@switchyard/normalizer';
import { requestParts, startRequest } from '@switchyard/request';
import { Runtime } from '@switchyard/runtime';
import type { HubConfig } from './config.js';
import { generateAdminToken, persistentSecret } from './data-dir.js';

/** Loopback, allowed for deliveries by the embedded default so a local endpoint works out of the box. */
export const EMBEDDED_EGRESS_ALLOW = ['127.0.0.0/8', '::1'] as const;

/** A running hub. */
export interface Hub {
  /** `http://HOST:PORT` it listens on. */
  readonly url: string;
  readonly publicUrl: string;
  readonly natsUrl: string;
  readonly adminToken: string;
  /** Where the admin token came from, for the start-up banner. */
  readonly adminTokenSource: 'environment' | 'generated' | 'data-dir';
  readonly embeddedNats: boolean;
  readonly egressAllow: readonly string[];
  /** The process's parts, shared by every service in it. */
  readonly runtime: Runtime;
  /** Stops HTTP, then workers (in-flight messages finish), then NATS (drained), then the embedded server. */
  close(): Promise<void>;
}

/**
 * Starts the embedded default: every service in one process on one port, and a local nats-server with
 * JetStream in `<data dir>/nats` when `NATS_URL` is unset. `rawEnv` tells "unset" from "empty" for the
 * egress allow-list.
 */
export async function startHub(config: HubConfig, logger: Logger, rawEnv: NodeJS.ProcessEnv = process.env): Promise<Hub> {
  const dataDir = resolve(config.SWITCHYARD_DATA_DIR);
  const handles: Closeable[] = [];
  try {
    const admin = config.SWITCHYARD_ADMIN_TOKEN
      ? { value: config.SWITCHYARD_ADMIN_TOKEN, created: false, source: 'environment' as const }
      : await persistentSecret(dataDir, 'admin-token', generateAdminToken).then((s) => ({ ...s, source: s.created ? ('generated' as const) : ('data-dir' as const) }));
    const encryptionKey = config.SWITCHYARD_ENCRYPTION_KEY ?? (await persistentSecret(dataDir, 'encryption-key', generateKey)).value;

    let natsUrl = config.NATS_URL;
    let server: NatsServerHandle | undefined;
    if (!natsUrl) {
      const version = await natsServerVersion();
      if (compareVersions(version, NATS_SERVER_FLOOR) < 0) {
        throw new SwitchyardError('SWY_ERR_NATS_SERVER_TOO_OLD', `nats-server ${version} found; ${NATS_SERVER_FLOOR} or newer is needed`);
      }
      const port = config.SWITCHYARD_NATS_PORT !== 0 && !(await portInUse(config.SWITCHYARD_NATS_PORT)) ? config.SWITCHYARD_NATS_PORT : 0;
      server = await startNatsServer({ storeDir: resolve(dataDir, 'nats'), port });
      handles.push({ close: () => server!.stop() });
      natsUrl = server.url;
      logger.info({ nats: natsUrl, version, storeDir: server.storeDir }, 'embedded nats-server started');
    }

    const egressAllow = rawEnv.SWITCHYARD_EGRESS_ALLOW === undefined && server ? [...EMBEDDED_EGRESS_ALLOW] : config.SWITCHYARD_EGRESS_ALLOW;
    if (rawEnv.SWITCHYARD_EGRESS_ALLOW === undefined && server) {
      logger.warn({ allow: egressAllow }, 'embedded default: deliveries to loopback are allowed (set SWITCHYARD_EGRESS_ALLOW to change)');
    }
    // PORT=0 asks for any free port; pick it now so account webhook URLs name the real one.
    const port = config.PORT || (await freePort(config.HOST));
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    const publicUrl = config.SWITCHYARD_PUBLIC_URL ?? url;
    const runtime = await Runtime.open({
      name: 'switchyard-hub',
      logger,
      natsUrl,
      replicas: config.SWITCHYARD_NATS_REPLICAS,
      rawRetentionHours: config.SWITCHYARD_RAW_RETENTION_HOURS,
      eventsRetentionHours: config.SWITCHYARD_EVENTS_RETENTION_HOURS,
      streamMaxBytes: {
        RAW: config.SWITCHYARD_RAW_MAX_BYTES,
        EVENTS: config.SWITCHYARD_EVENTS_MAX_BYTES,
        DELIVERIES: config.SWITCHYARD_DELIVERIES_MAX_BYTES,
        ATTEMPTS: config.SWITCHYARD_ATTEMPTS_MAX_BYTES,
        DEAD: config.SWITCHYARD_DEAD_MAX_BYTES,
      },
      encryptionKey,
      egressAllow,
      egressAllowHttp: config.SWITCHYARD_EGRESS_ALLOW_HTTP,
      mappingsDir: config.SWITCHYARD_MAPPINGS_DIR,
      providerTimeoutMs: config.SWITCHYARD_PROVIDER_TIMEOUT_MS,
      publicUrl,
    });
    handles.push(runtime);

    const app = createHttpApp({ logger, metrics: runtime.metrics, readiness: runtime.bus });
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
      embeddedNats: server !== undefined,
      egressAllow,
      runtime,
      close: () => closeAll(handles),
    };
  } catch (error) {
    await closeAll(handles).catch(() => undefined);
    throw error;
  }
}
