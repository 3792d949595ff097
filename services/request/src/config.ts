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

/** The registration reconciler (docs/registration.md). */
export const RegistrationEnv = z.object({
  /** How often the reconciler looks for due registrations, in ms (default 5 s; a tick reads memory, not KV). */
  SWITCHYARD_REGISTRATION_TICK_MS: z.coerce.number().int().min(50).default(5_000),
  /** How often a healthy registration is read back at the provider to notice deletions, in ms (default 1 h). */
  SWITCHYARD_REGISTRATION_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).default(3_600_000),
  /** First retry after a failed registration call, in ms (default 30 s), doubled per failure up to the max (default 1 h). */
  SWITCHYARD_REGISTRATION_BACKOFF_MS: z.coerce.number().int().min(10).default(30_000),
  SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS: z.coerce.number().int().min(10).default(3_600_000),
  /** How often a registration waiting for the provider's verification token is looked at, in ms (default 2 s). */
  SWITCHYARD_REGISTRATION_VERIFY_POLL_MS: z.coerce.number().int().min(10).default(2_000),
  /** Caps the lifetime the hub asks providers for, in s (unset: the definition's); short values exercise renewal. */
  SWITCHYARD_REGISTRATION_MAX_LIFETIME_S: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).optional()),
});
export type RegistrationConfig = z.output<typeof RegistrationEnv>;

/** The poller (docs/polling.md). */
export const PollingEnv = z.object({
  /** How often the poller looks for due (account, resource) pairs, in ms (default 1 s; a tick reads memory, not KV). */
  SWITCHYARD_POLL_TICK_MS: z.coerce.number().int().min(50).default(1_000),
  /** Overrides every polled resource's `interval_s`, in ms (unset: the definition's). */
  SWITCHYARD_POLL_INTERVAL_MS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(50).optional()),
  /** First retry after a failed poll, in ms (default 30 s), doubled per failure up to the max (default 1 h), or the provider's Retry-After. */
  SWITCHYARD_POLL_BACKOFF_MS: z.coerce.number().int().min(10).default(30_000),
  SWITCHYARD_POLL_BACKOFF_MAX_MS: z.coerce.number().int().min(10).default(3_600_000),
  /**
   * How long the cluster-wide `poller` lease (default 300 s) and an account's poll lock (default 120 s)
   * outlive a replica that died holding them (kill -9), in ms; live holders renew the lock per page.
   */
  SWITCHYARD_POLL_LEASE_MS: z.coerce.number().int().min(1_000).default(300_000),
  SWITCHYARD_POLL_LOCK_MS: z.coerce.number().int().min(1_000).default(120_000),
});
export type PollingConfig = z.output<typeof PollingEnv>;

/** Streamed exports, `GET /unified/{category}/{resource}?all=true` (docs/export.md). */
export const ExportEnv = z.object({
  /** Pages one export call walks before it ends with `SWY_ERR_EXPORT_LIMIT` and a resume cursor (default 10 000). */
  SWITCHYARD_EXPORT_MAX_PAGES: z.coerce.number().int().min(1).default(10_000),
  /** Wall time of one export call, in ms, before it ends with `SWY_ERR_EXPORT_LIMIT` and a resume cursor (default 1 h). */
  SWITCHYARD_EXPORT_MAX_DURATION_MS: z.coerce.number().int().min(100).default(3_600_000),
  /** Longest single wait for a throttling provider's Retry-After, in ms (default 60 s); a longer one ends the export in-band. */
  SWITCHYARD_EXPORT_MAX_RETRY_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
  /** All throttling waits of one export together, in ms (default 5 min); past it the export ends in-band. */
  SWITCHYARD_EXPORT_MAX_THROTTLE_MS: z.coerce.number().int().min(0).default(300_000),
});
export type ExportConfig = z.output<typeof ExportEnv>;
