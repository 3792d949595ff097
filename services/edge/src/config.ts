import { z } from 'zod';

/** Edge tuning. */
export const EdgeEnv = z.object({
  /** Largest accepted webhook body in bytes (default 1 MiB). */
  SWITCHYARD_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
});
