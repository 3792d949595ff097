import type { FastifyInstance } from 'fastify';
import { api, SwitchyardError } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import type { RequestParts } from '../parts.js';
import { providerAppView, type EnvironmentStore, type ProviderAppRecord, type ProviderAppStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import type { Registrar } from '../registration/index.js';

type IdParams = { Params: { id: string } };

const asList = (secret: string | string[] | undefined) => (secret === undefined ? undefined : Array.isArray(secret) ? secret : [secret]);

/**
 * `/v1/provider-apps`: an environment's app at a provider — OAuth client and, for providers that sign
 * app-level webhooks (HubSpot signs with the client secret), the secrets to verify them. Secrets are
 * encrypted and never returned; `webhook_url` is where such a provider sends webhooks for all accounts.
 */
export function registerProviderAppRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, apps: ProviderAppStore, registrar: Registrar): void {
  const view = (record: ProviderAppRecord) => {
    const routes = ctx.catalog.get(record.provider)?.definition.webhook?.app_routing !== undefined;
    return providerAppView(record, routes ? `${ctx.publicUrl}/webhooks/${record.provider}/apps/${record.id}` : null);
  };
  const find = async (environmentId: string, id: string) => {
    const record = await apps.getInEnvironment(environmentId, id);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no provider app '${id}'`);
    return record;
  };

  app.post('/v1/provider-apps', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.CreateProviderApp, request.body);
    if (!ctx.catalog.get(input.provider)) {
      const known = ctx.catalog.list().map((p) => p.definition.slug).join(', ');
      throw new SwitchyardError('SWY_ERR_VALIDATION', `provider: unknown provider '${input.provider}' (known: ${known})`);
    }
    const record = await apps.create(environment.id, input.provider, {
      client_id: input.client_id,
      client_secret: asList(input.client_secret),
      webhook_secret: asList(input.webhook_secret),
      credentials: input.credentials,
      scopes: input.scopes,
      config: input.config,
    });
    return reply.status(201).send(view(record));
  });

  app.get('/v1/provider-apps', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return { data: apps.list(environment.id).map(view) };
  });

  app.get<IdParams>('/v1/provider-apps/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    return view(await find(environment.id, request.params.id));
  });

  app.patch<IdParams>('/v1/provider-apps/:id', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.UpdateProviderApp, request.body);
    const record = await find(environment.id, request.params.id);
    return view(
      await apps.update(record, {
        client_id: input.client_id,
        client_secret: asList(input.client_secret),
        webhook_secret: asList(input.webhook_secret),
        credentials: input.credentials,
        scopes: input.scopes,
        config: input.config,
      }),
    );
  });

  app.delete<IdParams>('/v1/provider-apps/:id', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const record = await find(environment.id, request.params.id);
    // An app-level webhook at the provider goes with the app (a provider that cannot be reached is reported, not fatal).
    await registrar.unregisterApp(record);
    await apps.delete(record.id);
    return reply.status(204).send();
  });
}
