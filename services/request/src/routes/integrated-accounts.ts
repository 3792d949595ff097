import { deleteAccountData } from '../environment-deletion.js';
import type { FastifyInstance } from 'fastify';
import { api, SwitchyardError } from '@switchyard/contracts';
import { publishOperationalEvent } from '@switchyard/bus';
import { parseInput } from '@switchyard/kernel';
import type { RequestParts } from '../parts.js';
import { accountView, confirmPending, openVerification, type AccountRecord, type AccountStore, type EnvironmentStore, type ProviderAppStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import type { Registrar } from '../registration/index.js';

type IdParams = { Params: { id: string } };

const asList = (secret: string | string[] | undefined) => (secret === undefined ? undefined : Array.isArray(secret) ? secret : [secret]);

/** `/v1/integrated-accounts`: connect, list, read, change and remove accounts; secrets are never returned. */
export function registerAccountRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, apps: ProviderAppStore, registrar: Registrar): void {
  const view = (record: AccountRecord) => {
    const receivesWebhooks = ctx.catalog.get(record.provider)?.definition.webhook !== undefined;
    return accountView(record, receivesWebhooks ? `${ctx.publicUrl}/webhooks/${record.provider}/${record.id}` : null);
  };
  /** Tells subscribers of `integrated_account:*`; the view carries no credential. */
  const announce = (type: 'integrated_account:created' | 'integrated_account:updated' | 'integrated_account:deleted', record: AccountRecord) =>
    publishOperationalEvent(ctx.bus, { type, environmentId: record.environment_id, key: `${record.id}:${type}:${record.updated_at}`, data: view(record) });
  const find = async (environmentId: string, id: string) => {
    const record = await accounts.getInEnvironment(environmentId, id);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${id}'`);
    return record;
  };

  app.post('/v1/integrated-accounts', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.CreateIntegratedAccount, request.body);
    if (!ctx.catalog.get(input.provider)) {
      const known = ctx.catalog.list().map((p) => p.definition.slug).join(', ');
      throw new SwitchyardError('SWY_ERR_VALIDATION', `provider: unknown provider '${input.provider}' (known: ${known})`);
    }
    const declared = ctx.catalog.get(input.provider)?.definition.registration;
    if (input.register_webhooks && !declared) {
      throw new SwitchyardError('SWY_ERR_REGISTRATION_UNSUPPORTED', `register_webhooks: ${input.provider} declares no webhook registration`);
    }
    // Checked before anything is created: an app-level registration needs the app to register at.
    if (input.register_webhooks && declared?.mode === 'api' && declared.scope === 'app' && !input.provider_app_id) {
      throw new SwitchyardError('SWY_ERR_VALIDATION', `register_webhooks: ${input.provider} registers webhooks once per provider app; give provider_app_id`);
    }
    if (input.provider_app_id) {
      const providerApp = await apps.getInEnvironment(environment.id, input.provider_app_id);
      if (!providerApp || providerApp.provider !== input.provider) {
        throw new SwitchyardError('SWY_ERR_PROVIDER_APP_UNKNOWN', `no ${input.provider} provider app '${input.provider_app_id}' in this environment`);
      }
    }
    const record = await accounts.create({
      environment_id: environment.id,
      provider: input.provider,
      provider_app_id: input.provider_app_id,
      credentials: input.credentials,
      webhook_secrets: asList(input.webhook_secret) ?? [],
      remote_key: input.remote_key,
      config: input.config,
    });
    await announce('integrated_account:created', record);
    if (!input.register_webhooks) return reply.status(201).send(view(record));
    // Registered at once; a provider failure is the registration's state (and retried), not a failed create.
    const registration = await registrar.ensure(record, undefined);
    const current = (await accounts.get(record.id)) ?? record;
    return reply.status(201).send({ ...view(current), webhook_registration: registrar.view(registration, current) });
  });

  app.get('/v1/integrated-accounts', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return { data: accounts.list(environment.id).map(view) };
  });

  app.get<IdParams>('/v1/integrated-accounts/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return view(await find(environment.id, request.params.id));
  });

  app.patch<IdParams>('/v1/integrated-accounts/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.UpdateIntegratedAccount, request.body);
    const record = await find(environment.id, request.params.id);
    const updated = await accounts.update(record, {
      status: input.status,
      credentials: input.credentials,
      webhook_secrets: asList(input.webhook_secret),
      remote_key: input.remote_key,
      config: input.config,
    });
    await announce('integrated_account:updated', updated);
    return view(updated);
  });

  // The secret-capture window (Gusto-style token POSTs, declared by a handshake's `capture_secret`).
  const captureOf = (record: AccountRecord) => ctx.catalog.get(record.provider)?.definition.webhook?.handshakes.find((h) => h.capture_secret);

  app.post<IdParams>('/v1/integrated-accounts/:id/verification', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.OpenVerification, request.body);
    const record = await find(environment.id, request.params.id);
    const capture = captureOf(record);
    if (!capture) throw new SwitchyardError('SWY_ERR_VALIDATION', `${record.provider} does not send a verification token to capture`);
    const updated = await openVerification(accounts, record, input.minutes ?? capture.capture_window_minutes);
    await announce('integrated_account:updated', updated);
    return view(updated);
  });

  app.post<IdParams>('/v1/integrated-accounts/:id/verification/confirm', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.ConfirmVerification, request.body);
    const confirmed = await confirmPending(accounts, await find(environment.id, request.params.id), input.token);
    if (!confirmed.ok) throw new SwitchyardError(confirmed.code, confirmed.detail);
    await announce('integrated_account:updated', confirmed.record);
    return view(confirmed.record);
  });

  app.delete<IdParams>('/v1/integrated-accounts/:id', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    // The provider stops sending first; a provider that cannot be reached is told in webhook/registration:failed.
    await registrar.unregister(record);
    // Its tokens, overrides and raw deliveries go too (nothing of a deleted account stays behind).
    await deleteAccountData(ctx, record);
    await announce('integrated_account:deleted', record);
    return reply.status(204).send();
  });
}
