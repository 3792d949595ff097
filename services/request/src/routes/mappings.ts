import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_OVERRIDE_FIELDS, ApiMappingPreview, MappingOverride, MappingPreview, MappingRollback, SwitchyardError } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import { normalize, type LoadedProvider } from '@switchyard/mapping';
import type { RequestParts } from '../parts.js';
import { syntheticAccount, type AccountStore, type EnvironmentStore, type MappingStore, type OverrideLevel } from '@switchyard/stores';
import { z } from 'zod';
import { requireEnvironment } from '../auth.js';

type Params = { Params: { provider: string; accountId?: string } };

const LevelQuery = z.object({ level: z.enum(['resolved', 'override']).default('resolved') });

/**
 * Parses an override body. A key the schema does not know is named with its full JSON path
 * (`api.resources.hris/employees.list.path`), so a tenant sees which field is not overridable.
 */
function parseOverride(body: unknown): MappingOverride {
  const result = MappingOverride.safeParse(body ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code !== 'unrecognized_keys') return [{ path: at.join('.') || 'body', message: issue.message }];
    const why = at[0] === 'api' ? 'not overridable: an API override sets only expressions (map, query, records, body) and filters' : 'unknown field';
    return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: why }));
  });
  throw new SwitchyardError('SWY_ERR_VALIDATION', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { extensions: { errors } });
}

/**
 * `/v1/mappings/{provider}` (environment level) and `/v1/mappings/{provider}/accounts/{id}` (account
 * level): read the resolved mapping or the override alone, merge a partial override (validated and
 * compiled before it is stored), delete it, read its history, roll back to a revision; and
 * `POST /v1/mappings/preview` to see the events a payload would produce, publishing nothing, and
 * `POST /v1/mappings/preview/api` to see the unified record a provider record becomes, calling nothing.
 * An override holds a `webhook` section, an `api` section (unified API expressions and filters), or both.
 */
export function registerMappingRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, mappings: MappingStore): void {
  const provider = (slug: string): LoadedProvider => {
    const found = ctx.catalog.get(slug);
    if (!found?.webhookMapping && !found?.definition.api) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no provider '${slug}' with a webhook mapping or an API`);
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
    const accountId = 'accountId' in level ? level.accountId : undefined;
    const webhook = loaded.webhookMapping ? mappings.resolve(loaded, level.environmentId, accountId) : undefined;
    // The overridable part of each unified resource, resolved: expressions by operation, and filters.
    const resources: Record<string, Record<string, unknown>> = {};
    for (const name of Object.keys(loaded.definition.api?.resources ?? {})) {
      const resolved = mappings.resolveApi(loaded, name, level.environmentId, accountId)!;
      const view: Record<string, unknown> = { filters: resolved.resource.filters };
      for (const [operation, fields] of Object.entries(API_OVERRIDE_FIELDS)) {
        const op = resolved.resource[operation as keyof typeof API_OVERRIDE_FIELDS];
        if (op) view[operation] = Object.fromEntries(fields.flatMap((field) => (op[field] === undefined ? [] : [[field, op[field]]])));
      }
      resources[name] = view;
    }
    return {
      provider: loaded.definition.slug,
      level: accountId ? 'account' : 'environment',
      mapping_version: webhook?.version ?? null,
      revisions: mappings.revisions(loaded.definition.slug, level.environmentId, accountId),
      ...(webhook ? { webhook: { mapping: webhook.source, bindings: webhook.bindings } } : {}),
      ...(loaded.definition.api ? { api: { resources } } : {}),
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
      const change = parseOverride(request.body);
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

  app.post('/v1/mappings/preview/api', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(ApiMappingPreview, request.body);
    const loaded = provider(input.provider);
    if (!loaded.definition.api?.resources[input.resource]) throw new SwitchyardError('SWY_ERR_RESOURCE_UNSUPPORTED', `${loaded.definition.slug} backs no unified resource '${input.resource}'`);
    const account = input.integrated_account_id ? await accounts.getInEnvironment(environment.id, input.integrated_account_id) : undefined;
    if (input.integrated_account_id && (!account || account.provider !== loaded.definition.slug)) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no ${loaded.definition.slug} account '${input.integrated_account_id}'`);
    const target = { provider: loaded, account: account ?? syntheticAccount({ provider: loaded.definition.slug, environmentId: environment.id }), credentials: {} };
    const result = await ctx.client.unified.preview(target, input.resource, input.operation, input.record, input.mapping);
    return { provider: loaded.definition.slug, resource: input.resource, operation: input.operation, result };
  });

  app.post('/v1/mappings/preview', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(MappingPreview, request.body);
    const loaded = provider(input.provider);
    if (!loaded.webhookMapping) throw new SwitchyardError('SWY_ERR_MAPPING_MISSING', `no webhook mapping for provider '${loaded.definition.slug}' (preview an API mapping with /v1/mappings/preview/api)`);
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
