import { z } from 'zod';
import { SwitchyardError } from '@switchyard/contracts';
import { optionalString } from '@switchyard/kernel';

/** Connection to NATS. Unset `NATS_URL` means "embedded": the hub starts its own nats-server. */
export const NatsEnv = z.object({
  NATS_URL: optionalString.pipe(z.string().regex(/^(nats|tls|wss?):\/\//, 'expected nats://host:port[,...]').optional()),
  /** User and password for NATS servers that require them (per-service users in production). */
  NATS_USER: optionalString,
  NATS_PASSWORD: optionalString,
  /** A token for servers configured with `authorization { token }`. */
  NATS_TOKEN: optionalString,
  /** Path of a `.creds` file (user JWT and nkey seed) for servers run in operator/JWT mode. */
  NATS_CREDS: optionalString,
  /** Stream and bucket replicas: 1 for one server, 3 for the production cluster. */
  SWITCHYARD_NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** How long RAW keeps verified inbound bytes, in hours (zero data retention: keep it short). */
  SWITCHYARD_RAW_RETENTION_HOURS: z.coerce.number().positive().default(24),
  /** How long EVENTS keeps normalized events, in hours. */
  SWITCHYARD_EVENTS_RETENTION_HOURS: z.coerce.number().positive().default(72),
});

/** How long a durable publish keeps retrying while NATS is unavailable (every service that publishes). */
export const PublishEnv = z.object({
  /** In ms; past it the edge answers 503 (the provider retries) and a worker leaves the message unacknowledged. */
  SWITCHYARD_PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000), // 5 s
});

/** How a process proves itself to NATS; every field is optional (a server without authentication). */
export interface NatsAuth {
  user?: string | undefined;
  pass?: string | undefined;
  token?: string | undefined;
  /** Path of a `.creds` file. */
  credsFile?: string | undefined;
}

/**
 * The NATS credentials named by the environment. Refuses half a user/password pair and a token mixed
 * with a user, which nats.js would otherwise send silently and the server reject with a vague error.
 */
export function natsAuthFrom(config: { NATS_USER?: string | undefined; NATS_PASSWORD?: string | undefined; NATS_TOKEN?: string | undefined; NATS_CREDS?: string | undefined }): NatsAuth {
  if ((config.NATS_USER === undefined) !== (config.NATS_PASSWORD === undefined)) {
    throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', 'NATS_USER and NATS_PASSWORD: set both or neither');
  }
  if (config.NATS_TOKEN !== undefined && config.NATS_USER !== undefined) {
    throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', 'NATS_TOKEN: cannot be combined with NATS_USER');
  }
  return { user: config.NATS_USER, pass: config.NATS_PASSWORD, token: config.NATS_TOKEN, credsFile: config.NATS_CREDS };
}

const MiB = 1024 * 1024;
const maxBytes = (defaultBytes: number) => z.coerce.number().int().min(0).default(defaultBytes);

/**
 * Disk bounds per stream, in bytes (0 = unbounded). At the bound RAW, DELIVERIES and DEAD refuse new
 * messages rather than drop old ones, so nothing verified is lost silently: the edge answers 503 and
 * the provider retries, a worker leaves its message unacknowledged. EVENTS and ATTEMPTS (a history
 * and a log) drop their oldest. Each bound is reserved against the server's JetStream storage.
 */
export const StreamLimitsEnv = z.object({
  SWITCHYARD_RAW_MAX_BYTES: maxBytes(1024 * MiB), // 1 GiB
  SWITCHYARD_EVENTS_MAX_BYTES: maxBytes(1024 * MiB), // 1 GiB
  SWITCHYARD_DELIVERIES_MAX_BYTES: maxBytes(512 * MiB), // 512 MiB
  SWITCHYARD_ATTEMPTS_MAX_BYTES: maxBytes(256 * MiB), // 256 MiB
  SWITCHYARD_DEAD_MAX_BYTES: maxBytes(512 * MiB), // 512 MiB
});

/** The per-stream bounds {@link StreamLimitsEnv} names, as the bus takes them. */
export function streamMaxBytesFrom(config: z.output<typeof StreamLimitsEnv>): { RAW: number; EVENTS: number; DELIVERIES: number; ATTEMPTS: number; DEAD: number } {
  return {
    RAW: config.SWITCHYARD_RAW_MAX_BYTES,
    EVENTS: config.SWITCHYARD_EVENTS_MAX_BYTES,
    DELIVERIES: config.SWITCHYARD_DELIVERIES_MAX_BYTES,
    ATTEMPTS: config.SWITCHYARD_ATTEMPTS_MAX_BYTES,
    DEAD: config.SWITCHYARD_DEAD_MAX_BYTES,
  };
}
