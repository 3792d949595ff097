import { PublishEnv } from '@switchyard/bus';
import { ServiceEnv, runStandalone } from '@switchyard/runtime';
import { DeliveryEnv } from './config.js';
import { deliveryOptionsFrom, deliveryParts, startDelivery } from './index.js';

const Env = ServiceEnv.extend(DeliveryEnv.shape).extend(PublishEnv.shape);

await runStandalone('switchyard-delivery', Env, async ({ runtime, config }) => startDelivery(await deliveryParts(runtime), deliveryOptionsFrom(config)));
