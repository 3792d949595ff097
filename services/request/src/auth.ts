import type { FastifyRequest } from 'fastify';
import { SwitchyardError, type api } from '@switchyard/contracts';
import { tokensEqual, type EnvironmentStore } from '@switchyard/stores';

/** The bearer token of a request, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** Throws 401 unless the request carries the operator's admin token (compared in constant time). */
export function requireAdmin(request: FastifyRequest, adminToken: string): void {
  const token = bearerToken(request);
  if (!token || !tokensEqual(token, adminToken)) {
    throw new SwitchyardError('SWY_ERR_UNAUTHORIZED', 'this route needs Authorization: Bearer <SWITCHYARD_ADMIN_TOKEN>');
  }
}

/**
 * Resolves the environment of the request's API key or throws 401. Every customer route calls this
 * first and scopes all reads and writes to the environment it returns.
 */
export async function requireEnvironment(request: FastifyRequest, environments: EnvironmentStore): Promise<api.Environment> {
  const token = bearerToken(request);
  const environment = token ? await environments.authenticate(token) : undefined;
  if (!environment) throw new SwitchyardError('SWY_ERR_UNAUTHORIZED', 'this route needs Authorization: Bearer <environment api key>');
  return environment;
}

/**
 * For routes on one environment's own settings (its API keys): the admin token may act on any
 * environment; an API key only on its own. A key of another environment gets 404, not 403, so a
 * tenant cannot probe which environment ids exist.
 */
export async function requireAdminOrEnvironment(
  request: FastifyRequest,
  environmentId: string,
  environments: EnvironmentStore,
  adminToken: string,
): Promise<api.Environment> {
  const token = bearerToken(request);
  if (token && tokensEqual(token, adminToken)) {
    const environment = await environments.get(environmentId);
    if (!environment) throw new SwitchyardError('SWY_ERR_NOT_FOUND', 'no such environment');
    return environment;
  }
  const own = await requireEnvironment(request, environments);
  if (own.id !== environmentId) throw new SwitchyardError('SWY_ERR_NOT_FOUND', 'no such environment');
  return own;
}
