import { DeliveryEnv, EdgeEnv, ServiceEnv, runStandalone } from '@switchyard/runtime';
import { deliveryOptionsFrom, startDelivery } from './index.js';

const Env = ServiceEnv.extend(DeliveryEnv.shape).extend(EdgeEnv.pick({ SWITCHYARD_PUBLISH_TIMEOUT_MS: true }).shape);

await runStandalone('switchyard-delivery', Env, ({ ctx, config }) => startDelivery(ctx, deliveryOptionsFrom(config)));
