import type { FastifyInstance } from 'fastify';
import { api, ERRORS, SwitchyardError, type ErrorCode } from '@switchyard/contracts';
import { parseInput } from '@switchyard/kernel';
import type { AccountRecord, AccountStore, EnvironmentStore, ProviderAppRecord, ProviderAppStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import type { RequestParts } from '../parts.js';
import type { Registrar } from '../registration/index.js';
import type { RegistrationRecord } from '../registration/store.js';
import { appAsAccount } from '../registration/subjects.js';

type IdParams = { Params: { id: string } };

/** How one kind of owner (account, provider app) of a registration is found and worked on. */
interface Owner<T> {
  path: string;
  find(environmentId: string, id: string): Promise<T | undefined>;
  ensure(owner: T, eventTypes: string[] | undefined): Promise<RegistrationRecord>;
  current(owner: T): Promise<RegistrationRecord | undefined>;
  unregister(owner: T): Promise<{ removed: boolean; error: api.WebhookRegistrationView['last_error'] }>;
  /** The view, with the account (or the app shaped as one) as now stored. */
  view(record: RegistrationRecord, owner: T): Promise<api.WebhookRegistrationView>;
}

/**
 * `/v1/integrated-accounts/{id}/webhook-registration` and, for providers registering once per app
 * (`scope: app`, HubSpot), `/v1/provider-apps/{id}/webhook-registration`: `PUT` ensures the hub's
 * webhook at the provider (idempotent; the answer is the state after the attempt, a failure included),
 * `GET` reads it, `DELETE` removes it at the provider. Providers without a registration API answer
 * state `manual` with the steps.
 */
export function registerWebhookRegistrationRoutes(app: FastifyInstance, _ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, apps: ProviderAppStore, registrar: Registrar): void {
  routes<AccountRecord>(app, environments, {
    path: '/v1/integrated-accounts/:id/webhook-registration',
    find: (environmentId, id) => accounts.getInEnvironment(environmentId, id),
    ensure: (account, eventTypes) => registrar.ensure(account, eventTypes),
    current: (account) => registrar.current(account),
    unregister: (account) => registrar.unregister(account),
    view: async (record, account) => registrar.view(record, (await accounts.get(account.id)) ?? account),
  });
  routes<ProviderAppRecord>(app, environments, {
    path: '/v1/provider-apps/:id/webhook-registration',
    find: (environmentId, id) => apps.getInEnvironment(environmentId, id),
    ensure: (providerApp, eventTypes) => registrar.ensureApp(providerApp, eventTypes),
    current: (providerApp) => registrar.currentApp(providerApp),
    unregister: (providerApp) => registrar.unregisterApp(providerApp),
    view: async (record, providerApp) => registrar.view(record, appAsAccount(providerApp)),
  });
}

function routes<T extends { id: string }>(app: FastifyInstance, environments: EnvironmentStore, owner: Owner<T>): void {
  const find = async (environmentId: string, id: string) => {
    const record = await owner.find(environmentId, id);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no ${owner.path.startsWith('/v1/provider-apps') ? 'provider app' : 'integrated account'} '${id}'`);
    return record;
  };

  app.put<IdParams>(owner.path, async (request) => {
    const environment = await requireEnvironment(request, environments);
    const input = parseInput(api.EnsureWebhookRegistration, request.body ?? {});
    const found = await find(environment.id, request.params.id);
    return owner.view(await owner.ensure(found, input.event_types), found);
  });

  app.get<IdParams>(owner.path, async (request) => {
    const environment = await requireEnvironment(request, environments);
    const found = await find(environment.id, request.params.id);
    const record = await owner.current(found);
    if (!record) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `'${found.id}' has no webhook registration; PUT one`);
    return owner.view(record, found);
  });

  app.delete<IdParams>(owner.path, async (request, reply) => {
    const environment = await requireEnvironment(request, environments);
    const found = await find(environment.id, request.params.id);
    const { removed, error } = await owner.unregister(found);
    if (!removed) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `'${found.id}' has no webhook registration`);
    if (error) {
      const code: ErrorCode = error.code in ERRORS ? (error.code as ErrorCode) : 'SWY_ERR_REGISTRATION_REFUSED';
      throw new SwitchyardError(code, `the registration is forgotten here, but ${error.detail}; remove it at the provider by hand`);
    }
    return reply.status(204).send();
  });
}
