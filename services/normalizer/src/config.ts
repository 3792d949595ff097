import { z } from 'zod';

/** Normalizer tuning. */
export const NormalizerEnv = z.object({
  /** Raw deliveries normalized at once per RAW shard held (32 shards, by account). */
  SWITCHYARD_NORMALIZER_CONCURRENCY: z.coerce.number().int().positive().default(16),
});
