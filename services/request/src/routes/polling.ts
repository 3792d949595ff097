import type { FastifyInstance } from 'fastify';
import { SwitchyardError, type api } from '@switchyard/contracts';
import type { AccountStore, EnvironmentStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import type { RequestParts } from '../parts.js';
import type { PollRecord, PollStore } from '../polling/index.js';

type IdParams = { Params: { id: string } };

/**
 * `GET /v1/integrated-accounts/{id}/polling`: per polled resource of the account's provider, when it
 * ran, how far its cursor is, the lag, the events it emitted and its last coded error (docs/polling.md).
 * A provider that is not polled answers `SWY_ERR_NOT_FOUND`.
 */
export function registerPollingRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, store: PollStore): void {
  app.get<IdParams>('/v1/integrated-accounts/:id/polling', async (request): Promise<api.PollingView> => {
    const environment = await requireEnvironment(request, environments);
    const account = await accounts.getInEnvironment(environment.id, request.params.id);
    if (!account) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${request.params.id}'`);
    const polling = ctx.catalog.get(account.provider)?.definition.polling;
    if (!polling) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `${account.provider} is not polled`);
    const resources = await Promise.all(
      Object.entries(polling.resources).map(async ([resource, polled]) => view(resource, polled.source.type, await store.get(account.id, resource))),
    );
    return { integrated_account_id: account.id, provider: account.provider, resources };
  });
}

/** The API view of one poll state (never a body or a credential: the record holds none). */
function view(resource: string, source: 'queue' | 'modified_since', record: PollRecord | undefined): api.PollStateView {
  const since = record?.cursor ?? (record && record.last_error === null ? record.last_run_at : null);
  return {
    resource,
    source,
    last_run_at: record?.last_run_at ?? null,
    next_poll_at: record?.next_poll_at ?? null,
    cursor: record?.cursor ?? null,
    lag_seconds: since ? Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000)) : null,
    events_emitted: record?.events_emitted ?? 0,
    pending_ack: record?.head !== null && record?.head !== undefined,
    last_error: record?.last_error ?? null,
  };
}
