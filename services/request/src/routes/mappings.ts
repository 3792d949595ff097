import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MappingOverride, MappingPreview, MappingRollback, SwitchyardError } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import { normalize, type LoadedProvider } from '@switchyard/mapping';
import type { RequestParts } from '../parts.js';
import { syntheticAccount, type AccountStore, type EnvironmentStore, type MappingStore, type OverrideLevel } from '@switchyard/stores';
import { z } from 'zod';
import { requireEnvironment } from '../auth.js';

type Params = { Params: { provider: string; accountId?: string } };

const LevelQuery = z.object({ level: z.enum(['resolved', 'override']).default('resolved') });

/**
 * `/v1/mappings/{provider}` (environment level) and `/v1/mappings/{provider}/accounts/{id}` (account
 * level): read the resolved mapping or the override alone, merge a partial override (validated and
 * compiled before it is stored), delete it, read its history, roll back to a revision; and
 * `POST /v1/mappings/preview` to see the events a payload would produce, publishing nothing.
 */
export function registerMappingRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, mappings: MappingStore): void {
  const provider = (slug: string): LoadedProvider => {
    const found = ctx.catalog.get(slug);
    if (!found?.webhookMapping) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no provider '${slug}' with a webhook mapping`);
    return found;
  };
  const scope = async (request: FastifyRequest<Params>): Promise<{ loaded: LoadedProvider; level: OverrideLevel }> => {
    const environment = await requireEnvironment(request, environments);
    const loaded = provider(request.params.provider);
    if (!request.params.accountId) return { loaded, level: { environmentId: environment.id } };
    const account = await accounts.getInEnvironment(environment.id, request.params.accountId);
    if (!account || account.provider !== loaded.definition.slug) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no ${loaded.definition.slug} account '${request.params.accountId}'`);
    return { loaded, level: { environmentId: environment.id, accountId: account.id } };
  };
  const resolvedView = (loaded: LoadedProvider, level: OverrideLevel) => {
    const resolved = mappings.resolve(loaded, level.environmentId, 'accountId' in level ? level.accountId : undefined);
    return {
      provider: loaded.definition.slug,
      level: 'accountId' in level ? 'account' : 'environment',
      mapping_version: resolved.version,
      revisions: resolved.revisions,
      webhook: { mapping: resolved.source, bindings: resolved.bindings },
    };
  };

  for (const path of ['/v1/mappings/:provider', '/v1/mappings/:provider/accounts/:accountId']) {
    app.get<Params>(path, async (request) => {
      const { loaded, level } = await scope(request);
      if (parseInput(LevelQuery, request.query).level === 'resolved') return resolvedView(loaded, level);
      const override = await mappings.override(loaded.definition.slug, level);
      if (!override) throw new SwitchyardError('SWY_ERR_NOT_FOUND', 'no override at this level');
      return { provider: loaded.definition.slug, revision: override.revision, ...override.document };
    });

    app.put<Params>(path, async (request) => {
      const { loaded, level } = await scope(request);
      const change = parseInput(MappingOverride, request.body);
      const revision = await mappings.merge(loaded, level, change);
      return { ...resolvedView(loaded, level), revision };
    });

    app.delete<Params>(path, async (request, reply) => {
      const { loaded, level } = await scope(request);
      await mappings.remove(loaded.definition.slug, level);
      return reply.status(204).send();
    });

    app.get<Params>(`${path}/history`, async (request) => {
      const { loaded, level } = await scope(request);
      return { data: await mappings.history(loaded.definition.slug, level) };
    });

    app.post<Params>(`${path}/rollback`, async (request) => {
      const { loaded, level } = await scope(request);
      const { revision } = parseInput(MappingRollback, request.body);
      const restored = await mappings.rollback(loaded, level, revision);
      return { ...resolvedView(loaded, level), revision: restored, rolled_back_to: revision };
    });
  }

  app.post('/v1/mappings/preview', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(MappingPreview, request.body);
    const loaded = provider(input.provider);
    const account = input.integrated_account_id ? await accounts.getInEnvironment(environment.id, input.integrated_account_id) : undefined;
    if (input.integrated_account_id && !account) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${input.integrated_account_id}'`);
    const resolved = mappings.resolve(loaded, environment.id, account?.id);
    const mapping = input.mapping ? { ...resolved, name: 'preview mapping', source: input.mapping, version: 'preview', tenantWritten: true } : resolved;
    const now = new Date().toISOString();
    // Always in the sandbox: the payload, and often the expression, are the tenant's, and any API key may ask.
    const events = await normalize(ctx.sandbox.mappings(environment.id), mapping, {
      provider: loaded.definition.slug,
      account: account ?? syntheticAccount({ provider: loaded.definition.slug, environmentId: environment.id }),
      eventKey: 'preview',
      receivedAt: now,
      origin: 'webhook',
      payload: input.payload,
      headers: input.headers ?? {},
    });
    return { mapping_version: mapping.version, events };
  });
}
