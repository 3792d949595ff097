import { EdgeEnv, ServiceEnv, runStandalone } from '@switchyard/runtime';
import { z } from 'zod';
import { startNormalizer } from './index.js';

const NormalizerEnv = ServiceEnv.extend(EdgeEnv.pick({ SWITCHYARD_PUBLISH_TIMEOUT_MS: true }).shape).extend({
  /** Raw deliveries normalized at once per process. */
  SWITCHYARD_NORMALIZER_CONCURRENCY: z.coerce.number().int().positive().default(64),
});

await runStandalone('switchyard-normalizer', NormalizerEnv, ({ ctx, config }) =>
  startNormalizer(ctx, { concurrency: config.SWITCHYARD_NORMALIZER_CONCURRENCY, publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS }),
);
