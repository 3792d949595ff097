import { z } from 'zod';

/** The operator's token for `POST /v1/environments`. */
export const AdminEnv = z.object({
  SWITCHYARD_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters'),
});

/** Signing-key rotation. */
export const RotationEnv = z.object({
  /** How long the previous signing key keeps signing after a rotation, in ms (default 24 h). */
  SWITCHYARD_SECRET_ROTATION_OVERLAP_MS: z.coerce.number().int().nonnegative().default(86_400_000),
});
