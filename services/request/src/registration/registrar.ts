import { type Bus, KvLock, keyToken, publishOperationalEvent } from '@switchyard/bus';
import { type api, type ApiRegistration, eventTypeMatches, SwitchyardError } from '@switchyard/contracts';
import { randomId, type Logger } from '@switchyard/kernel';
import type { LoadedProvider, ProviderCatalog } from '@switchyard/mapping';
import type { AccountRecord, ProviderAppRecord, ProviderAppStore } from '@switchyard/stores';
import { failureOf } from './outcome.js';
import { RegistrationSteps, type StepParts, type StepResult } from './steps.js';
import type { RegistrationRecord, RegistrationStore } from './store.js';
import { appAsAccount, appWebhookUrl, type RegistrationScope } from './subjects.js';

/** Timings of the registrar (`RegistrationEnv`). */
export interface RegistrarOptions {
  /** How often a registration that needs nothing is read back at the provider, in ms. */
  checkIntervalMs: number;
  /** First retry delay after a failure, doubled per failure up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often a registration waiting for the provider's verification token is looked at, in ms. */
  verifyPollMs: number;
  /** How long one account's registration lock is held at most (a crashed holder's lapses), in ms. */
  lockTtlMs: number;
}

/** What the registrar works with. */
export interface RegistrarParts extends Omit<StepParts, 'now'> {
  bus: Bus;
  logger: Logger;
  catalog: ProviderCatalog;
  store: RegistrationStore;
  apps: ProviderAppStore;
  now?: () => number;
}

type Announced = 'created' | 'renewed' | 'failed' | 'expiring';

/**
 * Keeps each account's webhook at its provider as its registration record says: `ensure` (the API and
 * `register_webhooks: true`), `reconcile` (the reconciler, for records that are due) and `unregister`.
 * Every change to one account's registration runs under that account's KV lock, so the API and the
 * reconciler of any replica never create the same webhook twice.
 */
export class Registrar {
  readonly #p: RegistrarParts;
  readonly #o: RegistrarOptions;
  readonly #steps: RegistrationSteps;
  readonly #locks: KvLock;
  readonly #now: () => number;

  constructor(parts: RegistrarParts, options: RegistrarOptions) {
    this.#p = parts;
    this.#o = options;
    this.#now = parts.now ?? Date.now;
    this.#steps = new RegistrationSteps({ ...parts, now: this.#now });
    this.#locks = new KvLock(parts.bus.kv.locks, { owner: randomId('reg'), ttlMs: options.lockTtlMs, now: this.#now });
  }

  /** The provider's registration section, or a coded error naming the provider. */
  #registration(account: AccountRecord): { provider: LoadedProvider; registration: NonNullable<LoadedProvider['definition']['registration']> } {
    const provider = this.#p.catalog.get(account.provider);
    const registration = provider?.definition.registration;
    if (!provider || !registration) throw new SwitchyardError('SWY_ERR_REGISTRATION_UNSUPPORTED', `${account.provider} declares no webhook registration`);
    return { provider, registration };
  }

  /**
   * Registers the account's webhook, or brings an existing registration in line (idempotent): a new
   * narrowing of `eventTypes` re-creates it with the new events. Returns the record after the attempt;
   * a failure is in its state and `last_error`, not thrown. A provider registering once per app
   * (`scope: app`) ensures the registration of the account's provider app instead.
   */
  async ensure(account: AccountRecord, eventTypes: string[] | undefined): Promise<RegistrationRecord> {
    const { provider, registration } = this.#registration(account);
    if (registration.mode === 'api' && registration.scope === 'app') {
      const app = account.provider_app_id ? await this.#p.apps.get(account.provider_app_id) : undefined;
      if (!app) throw new SwitchyardError('SWY_ERR_VALIDATION', `${provider.definition.slug} registers webhooks once per provider app: connect the account through a provider app, then PUT /v1/provider-apps/{id}/webhook-registration`);
      return this.ensureApp(app, eventTypes);
    }
    return this.#ensure(account, 'account', eventTypes);
  }

  /** Registers a provider app's webhook once for all its accounts (`scope: app`); otherwise as {@link ensure}. */
  async ensureApp(app: ProviderAppRecord, eventTypes: string[] | undefined): Promise<RegistrationRecord> {
    const subject = appAsAccount(app);
    const { provider, registration } = this.#registration(subject);
    if (registration.mode !== 'api' || registration.scope !== 'app') throw new SwitchyardError('SWY_ERR_VALIDATION', `${provider.definition.slug} does not register webhooks per provider app; use PUT /v1/integrated-accounts/{id}/webhook-registration`);
    return this.#ensure(subject, 'app', eventTypes);
  }

  async #ensure(account: AccountRecord, scope: RegistrationScope, eventTypes: string[] | undefined): Promise<RegistrationRecord> {
    const { provider, registration } = this.#registration(account);
    if (registration.mode === 'api' && subscribedEvents(registration, eventTypes).length === 0) throw new SwitchyardError('SWY_ERR_VALIDATION', `event_types: none of ${provider.definition.slug}'s events yields a matching type`);
    return this.#locked(account.id, async () => {
      const existing = await this.#p.store.get(account.id);
      const now = new Date(this.#now()).toISOString();
      if (registration.mode === 'manual') {
        return existing ?? (await this.#p.store.put(newRecord(account, 'manual', eventTypes, [], now, scope)));
      }
      const events = subscribedEvents(registration, eventTypes ?? existing?.event_types);
      if (existing && existing.remote_ids.length > 0) {
        const narrowed = eventTypes !== undefined && !sameSet(existing.events, events);
        if (!narrowed) return existing.last_error !== null ? this.#step(account, existing) : existing;
        // New events: the provider's webhook is replaced by one subscribed to them.
        await this.#steps.delete(provider, registration, account, existing).catch(() => undefined);
      }
      const record: RegistrationRecord = { ...(existing ?? newRecord(account, 'api', null, [], now, scope)), event_types: eventTypes ?? existing?.event_types ?? null, events, remote_ids: [] };
      return this.#apply(account, record, () => this.#steps.create(provider, registration, account, record));
    });
  }

  /**
   * The account's registration; a provider with manual steps has one without asking (state `manual`);
   * at app scope, the registration of the account's provider app.
   */
  async current(account: AccountRecord): Promise<RegistrationRecord | undefined> {
    const registration = this.#p.catalog.get(account.provider)?.definition.registration;
    if (registration?.mode === 'api' && registration.scope === 'app') return account.provider_app_id ? this.#p.store.get(account.provider_app_id) : undefined;
    const stored = await this.#p.store.get(account.id);
    if (stored) return stored;
    return registration?.mode === 'manual' ? newRecord(account, 'manual', null, [], account.created_at, 'account') : undefined;
  }

  /** A provider app's own registration (`scope: app`), if one was made. */
  currentApp(app: ProviderAppRecord): Promise<RegistrationRecord | undefined> {
    return this.#p.store.get(app.id);
  }

  /** Removes a provider app's registration at the provider and forgets it (see {@link unregister}). */
  unregisterApp(app: ProviderAppRecord): Promise<{ removed: boolean; error: api.WebhookRegistrationView['last_error'] }> {
    return this.unregister(appAsAccount(app));
  }

  /** The subject a stored record is about: the account, or the provider app shaped as one. */
  async #subject(record: RegistrationRecord): Promise<AccountRecord | undefined> {
    if (record.scope !== 'app') return this.#p.accounts.get(record.account_id);
    const app = await this.#p.apps.get(record.account_id);
    return app ? appAsAccount(app) : undefined;
  }

  /** One reconciler pass over a due record; skipped when another replica holds the account's lock. */
  async reconcile(accountId: string): Promise<void> {
    const attempt = await this.#locks.tryAcquire(lockKey(accountId));
    if (!attempt.acquired) return;
    try {
      const record = await this.#p.store.get(accountId);
      if (!record || record.next_check_at === null || Date.parse(record.next_check_at) > this.#now()) return;
      const account = await this.#subject(record);
      // The account (or app) is gone (deleted elsewhere mid-way): nothing to keep alive.
      if (!account) return void (await this.#p.store.delete(accountId));
      if (this.#p.catalog.get(account.provider)?.definition.registration?.mode !== 'api') {
        // The definition no longer registers (or the provider is gone): say so once and stop looking.
        const failure = { code: 'SWY_ERR_REGISTRATION_UNSUPPORTED', detail: `${account.provider} no longer declares webhook registration through its API`, at: new Date(this.#now()).toISOString(), provider_status: null };
        return void (await this.#p.store.put({ ...record, state: 'failed', last_error: failure, next_check_at: null }));
      }
      await this.#step(account, record);
    } finally {
      await attempt.lock.release();
    }
  }

  /**
   * A lifecycle notice from the provider about part `remoteId` of the account's registration (read from
   * a verified delivery). A notice about a part the record no longer holds is stale and ignored; a
   * failed reauthorization leaves the registration due for renewal, which reauthorizes as well.
   */
  async lifecycle(accountId: string, remoteId: string, event: 'reauthorize' | 'removed' | 'missed'): Promise<void> {
    await this.#locked(accountId, async () => {
      const record = await this.#p.store.get(accountId);
      const account = await this.#p.accounts.get(accountId);
      if (!record || !account || !record.remote_ids.includes(remoteId)) return;
      this.#p.logger.info({ account: accountId, provider: account.provider, event }, 'registration lifecycle notice');
      if (event === 'missed') return;
      const { provider, registration } = this.#registration(account);
      if (registration.mode !== 'api') return;
      const saved = await this.#apply(account, record, () => this.#steps.lifecycle(provider, registration, account, record, remoteId, event));
      if (saved.last_error) await this.#p.store.put({ ...saved, renew_at: new Date(this.#now()).toISOString() });
    });
  }

  /** The step a record needs now: create, verify, renew, or a read-back; then persisted. */
  async #step(account: AccountRecord, record: RegistrationRecord): Promise<RegistrationRecord> {
    const { provider, registration } = this.#registration(account);
    if (registration.mode !== 'api') return record;
    const now = this.#now();
    return this.#apply(account, record, async () => {
      if (record.remote_ids.length === 0) return this.#steps.create(provider, registration, account, record);
      if (record.state === 'pending_verification') return this.#steps.verify(provider, registration, account, record);
      if (record.renew_at !== null && Date.parse(record.renew_at) <= now) return this.#steps.renew(provider, registration, account, record);
      return (await this.#steps.check(provider, registration, account, record)) ?? { state: 'registered' };
    });
  }

  /** Runs a step and persists its outcome: the changes and the next check, or the coded failure and the backoff. */
  async #apply(account: AccountRecord, record: RegistrationRecord, step: () => Promise<StepResult>): Promise<RegistrationRecord> {
    const now = this.#now();
    const nowIso = new Date(now).toISOString();
    let next: RegistrationRecord;
    let announce: Announced | undefined;
    try {
      const { announce: earned, repaired, renew_at, ...changes } = await step();
      next = { ...record, ...changes, renew_at: renew_at === undefined ? record.renew_at : renew_at, failures: 0, last_error: null };
      next.next_check_at = this.#nextCheck(next, now);
      announce = earned;
      if (repaired) this.#p.logger.info({ account: account.id, provider: account.provider }, 'webhook registration was gone at the provider; created again');
    } catch (error) {
      const { failure, retryAfterMs } = failureOf(error, nowIso);
      if (failure.code === 'SWY_ERR_INTERNAL') this.#p.logger.error({ err: error, account: account.id }, 'webhook registration step failed');
      const failures = record.failures + 1;
      const expiring = record.remote_ids.length > 0 && record.expires_at !== null && Date.parse(record.expires_at) > now;
      const lapsed = record.remote_ids.length === 0 || (record.expires_at !== null && !expiring);
      const backoff = Math.max(retryAfterMs ?? 0, Math.min(this.#o.backoffBaseMs * 2 ** (failures - 1), this.#o.backoffMaxMs));
      // A live registration is retried before it lapses, whatever the backoff says.
      const retryAt = expiring ? Math.min(now + backoff, Date.parse(record.expires_at!) - Math.min(backoff, (Date.parse(record.expires_at!) - now) / 2)) : now + backoff;
      // Nothing live → failed; live but unrenewed → expiring; a webhook that does not expire (or still
      // awaits verification) keeps its state, with the error beside it: it may well still deliver.
      const state = lapsed ? 'failed' : expiring ? 'expiring' : record.state === 'pending_verification' ? 'pending_verification' : 'registered';
      next = { ...record, state, failures, last_error: failure, next_check_at: new Date(Math.max(retryAt, now + 1)).toISOString() };
      announce = state === 'expiring' ? (record.state === 'expiring' ? undefined : 'expiring') : 'failed';
      this.#p.logger.warn({ account: account.id, provider: account.provider, code: failure.code, provider_status: failure.provider_status, failures }, 'webhook registration step failed');
    }
    const saved = await this.#p.store.put(next);
    if (announce) await this.#announce(announce, saved, account);
    return saved;
  }

  #nextCheck(record: RegistrationRecord, now: number): string | null {
    if (record.mode !== 'api') return null;
    const candidates = [now + (record.state === 'pending_verification' ? this.#o.verifyPollMs : this.#o.checkIntervalMs)];
    if (record.renew_at !== null) candidates.push(Date.parse(record.renew_at));
    return new Date(Math.max(now + 1, Math.min(...candidates))).toISOString();
  }

  /**
   * Removes the account's webhook at the provider and forgets the registration. A provider that cannot
   * be reached is reported (`webhook/registration:failed`) but does not keep the account alive.
   */
  async unregister(account: AccountRecord): Promise<{ removed: boolean; error: api.WebhookRegistrationView['last_error'] }> {
    return this.#locked(account.id, async () => {
      const record = await this.#p.store.get(account.id);
      if (!record) return { removed: false, error: null };
      const { provider, registration } = this.#registration(account);
      let error: api.WebhookRegistrationView['last_error'] = null;
      if (registration.mode === 'api') {
        try {
          await this.#steps.delete(provider, registration, account, record);
        } catch (cause) {
          error = failureOf(cause, new Date(this.#now()).toISOString()).failure;
          await this.#announce('failed', { ...record, last_error: error }, account);
        }
      }
      await this.#p.store.delete(account.id);
      return { removed: true, error };
    });
  }

  /** The API's view of a registration: ids, events, times, last error; for manual providers the steps. */
  view(record: RegistrationRecord, account: AccountRecord): api.WebhookRegistrationView {
    const registration = this.#p.catalog.get(account.provider)?.definition.registration;
    const app = record.scope === 'app';
    const url = this.#p.subjects.url(record.scope, app ? { id: record.account_id, provider: record.provider } : account);
    return {
      integrated_account_id: app ? null : record.account_id,
      provider_app_id: app ? record.account_id : null,
      provider: record.provider,
      mode: record.mode,
      state: record.state,
      webhook_url: url,
      provider_ids: record.remote_ids,
      subscribed_events: record.events,
      expires_at: record.expires_at,
      last_renewed_at: record.last_renewed_at,
      next_check_at: record.next_check_at,
      last_error: record.last_error,
      manual: registration?.mode === 'manual' ? { steps: registration.steps.map((step) => fillStep(step, url, this.#p.publicUrl, account)), secret_from: registration.secret_from } : null,
      created_at: record.created_at,
      updated_at: record.updated_at,
    };
  }

  async #announce(what: Announced, record: RegistrationRecord, account: AccountRecord): Promise<void> {
    const type = `webhook/registration:${what}` as const;
    await publishOperationalEvent(this.#p.bus, { type, environmentId: record.environment_id, key: `${record.account_id}:${what}:${record.updated_at}:${record.failures}`, data: this.view(record, account) }).catch((error: unknown) =>
      this.#p.logger.warn({ err: error, account: record.account_id, type }, 'registration event not published'),
    );
  }

  /** Runs `work` holding the account's registration lock, waiting for it up to the lock's TTL. */
  async #locked<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#o.lockTtlMs;
    for (;;) {
      const attempt = await this.#locks.tryAcquire(lockKey(accountId));
      if (attempt.acquired) {
        try {
          return await work();
        } finally {
          await attempt.lock.release();
        }
      }
      if (Date.now() > deadline) throw new SwitchyardError('SWY_ERR_IDEMPOTENCY_IN_PROGRESS', `the webhook registration of '${accountId}' is being changed; retry`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The provider events to subscribe to: all the definition lists, or those yielding a type one of `patterns` matches. */
export function subscribedEvents(registration: ApiRegistration, patterns: string[] | null | undefined): string[] {
  return registration.events.filter((event) => !patterns || event.yields.some((type) => patterns.some((p) => eventTypeMatches(p, type)))).map((event) => event.name);
}

function newRecord(account: AccountRecord, mode: 'api' | 'manual', eventTypes: string[] | null | undefined, events: string[], now: string, scope: RegistrationScope): RegistrationRecord {
  return {
    account_id: account.id,
    ...(scope === 'app' ? { scope } : {}),
    environment_id: account.environment_id,
    provider: account.provider,
    mode,
    state: mode === 'manual' ? 'manual' : 'failed',
    event_types: eventTypes ?? null,
    events,
    remote_ids: [],
    expires_at: null,
    renew_at: null,
    last_renewed_at: null,
    next_check_at: null,
    verification_requested_at: null,
    failures: 0,
    last_error: null,
    created_at: now,
    updated_at: now,
  };
}

const lockKey = (accountId: string) => `registration.${keyToken(accountId)}`;
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * A manual step with its placeholders filled: `{webhook_url}` (the account's URL), `{app_webhook_url}`
 * (its provider app's URL, for providers that send for every account of an app), `{account_id}`,
 * `{provider_app_id}`. Without a provider app the app placeholders say what is missing.
 */
function fillStep(step: string, url: string, publicUrl: string, account: AccountRecord): string {
  const app = account.provider_app_id;
  return step
    .replaceAll('{webhook_url}', url)
    .replaceAll('{app_webhook_url}', app ? appWebhookUrl(publicUrl, account.provider, app) : '<the webhook_url of the account\'s provider app: connect the account through one>')
    .replaceAll('{account_id}', account.id)
    .replaceAll('{provider_app_id}', app ?? '<provider app id>');
}
