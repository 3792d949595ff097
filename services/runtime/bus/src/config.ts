import { z } from 'zod';
import { optionalString } from '@switchyard/kernel';

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

/** How long a durable publish keeps retrying while NATS is unavailable (every service that publishes). */
export const PublishEnv = z.object({
  /** In ms; past it the edge answers 503 (the provider retries) and a worker leaves the message unacknowledged. */
  SWITCHYARD_PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000), // 5 s
});
