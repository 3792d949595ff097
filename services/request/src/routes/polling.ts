import type { FastifyInstance } from 'fastify';
import { SwitchyardError, type api } from '@switchyard/contracts';
import type { AccountRecord, AccountStore, EnvironmentStore } from '@switchyard/stores';
import { requireEnvironment } from '../auth.js';
import type { RequestParts } from '../parts.js';
import { pairsOf, type PairKind, type PollRecord, type PollStore } from '../polling/index.js';
import type { PollControls } from '../polling/store.js';

type IdParams = { Params: { id: string } };

/**
 * The poll state and its controls (docs/polling.md): `GET /v1/integrated-accounts/{id}/polling` answers,
 * per polled or reconciled resource, when it ran, how far its cursor is, the lag, the events it emitted,
 * its last coded error, the pause and a pending poll-now. `POST …/polling/pause|resume|poll-now` change
 * only the operator's controls, kept in the `polls` bucket: a pause holds on every replica and across
 * restarts, a poll-now is started within a tick by whichever replica holds the poller lease.
 */
export function registerPollingRoutes(app: FastifyInstance, ctx: RequestParts, environments: EnvironmentStore, accounts: AccountStore, store: PollStore): void {
  const accountOf = async (request: { params: { id: string } } & Parameters<typeof requireEnvironment>[0]): Promise<AccountRecord> => {
    const environment = await requireEnvironment(request, environments);
    const account = await accounts.getInEnvironment(environment.id, request.params.id);
    if (!account) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no integrated account '${request.params.id}'`);
    return account;
  };
  const answer = async (account: AccountRecord, pairs: Array<[string, PairKind]>): Promise<api.PollingView> => ({
    integrated_account_id: account.id,
    provider: account.provider,
    resources: await Promise.all(pairs.map(async ([resource, kind]) => view(resource, sourceOf(ctx, account, resource, kind), await store.get(account.id, resource)))),
  });

  app.get<IdParams>('/v1/integrated-accounts/:id/polling', async (request): Promise<api.PollingView> => {
    const account = await accountOf(request);
    const pairs = pairsOf(ctx.catalog, account);
    if (pairs.length === 0) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `${account.provider} is not polled for this account`);
    return answer(account, pairs);
  });

  const controls: Record<string, (record: PollRecord | undefined) => PollControls> = {
    pause: (record) => ({ paused: true, poll_requested_at: record?.poll_requested_at ?? null }),
    resume: (record) => ({ paused: false, poll_requested_at: record?.poll_requested_at ?? null }),
    'poll-now': (record) => ({ paused: record?.paused ?? false, poll_requested_at: new Date().toISOString() }),
  };
  for (const [action, change] of Object.entries(controls)) {
    app.post<IdParams>(`/v1/integrated-accounts/:id/polling/${action}`, async (request): Promise<api.PollingView> => {
      const account = await accountOf(request);
      const pairs = pairsOf(ctx.catalog, account);
      if (pairs.length === 0) {
        throw new SwitchyardError('SWY_ERR_POLLING_NONE', `${account.provider} declares nothing to poll for this account (set config.reconcile: true where the provider declares reconciliation)`);
      }
      for (const [resource] of pairs) await store.control(account, resource, change(await store.get(account.id, resource)));
      ctx.logger.info({ account: account.id, provider: account.provider, action }, 'poll control changed');
      return answer(account, pairs);
    });
  }
}

function sourceOf(ctx: RequestParts, account: AccountRecord, resource: string, kind: PairKind): api.PollStateView['source'] {
  return kind === 'reconcile' ? 'reconcile' : ctx.catalog.get(account.provider)!.definition.polling!.resources[resource]!.source.type;
}

/** The API view of one poll state (never a body or a credential: the record holds none). */
function view(resource: string, source: api.PollStateView['source'], record: PollRecord | undefined): api.PollStateView {
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
    paused: record?.paused ?? false,
    poll_requested_at: record?.poll_requested_at ?? null,
    progress: record?.progress ?? null,
    missed: source === 'reconcile' ? { last_run: record?.missed_last_run ?? 0, total: record?.missed_total ?? 0, last_at: record?.last_missed_at ?? null } : null,
  };
}
