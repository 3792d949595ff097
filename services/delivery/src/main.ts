import { DeliveryEnv, EdgeEnv, ServiceEnv, runStandalone } from '@switchyard/runtime';
import { startDelivery } from './index.js';

const Env = ServiceEnv.extend(DeliveryEnv.shape).extend(EdgeEnv.pick({ SWITCHYARD_PUBLISH_TIMEOUT_MS: true }).shape);

await runStandalone('switchyard-delivery', Env, ({ ctx, config }) =>
  startDelivery(ctx, {
    concurrency: config.SWITCHYARD_DELIVERY_CONCURRENCY,
    timeoutMs: config.SWITCHYARD_DELIVERY_TIMEOUT_MS,
    scheduleMs: config.SWITCHYARD_DELIVERY_SCHEDULE_MS,
    publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS,
    userAgent: 'Switchyard-Webhooks/0.1',
  }),
);
