import type { Closeable } from '@switchyard/kernel';
import type { RegistrationConfig } from '../config.js';
import type { RequestParts } from '../parts.js';
import { startLifecycleReaders } from './lifecycle.js';
import { startReconciler } from './reconciler.js';
import { Registrar } from './registrar.js';
import { RegistrationStore } from './store.js';
import { RegistrationSubjects } from './subjects.js';

export { Registrar } from './registrar.js';

/**
 * Opens provider webhook registration for the request service, which owns provider credentials: the
 * `registrations` store, the registrar the API calls, the cluster-wide reconciler and the readers of
 * providers' lifecycle notices. `close()` stops them (work in progress finishes) and the store's watch.
 */
export async function openRegistration(ctx: RequestParts, config: RegistrationConfig): Promise<Closeable & { registrar: Registrar }> {
  const store = await RegistrationStore.open(ctx.bus, ctx.logger);
  const subjects = new RegistrationSubjects({ accounts: ctx.accounts, apps: ctx.providerApps, publicUrl: ctx.publicUrl });
  const registrar = new Registrar(
    {
      bus: ctx.bus,
      logger: ctx.logger,
      catalog: ctx.catalog,
      store,
      engine: ctx.engine,
      calls: ctx.client.registration,
      accounts: ctx.accounts,
      apps: ctx.providerApps,
      subjects,
      publicUrl: ctx.publicUrl,
      maxLifetimeS: config.SWITCHYARD_REGISTRATION_MAX_LIFETIME_S,
    },
    {
      checkIntervalMs: config.SWITCHYARD_REGISTRATION_CHECK_INTERVAL_MS,
      backoffBaseMs: config.SWITCHYARD_REGISTRATION_BACKOFF_MS,
      backoffMaxMs: config.SWITCHYARD_REGISTRATION_BACKOFF_MAX_MS,
      verifyPollMs: config.SWITCHYARD_REGISTRATION_VERIFY_POLL_MS,
      // Longer than a provider call can take, so only a crashed holder's lock ever lapses.
      lockTtlMs: 120_000,
    },
  );
  const reconciler = startReconciler({ bus: ctx.bus, logger: ctx.logger, store, registrar, metrics: ctx.metrics }, { intervalMs: config.SWITCHYARD_REGISTRATION_TICK_MS, leaseMs: 300_000 });
  const lifecycle = await startLifecycleReaders({ bus: ctx.bus, logger: ctx.logger, engine: ctx.engine, catalog: ctx.catalog, registrar });
  return {
    registrar,
    close: async () => {
      await lifecycle.close();
      await reconciler.close();
      store.stop();
    },
  };
}
