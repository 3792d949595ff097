import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SwitchyardError } from '@switchyard/contracts';
import { natsAuthFrom, NatsEnv, streamMaxBytesFrom, StreamLimitsEnv } from '@switchyard/bus';
import { closeAll, closeOnSignals, createHttpApp, createLogger, EgressEnv, HttpEnv, loadConfig, LogEnv, SecretsEnv, startTracing, TracingEnv, type Closeable } from '@switchyard/kernel';
import { CatalogEnv, SandboxEnv, sandboxOptionsFrom } from '@switchyard/mapping';
import { ProviderEnv } from '@switchyard/provider-client';
import { Runtime } from './runtime.js';

/** The environment every service reads when it runs alone against an existing NATS. */
export const ServiceEnv = LogEnv.extend(HttpEnv.shape)
  .extend(TracingEnv.shape)
  .extend(NatsEnv.shape)
  .extend(StreamLimitsEnv.shape)
  .extend(SecretsEnv.shape)
  .extend(EgressEnv.shape)
  .extend(CatalogEnv.shape)
  .extend(SandboxEnv.shape)
  .extend(ProviderEnv.shape);
export type ServiceConfig = z.output<typeof ServiceEnv>;

/** What a service's `start` receives when run alone. */
export interface StandaloneParts<C> {
  /** The process's parts, opened on first use: the service takes the ones it names. */
  runtime: Runtime;
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
    const tracing = await startTracing(config, { serviceName: name });
    if (tracing.tracer.enabled) logger.info({ exporters: config.OTEL_TRACES_EXPORTER, sampler: config.OTEL_TRACES_SAMPLER }, 'tracing on');
    const runtime = await Runtime.open({
      name,
      logger,
      natsUrl: config.NATS_URL,
      natsAuth: natsAuthFrom(config),
      replicas: config.SWITCHYARD_NATS_REPLICAS,
      rawRetentionHours: config.SWITCHYARD_RAW_RETENTION_HOURS,
      eventsRetentionHours: config.SWITCHYARD_EVENTS_RETENTION_HOURS,
      streamMaxBytes: streamMaxBytesFrom(config),
      encryptionKey: config.SWITCHYARD_ENCRYPTION_KEY,
      egressAllow: config.SWITCHYARD_EGRESS_ALLOW,
      providerEgressAllow: config.SWITCHYARD_PROVIDER_EGRESS_ALLOW,
      egressAllowHttp: config.SWITCHYARD_EGRESS_ALLOW_HTTP,
      mappingsDir: config.SWITCHYARD_MAPPINGS_DIR,
      providerTimeoutMs: config.SWITCHYARD_PROVIDER_TIMEOUT_MS,
      providerJobTimeoutMs: config.SWITCHYARD_PROVIDER_JOB_TIMEOUT_MS,
      sandbox: sandboxOptionsFrom(config),
      publicUrl: config.SWITCHYARD_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
      tracer: tracing.tracer,
    });
    const app = createHttpApp({ logger, metrics: runtime.metrics, readiness: runtime.bus, trustedProxies: config.SWITCHYARD_TRUSTED_PROXIES, metricsToken: config.SWITCHYARD_METRICS_TOKEN });
    const service = await start({ runtime, config, app });
    await app.listen({ port: config.PORT, host: config.HOST });
    logger.info({ url: `http://${config.HOST}:${config.PORT}`, nats: config.NATS_URL }, `${name} started`);
    closeOnSignals(logger, () => closeAll([tracing, runtime, service, { close: () => app.close() }]));
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed to start`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  }
}
