import type { FastifyInstance } from 'fastify';
import { api, ERRORS, SwitchyardError, type ErrorCode } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import type { AccountStore, EnvironmentStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import type { RequestParts } from '../parts.js';
import type { Registrar } from '../registration/index.js';

type IdParams = { Params: { id: string } };

/**
 * `/v1/integrated-accounts/{id}/webhook-registration`: `PUT` ensures the hub's webhook at the provider
 * (idempotent; the answer is the state after the attempt, a failure included), `GET` reads it, `DELETE`
 * removes it at the provider. Providers without a registration API answer state `manual` with the steps.
 */
export function registerWebhookRegistrationRoutes(app: FastifyInstance, _ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, registrar: Registrar): void {
  const find = async (environmentId: string, id: string) => {
    const record = await accounts.getInEnvironment(environmentId, id);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${id}'`);
    return record;
  };

  app.put<IdParams>('/v1/integrated-accounts/:id/webhook-registration', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.EnsureWebhookRegistration, request.body ?? {});
    const account = await find(environment.id, request.params.id);
    const record = await registrar.ensure(account, input.event_types);
    return registrar.view(record, (await accounts.get(account.id)) ?? account);
  });

  app.get<IdParams>('/v1/integrated-accounts/:id/webhook-registration', async (request) => {
    const environment = await requireEnvironment(request, environments);
    const account = await find(environment.id, request.params.id);
    const record = await registrar.current(account);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `account '${account.id}' has no webhook registration; PUT one`);
    return registrar.view(record, account);
  });

  app.delete<IdParams>('/v1/integrated-accounts/:id/webhook-registration', async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const account = await find(environment.id, request.params.id);
    const { removed, error } = await registrar.unregister(account);
    if (!removed) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `account '${account.id}' has no webhook registration`);
    if (error) {
      const code: ErrorCode = error.code in ERRORS ? (error.code as ErrorCode) : 'SWY_ERR_REGISTRATION_REFUSED';
      throw new SwitchyardError(code, `the registration is forgotten here, but ${error.detail}; remove it at the provider by hand`);
    }
    return reply.status(204).send();
  });
}
