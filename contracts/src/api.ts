import { z } from 'zod';
import { EventTypePattern } from './event-type.js';

/** `POST /v1/environments` */
export const CreateEnvironment = z.object({ name: z.string().min(1).max(200) }).strict();

/** Stored environment. */
export const Environment = z.object({ id: z.string(), name: z.string(), created_at: z.string() });
export type Environment = z.infer<typeof Environment>;

const Secrets = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(5)]);

/** `POST /v1/integrated-accounts` */
export const CreateIntegratedAccount = z
  .object({
    provider: z.string().min(1),
    credentials: z.record(z.string(), z.unknown()).default({}),
    /** One secret, or several during a rotation (any one verifies). */
    webhook_secret: Secrets.optional(),
    remote_key: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** `PATCH /v1/integrated-accounts/{id}` */
export const UpdateIntegratedAccount = z
  .object({
    status: z.enum(['active', 'disabled']).optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
    webhook_secret: Secrets.optional(),
    remote_key: z.string().min(1).nullable().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** An integrated account as the API shows it: never credentials nor secrets. */
export const IntegratedAccountView = z.object({
  id: z.string(),
  provider: z.string(),
  status: z.enum(['active', 'disabled', 'needs_reauth']),
  webhook_url: z.string().nullable(),
  remote_key: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  has_webhook_secret: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type IntegratedAccountView = z.infer<typeof IntegratedAccountView>;

/** `POST /v1/subscriptions` */
export const CreateSubscription = z
  .object({
    url: z.string().url(),
    event_types: z.array(EventTypePattern).min(1).max(100),
    description: z.string().max(1000).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();

/** `PATCH /v1/subscriptions/{id}` */
export const UpdateSubscription = z
  .object({
    url: z.string().url().optional(),
    event_types: z.array(EventTypePattern).min(1).max(100).optional(),
    description: z.string().max(1000).nullable().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

/** A subscription as the API shows it (the secret only once, at creation). */
export const SubscriptionView = z.object({
  id: z.string(),
  url: z.string(),
  event_types: z.array(z.string()),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;
