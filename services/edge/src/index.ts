import type { FastifyInstance } from 'fastify';
import type { Closeable } from '@switchyard/kernel';
import type { EdgeParts } from './parts.js';
import { registerConnectCallback } from './connect-callback.js';
import { registerWebhookRoutes, type WebhookRouteOptions } from './routes/webhooks.js';

export { EdgeEnv } from './config.js';
export { edgeParts, type EdgeParts } from './parts.js';
export type { WebhookRouteOptions } from './routes/webhooks.js';
export { verifyWebhook, type InboundRequest, type VerifyResult } from './verify/index.js';

/**
 * Mounts the provider-facing ingress on `app`: webhooks (per account and per provider app) and the
 * OAuth `GET /connect/callback`.
 * The edge holds no state of its own; closing it is closing the app.
 */
export async function startEdge(app: FastifyInstance, ctx: EdgeParts, options: WebhookRouteOptions): Promise<Closeable> {
  await registerWebhookRoutes(app, ctx, options);
  await registerConnectCallback(app, ctx);
  return { close: async () => undefined };
}
