import type { FastifyInstance } from 'fastify';
import type { Closeable, RuntimeContext } from '@switchyard/runtime';
import { registerAccountRoutes } from './routes/integrated-accounts.js';
import { registerEnvironmentRoutes } from './routes/environments.js';
import { registerSubscriptionRoutes } from './routes/subscriptions.js';

/** Request-service options. */
export interface RequestOptions {
  /** The operator token that may create environments. */
  adminToken: string;
}

/**
 * Mounts the customer-facing management API on `app`: `/v1/environments` (admin token),
 * `/v1/integrated-accounts` and `/v1/subscriptions` (environment API key).
 */
export async function startRequest(app: FastifyInstance, ctx: RuntimeContext, options: RequestOptions): Promise<Closeable> {
  const [environments, accounts, subscriptions] = await Promise.all([ctx.environments(), ctx.accounts(), ctx.subscriptions()]);
  registerEnvironmentRoutes(app, environments, options.adminToken);
  registerAccountRoutes(app, ctx, environments, accounts);
  registerSubscriptionRoutes(app, ctx, environments, subscriptions);
  return { close: async () => undefined };
}
