import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SwitchyardError } from '@switchyard/contracts';
import { CatalogEnv, EgressEnv, HttpEnv, LogEnv, NatsEnv, SecretsEnv, loadConfig } from './config.js';
import { openContext, type RuntimeContext } from './context.js';
import { createHttpApp } from './http/app.js';
import { closeAll, closeOnSignals, type Closeable } from './lifecycle.js';
import { createLogger } from './logger.js';

/** The environment every service reads when it runs alone against an existing NATS. */
export const ServiceEnv = LogEnv.extend(HttpEnv.shape)
  .extend(NatsEnv.shape)
  .extend(SecretsEnv.shape)
  .extend(EgressEnv.shape)
  .extend(CatalogEnv.shape);
export type ServiceConfig = z.output<typeof ServiceEnv>;

/** What a service's `start` receives when run alone. */
export interface StandaloneParts<C> {
  ctx: RuntimeContext;
  config: Readonly<C>;
  /** The service's HTTP app (health, metrics, its own routes); listening starts after `start`. */
  app: FastifyInstance;
}

/**
 * Runs one service in its own process (production scaling): parses its environment (NATS_URL is
 * required here; only the embedded hub starts a nats-server), connects, starts the service, serves
 * health and metrics on PORT, and closes everything in order on SIGINT/SIGTERM.
 */
export async function runStandalone<S extends typeof ServiceEnv>(
  name: string,
  schema: S,
  start: (parts: StandaloneParts<z.output<S>>) => Promise<Closeable>,
): Promise<void> {
  const logger = createLogger({ name, level: process.env.LOG_LEVEL ?? 'info' });
  try {
    const config = loadConfig(schema, process.env);
    if (!config.NATS_URL) throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `NATS_URL: required when ${name} runs alone`);
    const publicUrl = config.SWITCHYARD_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
    const ctx = await openContext({
      name,
      logger,
      natsUrl: config.NATS_URL,
      replicas: config.SWITCHYARD_NATS_REPLICAS,
      rawRetentionHours: config.SWITCHYARD_RAW_RETENTION_HOURS,
      eventsRetentionHours: config.SWITCHYARD_EVENTS_RETENTION_HOURS,
      encryptionKey: config.SWITCHYARD_ENCRYPTION_KEY,
      egressAllow: config.SWITCHYARD_EGRESS_ALLOW,
      egressAllowHttp: config.SWITCHYARD_EGRESS_ALLOW_HTTP,
      mappingsDir: config.SWITCHYARD_MAPPINGS_DIR,
      providerTimeoutMs: config.SWITCHYARD_PROVIDER_TIMEOUT_MS,
      publicUrl,
    });
    const app = createHttpApp({ logger, metrics: ctx.metrics, bus: ctx.bus });
    const service = await start({ ctx, config, app });
    await app.listen({ port: config.PORT, host: config.HOST });
    logger.info({ url: `http://${config.HOST}:${config.PORT}`, nats: config.NATS_URL }, `${name} started`);
    closeOnSignals(logger, () => closeAll([ctx, service, { close: () => app.close() }]));
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed to start`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  }
}
