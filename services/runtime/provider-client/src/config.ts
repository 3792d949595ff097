import { z } from 'zod';

/** Calls to provider APIs (unified API, proxy, enrichment, OAuth token endpoints). */
export const ProviderEnv = z.object({
  /** Timeout of one provider API call, in ms. */
  SWITCHYARD_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000), // 30 s
  /** How long a unified write waits for a provider job (a definition's `async` write) to finish, in ms. */
  SWITCHYARD_PROVIDER_JOB_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000), // 30 s
});
