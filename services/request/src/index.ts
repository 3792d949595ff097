import type { FastifyInstance } from 'fastify';
import type { Closeable } from '@switchyard/kernel';
import type { RequestParts } from './parts.js';
import { ExportEnv, PollingEnv, RegistrationEnv, type ExportConfig, type PollingConfig, type RegistrationConfig } from './config.js';
import { openPolling } from './polling/index.js';
import { registerPollingRoutes } from './routes/polling.js';
import { openRegistration } from './registration/index.js';
import { openApiDocument } from './openapi.js';
import { registerConnectRoutes } from './routes/connect.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerEventRoutes } from './routes/events.js';
import { registerMappingRoutes } from './routes/mappings.js';
import { registerProxyRoutes } from './routes/proxy.js';
import { registerUnifiedRoutes } from './routes/unified.js';
import { registerAccountRoutes } from './routes/integrated-accounts.js';
import { registerWebhookRegistrationRoutes } from './routes/webhook-registration.js';
import { registerEnvironmentRoutes } from './routes/environments.js';
import { registerProviderAppRoutes } from './routes/provider-apps.js';
import { registerSubscriptionRoutes } from './routes/subscriptions.js';

export { AdminEnv, ExportEnv, PollingEnv, QuotaEnv, RegistrationEnv, RotationEnv, type ExportConfig, type PollingConfig, type RegistrationConfig } from './config.js';
export { requestParts, type RequestParts } from './parts.js';
export { openApiDocument } from './openapi.js';

/** Request-service options. */
export interface RequestOptions {
  /** The operator token that may create environments. */
  adminToken: string;
  /** How long the previous signing key keeps signing after a rotation, in ms. */
  rotationOverlapMs: number;
  /** How long an API write retries a publish while NATS is unavailable, in ms. */
  publishTimeoutMs: number;
  /** Replays one environment may have running at once. */
  maxRunningReplays: number;
  /** How many of the newest EVENTS messages a lookup by id examines when no attempt points at it. */
  eventsLookupWindow: number;
  /** The registration reconciler's settings (`RegistrationEnv`); defaults when left out. */
  registration?: RegistrationConfig | undefined;
  /** The poller's settings (`PollingEnv`); defaults when left out. */
  polling?: PollingConfig | undefined;
  /** Streamed exports' bounds (`ExportEnv`); defaults when left out. */
  exports?: ExportConfig | undefined;
}

/**
 * Mounts the customer-facing management API on `app`: `/v1/environments` (admin token),
 * `/v1/provider-apps`, `/v1/integrated-accounts`, `/v1/subscriptions`, `/v1/events`, `/v1/mappings`,
 * `/v1/dead-letters`, `/v1/raw/replay`, `/v1/replays`, `/unified/...` and `/proxy/...` (environment API key).
 */
export async function startRequest(app: FastifyInstance, ctx: RequestParts, options: RequestOptions): Promise<Closeable> {
  const { environments, accounts, subscriptions, providerApps: apps, mappings } = ctx;
  const document = openApiDocument(ctx.publicUrl);
  app.get('/openapi.json', async () => document);
  const registration = await openRegistration(ctx, options.registration ?? RegistrationEnv.parse({}));
  registerEnvironmentRoutes(app, ctx, options.adminToken, registration.registrar);
  registerProviderAppRoutes(app, ctx, environments, apps, registration.registrar);
  registerAccountRoutes(app, ctx, environments, accounts, apps, registration.registrar);
  registerWebhookRegistrationRoutes(app, ctx, environments, accounts, apps, registration.registrar);
  registerConnectRoutes(app, ctx, environments, apps);
  registerSubscriptionRoutes(app, ctx, environments, subscriptions, { rotationOverlapMs: options.rotationOverlapMs, publishTimeoutMs: options.publishTimeoutMs });
  registerEventRoutes(app, ctx, environments, subscriptions, { publishTimeoutMs: options.publishTimeoutMs, lookupWindow: options.eventsLookupWindow });
  registerMappingRoutes(app, ctx, environments, accounts, mappings);
  registerDeadLetterRoutes(app, ctx, environments, { publishTimeoutMs: options.publishTimeoutMs, maxRunningReplays: options.maxRunningReplays });
  registerUnifiedRoutes(app, ctx, environments, accounts, options.exports ?? ExportEnv.parse({}));
  await registerProxyRoutes(app, ctx, environments, accounts);
  const polling = await openPolling(ctx, options.polling ?? PollingEnv.parse({}), options.publishTimeoutMs);
  registerPollingRoutes(app, ctx, environments, accounts, polling.store);
  return {
    close: async () => {
      await polling.close();
      await registration.close();
    },
  };
}
