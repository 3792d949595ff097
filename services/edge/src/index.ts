import type { FastifyInstance } from 'fastify';
import type { Closeable, RuntimeContext } from '@switchyard/runtime';
import { registerWebhookRoutes, type WebhookRouteOptions } from './routes/webhooks.js';

export type { WebhookRouteOptions } from './routes/webhooks.js';
export { verifyWebhook, type InboundRequest, type VerifyResult } from './verify/index.js';

/**
 * Mounts the provider-facing ingress on `app`: `POST /webhooks/{provider}/{integrated_account_id}`.
 * The edge holds no state of its own; closing it is closing the app.
 */
export async function startEdge(app: FastifyInstance, ctx: RuntimeContext, options: WebhookRouteOptions): Promise<Closeable> {
  await registerWebhookRoutes(app, ctx, options);
  return { close: async () => undefined };
}
