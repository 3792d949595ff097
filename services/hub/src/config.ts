import { z } from 'zod';
import { NatsEnv, PublishEnv, StreamLimitsEnv } from '@switchyard/bus';
import { DeliveryEnv } from '@switchyard/delivery';
import { EdgeEnv } from '@switchyard/edge';
import { EgressEnv, HttpEnv, LogEnv, SecretsEnv } from '@switchyard/kernel';
import { CatalogEnv } from '@switchyard/mapping';
import { NormalizerEnv } from '@switchyard/normalizer';
import { ProviderEnv } from '@switchyard/provider-client';
import { AdminEnv, QuotaEnv, RotationEnv } from '@switchyard/request';

const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/**
 * The embedded hub's environment: every service's settings, with the two secrets optional (generated
 * into the data directory on first start) and the embedded nats-server's port.
 */
export const HubEnv = LogEnv.extend(HttpEnv.shape)
  .extend(NatsEnv.shape)
  .extend(StreamLimitsEnv.shape)
  .extend(PublishEnv.shape)
  .extend(EgressEnv.shape)
  .extend(CatalogEnv.shape)
  .extend(ProviderEnv.shape)
  .extend(EdgeEnv.shape)
  .extend(NormalizerEnv.shape)
  .extend(DeliveryEnv.shape)
  .extend(RotationEnv.shape)
  .extend(QuotaEnv.shape)
  .extend({
    SWITCHYARD_DATA_DIR: z.string().min(1).default('./.data'),
    SWITCHYARD_ENCRYPTION_KEY: z.preprocess(unsetIfEmpty, SecretsEnv.shape.SWITCHYARD_ENCRYPTION_KEY.optional()),
    SWITCHYARD_ADMIN_TOKEN: z.preprocess(unsetIfEmpty, AdminEnv.shape.SWITCHYARD_ADMIN_TOKEN.optional()),
    /** Port of the embedded nats-server (only when NATS_URL is unset); 0 picks a free port. */
    SWITCHYARD_NATS_PORT: z.coerce.number().int().min(0).max(65535).default(4222),
  });
export type HubConfig = z.output<typeof HubEnv>;
