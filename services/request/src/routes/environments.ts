import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchyardError, api } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import type { ApiKeyRecord } from '@switchyard/stores';
import { deleteEnvironment } from '../environment-deletion.js';
import type { RequestParts } from '../parts.js';
import { requireAdmin, requireAdminOrEnvironment } from '../auth.js';
import type { Registrar } from '../registration/index.js';

/** The API's view of a key record: never the key, never its hash. */
function keyView(record: ApiKeyRecord): api.ApiKeyView {
  return { id: record.key_id, prefix: record.prefix, created_at: record.created_at, ...(record.expires_at ? { expires_at: record.expires_at } : {}) };
}

/**
 * `POST /v1/environments` (admin token) → `{id, name, api_key, created_at}`; the key is shown only here.
 * API keys of one environment: `GET|POST /v1/environments/{id}/api-keys` and
 * `DELETE /v1/environments/{id}/api-keys/{key_id}`, for the admin token or one of the environment's own
 * keys (so a tenant can rotate without the operator). Another environment's key gets 404, as elsewhere.
 * `DELETE /v1/environments/{id}` (admin token only) removes the environment with all its data.
 */
export function registerEnvironmentRoutes(app: FastifyInstance, ctx: RequestParts, adminToken: string, registrar?: Registrar): void {
  const { environments } = ctx;
  app.post('/v1/environments', async (request, reply) => {
    requireAdmin(request, adminToken);
    const input = parseInput(api.CreateEnvironment, request.body);
    const { environment, apiKey } = await environments.create(input.name);
    return reply.status(201).send({ ...environment, api_key: apiKey });
  });

  app.delete<{ Params: { id: string } }>('/v1/environments/:id', async (request) => {
    requireAdmin(request, adminToken);
    if (!(await environments.get(request.params.id))) throw new SwitchyardError('SWY_ERR_NOT_FOUND', 'no such environment');
    const deleted = await deleteEnvironment(ctx, request.params.id, registrar ? (account) => registrar.unregister(account) : undefined);
    request.log.info({ environment: request.params.id, ...deleted }, 'environment deleted');
    return { id: request.params.id, deleted };
  });

  const environmentOf = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<string> =>
    (await requireAdminOrEnvironment(request, request.params.id, environments, adminToken)).id;

  app.get<{ Params: { id: string } }>('/v1/environments/:id/api-keys', async (request) => {
    const id = await environmentOf(request);
    return { data: environments.listKeys(id).map(keyView) };
  });

  app.post<{ Params: { id: string } }>('/v1/environments/:id/api-keys', async (request, reply) => {
    const id = await environmentOf(request);
    const input = parseInput(api.CreateApiKey, request.body ?? {});
    const { apiKey, record } = await environments.rotateKey(id, input.expire_others_in_seconds);
    return reply.status(201).send({ ...keyView(record), api_key: apiKey });
  });

  app.delete<{ Params: { id: string; key_id: string } }>('/v1/environments/:id/api-keys/:key_id', async (request, reply) => {
    const id = await environmentOf(request);
    const outcome = await environments.revokeKey(id, request.params.key_id);
    if (outcome === 'not_found') throw new SwitchyardError('SWY_ERR_NOT_FOUND', 'no such API key in this environment');
    if (outcome === 'last') throw new SwitchyardError('SWY_ERR_API_KEY_LAST', 'issue a new key before revoking the last one');
    return reply.status(204).send();
  });
}
