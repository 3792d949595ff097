import { PublishEnv } from '@switchyard/bus';
import { ServiceEnv, runStandalone } from '@switchyard/runtime';
import { NormalizerEnv } from './config.js';
import { normalizerParts, startNormalizer } from './index.js';

await runStandalone('switchyard-normalizer', ServiceEnv.extend(NormalizerEnv.shape).extend(PublishEnv.shape), async ({ runtime, config }) =>
  startNormalizer(await normalizerParts(runtime), { concurrency: config.SWITCHYARD_NORMALIZER_CONCURRENCY, publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS }),
);
