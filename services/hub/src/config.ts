import { z } from 'zod';
import { NatsEnv, PublishEnv, StreamLimitsEnv } from '@switchyard/bus';
import { DeliveryEnv } from '@switchyard/delivery';
import { EdgeEnv } from '@switchyard/edge';
import { bool, EgressEnv, HttpEnv, LogEnv, optionalString, SecretsEnv, TracingEnv } from '@switchyard/kernel';
import { CatalogEnv, SandboxEnv } from '@switchyard/mapping';
import { NormalizerEnv } from '@switchyard/normalizer';
import { ProviderEnv } from '@switchyard/provider-client';
import { AdminEnv, ExportEnv, PollingEnv, QuotaEnv, RegistrationEnv, RotationEnv } from '@switchyard/request';

const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/**
 * The embedded hub's environment: every service's settings, with the two secrets optional (generated
 * into the data directory on first start) and the embedded nats-server's port.
 */
export const HubEnv = LogEnv.extend(HttpEnv.shape)
  .extend(TracingEnv.shape)
  .extend(NatsEnv.shape)
  .extend(StreamLimitsEnv.shape)
  .extend(PublishEnv.shape)
  .extend(EgressEnv.shape)
  .extend(CatalogEnv.shape)
  .extend(SandboxEnv.shape)
  .extend(ProviderEnv.shape)
  .extend(EdgeEnv.shape)
  .extend(NormalizerEnv.shape)
  .extend(DeliveryEnv.shape)
  .extend(RotationEnv.shape)
  .extend(QuotaEnv.shape)
  .extend(RegistrationEnv.shape)
  .extend(PollingEnv.shape)
  .extend(ExportEnv.shape)
  .extend({
    SWITCHYARD_DATA_DIR: z.string().min(1).default('./.data'),
    SWITCHYARD_ENCRYPTION_KEY: z.preprocess(unsetIfEmpty, SecretsEnv.shape.SWITCHYARD_ENCRYPTION_KEY.optional()),
    SWITCHYARD_ADMIN_TOKEN: z.preprocess(unsetIfEmpty, AdminEnv.shape.SWITCHYARD_ADMIN_TOKEN.optional()),
    /** Port of the embedded nats-server (only when NATS_URL is unset); 0 picks a free port. */
    SWITCHYARD_NATS_PORT: z.coerce.number().int().min(0).max(65535).default(4222),
    /**
     * Encrypt the embedded server's JetStream store at rest with a key generated into the data dir
     * (`nats-encryption-key`, 0600). A key beside the data protects copies of the store only.
     */
    SWITCHYARD_NATS_ENCRYPT: bool.default(false),
    /** The embedded server's store key, kept outside the data dir (a secret manager); implies encryption. */
    SWITCHYARD_NATS_ENCRYPTION_KEY: optionalString.pipe(z.string().min(32, 'at least 32 characters').optional()),
  });
export type HubConfig = z.output<typeof HubEnv>;
