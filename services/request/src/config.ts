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

/** Per-environment quotas on work a tenant can start. */
export const QuotaEnv = z.object({
  /** Replays (dead-letter or raw) one environment may have running at once; one more gets 429. */
  SWITCHYARD_REPLAY_MAX_RUNNING: z.coerce.number().int().min(1).max(100).default(2),
  /**
   * `GET /v1/events/{id}` of an event no endpoint took (no attempt names its position) looks among the
   * last this-many messages of EVENTS only, so an unknown id costs a bounded read, not a full scan.
   */
  SWITCHYARD_EVENTS_LOOKUP_WINDOW: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
});
