import { z } from 'zod';
import { SwitchyardError } from '@switchyard/contracts';

/**
 * Parses `env` with a service's zod schema once, at start-up. Every bad key is named in one error
 * (not just the first), and the result is frozen so nothing mutates configuration at run time.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', problems.join('; '), {
      extensions: { keys: result.error.issues.map((issue) => issue.path.join('.')) },
    });
  }
  return Object.freeze(result.data);
}

/** Empty strings in the environment mean "unset", as shells and compose files produce them. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** A comma-separated list; empty means none. */
const csv = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string()).default([]),
);

/** Connection to NATS. Unset `NATS_URL` means "embedded": the hub starts its own nats-server. */
export const NatsEnv = z.object({
  NATS_URL: optionalString.pipe(z.string().regex(/^(nats|tls|wss?):\/\//, 'expected nats://host:port[,...]').optional()),
  /** Stream and bucket replicas: 1 for one server, 3 for the production cluster. */
  SWITCHYARD_NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** How long RAW keeps verified inbound bytes, in hours (zero data retention: keep it short). */
  SWITCHYARD_RAW_RETENTION_HOURS: z.coerce.number().positive().default(24),
  /** How long EVENTS keeps normalized events, in hours. */
  SWITCHYARD_EVENTS_RETENTION_HOURS: z.coerce.number().positive().default(72),
});

/** Logging. */
export const LogEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** An HTTP listener. */
export const HttpEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Base URL providers call; account webhook URLs are built on it. Default `http://HOST:PORT`. */
  SWITCHYARD_PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
});

/** Secrets shared by services that read or write credentials. */
export const SecretsEnv = z.object({
  /**
   * 32-byte AES key(s), base64 or hex; comma-separated for rotation (the first encrypts, all decrypt).
   */
  SWITCHYARD_ENCRYPTION_KEY: z.string().min(1, 'required (32 bytes, base64 or hex)'),
});

/** The operator's token for `POST /v1/environments`. */
export const AdminEnv = z.object({
  SWITCHYARD_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters'),
});

const bool = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1'));

/** Egress policy: CIDRs allowed despite the private/loopback block list. */
export const EgressEnv = z.object({
  SWITCHYARD_EGRESS_ALLOW: csv,
  /**
   * Plain http to any destination. Without it, https is required except for destinations inside
   * SWITCHYARD_EGRESS_ALLOW (e.g. loopback in development).
   */
  SWITCHYARD_EGRESS_ALLOW_HTTP: bool.default(false),
});

/** Signing-key rotation. */
export const RotationEnv = z.object({
  /** How long the previous signing key keeps signing after a rotation, in ms (default 24 h). */
  SWITCHYARD_SECRET_ROTATION_OVERLAP_MS: z.coerce.number().int().nonnegative().default(86_400_000),
});

/** Delivery tuning. */
export const DeliveryEnv = z.object({
  /** Per-attempt timeout in ms. */
  SWITCHYARD_DELIVERY_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000), // 15 s
  /**
   * Delays before each retry, in ms, comma-separated. Default (Svix's): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
   * The first attempt is immediate; after the last delay's attempt fails the task is dead-lettered.
   */
  SWITCHYARD_DELIVERY_SCHEDULE_MS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.split(',').map((s) => Number(s.trim())) : undefined),
    z.array(z.number().int().nonnegative()).min(1).default([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]),
  ),
  /** Deliveries in flight at once per process. */
  SWITCHYARD_DELIVERY_CONCURRENCY: z.coerce.number().int().positive().default(64),
  /** Deliveries in flight at once to one endpoint, across every delivery process (its consumer's max_ack_pending). */
  SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** Random spread applied to each retry delay (0.1 = ±10 %), so failing endpoints are not hit in lockstep. */
  SWITCHYARD_DELIVERY_JITTER: z.coerce.number().min(0).max(1).default(0.1),
  /** An endpoint failing continuously for this long is disabled, in ms (default 5 days). */
  SWITCHYARD_DELIVERY_DISABLE_AFTER_MS: z.coerce.number().int().positive().default(432_000_000),
  /** How often held deliveries of a paused endpoint check whether it was resumed, in ms. */
  SWITCHYARD_DELIVERY_PAUSE_RECHECK_MS: z.coerce.number().int().positive().default(5_000),
});

/** Edge tuning. */
export const EdgeEnv = z.object({
  /** Largest accepted webhook body in bytes (default 1 MiB). */
  SWITCHYARD_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** How long the edge retries a publish while NATS is unavailable before answering 503, in ms. */
  SWITCHYARD_PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
});

/** Where provider definitions live; defaults to the repository's `mappings/`. */
export const CatalogEnv = z.object({
  SWITCHYARD_MAPPINGS_DIR: optionalString,
  /** Timeout of one provider API call (unified API, proxy, enrichment), in ms. */
  SWITCHYARD_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000), // 30 s
});
