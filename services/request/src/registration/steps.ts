import { randomBytes } from 'node:crypto';
import type { ApiRegistration, RegistrationCall } from '@switchyard/contracts';
import type { LoadedProvider, MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer, RegistrationCalls, RegistrationTarget } from '@switchyard/provider-client';
import { confirmPending, openVerification, type AccountRecord, type AccountStore } from '@switchyard/stores';
import { expectSuccess, readAnswer, RegistrationFailed } from './outcome.js';
import type { RegistrationRecord } from './store.js';
import type { RegistrationSubjects } from './subjects.js';

/** What the steps call through. */
export interface StepParts {
  engine: MappingEngine;
  calls: RegistrationCalls;
  accounts: AccountStore;
  /** Whose credentials, URL and secret a registration uses (the account's, or at app scope the app's). */
  subjects: RegistrationSubjects;
  publicUrl: string;
  /** Caps the lifetime the hub asks for, in seconds (`SWITCHYARD_REGISTRATION_MAX_LIFETIME_S`). */
  maxLifetimeS: number | undefined;
  now: () => number;
}

/** What a successful step changes in the record. */
export type StepResult = Partial<Pick<RegistrationRecord, 'state' | 'remote_ids' | 'setup_id' | 'expires_at' | 'last_renewed_at' | 'verification_requested_at'>> & {
  /** When renewal is due (ISO), when the registration expires. */
  renew_at?: string | null;
  /** The operational event this step earns, if any. */
  announce?: 'created' | 'renewed';
  /** True when the registration had vanished at the provider and was made again. */
  repaired?: boolean;
};

/**
 * The provider-facing steps of a registration: create, read back, renew, verify, delete. Each takes the
 * record as it is and returns what changed, or throws a {@link RegistrationFailed}; the registrar
 * persists either outcome. Provider differences come only from the definition's `registration`.
 */
export class RegistrationSteps {
  readonly #p: StepParts;

  constructor(parts: StepParts) {
    this.#p = parts;
  }

  /** The JSONata scope of a call (see `RegistrationCall` in contracts); `id` is the part the call is about. */
  #scope(registration: ApiRegistration, account: AccountRecord, record: Pick<RegistrationRecord, 'events' | 'setup_id'>, id?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      account: { id: account.id, config: account.config },
      webhook_url: this.#p.subjects.url(registration.scope, account),
      events: record.events,
      remote: { id: id ?? null },
      setup: { id: record.setup_id ?? null },
      ...extra,
    };
  }

  /** One declared call with the account's credentials (or the registration's own auth), its answer checked. */
  async #call(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, what: string, call: RegistrationCall, scope: Record<string, unknown>, id: string | undefined, allow: number[] = []): Promise<RegistrationAnswer> {
    const target: RegistrationTarget = { provider, account, credentials: await this.#p.subjects.credentials(registration, account) };
    const answer = await this.#p.calls.send(target, what, call, scope, id, registration.auth);
    return expectSuccess(this.#p.engine, provider.definition.slug, registration, what, answer, allow);
  }

  /** The expiry to ask for and when to renew it, from the definition (capped by the operator's maximum). */
  #lifetime(registration: ApiRegistration): { expiresAt: string; lifetimeMs: number } | undefined {
    if (!registration.expiry) return undefined;
    let lifetimeMs = registration.expiry.lifetime_minutes * 60_000;
    if (this.#p.maxLifetimeS !== undefined) lifetimeMs = Math.min(lifetimeMs, this.#p.maxLifetimeS * 1000);
    return { expiresAt: new Date(this.#p.now() + lifetimeMs).toISOString(), lifetimeMs };
  }

  #renewAt(registration: ApiRegistration, expiresAt: string | null): string | null {
    if (!expiresAt || !registration.expiry) return null;
    const left = Date.parse(expiresAt) - this.#p.now();
    return new Date(Date.parse(expiresAt) - left * registration.expiry.renew_ahead_fraction).toISOString();
  }

  /**
   * Creates the webhook at the provider — one per subscribed event when the definition says
   * `split: "per_event"` (Pipedrive takes one object per webhook), all removed again if one fails. A
   * secret the hub generates (shared by every part) or the ones the provider returns (BambooHR's one-time
   * `privateKey`) become the account's webhook secrets, sealed by the account store. With a verification
   * step, the capture window is opened first: the provider sends its token right away.
   */
  async create(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const slug = provider.definition.slug;
    const random = registration.secret ? randomBytes(registration.secret.bytes).toString(registration.secret.encoding) : undefined;
    const lifetime = this.#lifetime(registration);
    let current = account;
    // The capture window is the account's: an app-level registration has nowhere to put a pending token.
    if (registration.verification && registration.scope === 'app') throw new RegistrationFailed('SWY_ERR_REGISTRATION_UNSUPPORTED', `${slug}: a verification step is not supported for app-level registration`);
    if (registration.verification) current = await openVerification(this.#p.accounts, current, Math.min(60, Math.ceil(registration.verification.wait_s / 60)));
    const parts = registration.split === 'per_event' ? record.events.map((event) => [event]) : [record.events];
    const ids: string[] = [];
    const providerSecrets: string[] = [];
    let granted: string | undefined;
    let setupId: string | undefined;
    try {
      if (registration.setup) {
        const scope = this.#scope(registration, current, record, undefined, { secret: random ?? null, expires_at: lifetime?.expiresAt ?? null });
        const answer = await this.#call(provider, registration, current, 'setup', registration.setup, scope, undefined);
        if (registration.setup.keep) setupId = await readAnswer(this.#p.engine, slug, 'setup id', registration.setup.keep, answer, true, 'setup.keep');
      }
      for (const events of parts) {
        const base = this.#scope(registration, current, { ...record, events, setup_id: setupId ?? null }, undefined, { event: events[0], secret: random ?? null, expires_at: lifetime?.expiresAt ?? null });
        const scope = { ...base, lookup: await this.#lookups(provider, registration, current, base) };
        const answer = await this.#call(provider, registration, current, 'create', registration.create, scope, undefined);
        const id = (await readAnswer(this.#p.engine, slug, 'id', registration.answer.id, answer, true))!;
        ids.push(id);
        if (registration.answer.secret) {
          const secret = await readAnswer(this.#p.engine, slug, 'secret', registration.answer.secret, answer, false);
          // A webhook whose key we never saw can never be verified: it is removed with the others below.
          if (secret === undefined) throw new RegistrationFailed('SWY_ERR_REGISTRATION_ANSWER_INVALID', `${slug}'s answer to create carries no secret`, { providerStatus: answer.status });
          providerSecrets.push(secret);
        }
        const expiry = registration.answer.expires_at ? await readAnswer(this.#p.engine, slug, 'expires_at', registration.answer.expires_at, answer, false) : undefined;
        if (expiry && (granted === undefined || Date.parse(expiry) < Date.parse(granted))) granted = expiry;
      }
    } catch (error) {
      await this.delete(provider, registration, current, { ...record, remote_ids: ids, setup_id: setupId ?? null }).catch(() => undefined);
      throw error;
    }
    const generated = random !== undefined ? String(await this.#p.engine.evaluate(`${slug}/provider.json#registration.secret.as`, registration.secret!.as, { random })) : undefined;
    const secrets = providerSecrets.length > 0 ? providerSecrets : generated !== undefined ? [generated] : [];
    if (secrets.length > 0) current = await this.#p.subjects.storeSecrets(registration, current, secrets);
    const expiresAt = granted ? new Date(granted).toISOString() : (lifetime?.expiresAt ?? null);
    const verifying = registration.verification !== undefined;
    return {
      state: verifying ? 'pending_verification' : 'registered',
      remote_ids: ids,
      setup_id: setupId ?? null,
      expires_at: expiresAt,
      renew_at: this.#renewAt(registration, expiresAt),
      last_renewed_at: null,
      verification_requested_at: verifying ? new Date(this.#p.now()).toISOString() : null,
      ...(verifying ? {} : { announce: 'created' as const }),
    };
  }

  /** Extends every part's expiry; a part gone at the provider (404) → the registration is created again. */
  async renew(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const slug = provider.definition.slug;
    if (!registration.renew) return this.#recreate(provider, registration, account, record);
    const lifetime = this.#lifetime(registration);
    let expiresAt = lifetime?.expiresAt ?? null;
    // Zoho's PUT replaces the channel's details: the token it echoes must be sent again.
    const secret = registration.secret ? ((await this.#p.subjects.webhookSecrets(registration, account))[0] ?? null) : null;
    for (const id of record.remote_ids) {
      const answer = await this.#call(provider, registration, account, 'renew', registration.renew, this.#scope(registration, account, record, id, { expires_at: lifetime?.expiresAt ?? null, secret }), id, [404]);
      if (answer.status === 404) return this.#repair(provider, registration, account, record);
      const granted = registration.answer.expires_at && answer.body !== undefined ? await readAnswer(this.#p.engine, slug, 'expires_at', registration.answer.expires_at, answer, false) : undefined;
      if (granted && (expiresAt === null || Date.parse(granted) < Date.parse(expiresAt))) expiresAt = new Date(granted).toISOString();
    }
    return { state: 'registered', expires_at: expiresAt, renew_at: this.#renewAt(registration, expiresAt), last_renewed_at: new Date(this.#p.now()).toISOString(), announce: 'renewed' };
  }

  /** A provider without a renew call: create a new registration, then remove the old one. */
  async #recreate(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const created = await this.create(provider, registration, account, record);
    await this.delete(provider, registration, account, record).catch(() => undefined);
    return { ...created, last_renewed_at: new Date(this.#p.now()).toISOString(), announce: 'renewed' };
  }

  /** What is left of a registration the provider (partly) deleted is removed, and the whole is created again. */
  async #repair(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    await this.delete(provider, registration, account, record).catch(() => undefined);
    return { ...(await this.create(provider, registration, account, record)), repaired: true };
  }

  /** Reads every part back; when the provider deleted one (404, or `exists` false) the registration is created again. */
  async check(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult | undefined> {
    if (!registration.read) return undefined;
    const slug = provider.definition.slug;
    for (const id of record.remote_ids) {
      const answer = await this.#call(provider, registration, account, 'read', registration.read, this.#scope(registration, account, record, id), id, [404]);
      const view = { body: answer.body, headers: answer.headers, remote: { id } };
      const gone = answer.status === 404 || (registration.exists !== undefined && !(await this.#p.engine.evaluate(`${slug}/provider.json#registration.exists`, registration.exists, view)));
      if (gone) return this.#repair(provider, registration, account, record);
    }
    return undefined;
  }

  /**
   * Hands the provider the verification token it POSTed (captured as pending by the edge) and, when it
   * accepts, makes that token the webhook secret. No token within `wait_s`: ask again (`resend`) or fail.
   */
  async verify(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const verification = registration.verification!;
    const slug = provider.definition.slug;
    const id = record.remote_ids[0]!;
    const token = this.#p.accounts.pendingSecret(account);
    if (token === undefined) {
      const waited = this.#p.now() - Date.parse(record.verification_requested_at ?? record.created_at);
      if (waited < verification.wait_s * 1000) return {};
      if (!verification.resend) throw new RegistrationFailed('SWY_ERR_REGISTRATION_VERIFICATION_PENDING', `${slug} sent no verification token within ${verification.wait_s} s`);
      const reopened = await openVerification(this.#p.accounts, account, Math.min(60, Math.ceil(verification.wait_s / 60)));
      await this.#call(provider, registration, reopened, 'verification.resend', verification.resend, this.#scope(registration, reopened, record, id), id);
      return { verification_requested_at: new Date(this.#p.now()).toISOString() };
    }
    await this.#call(provider, registration, account, 'verification.call', verification.call, this.#scope(registration, account, record, id, { token }), id);
    const confirmed = await confirmPending(this.#p.accounts, account, token);
    if (!confirmed.ok) throw new RegistrationFailed(confirmed.code, confirmed.detail);
    return { state: 'registered', announce: 'created' };
  }

  /**
   * Answers a provider's lifecycle notice about part `id`: `reauthorize` calls the declared reauthorize
   * (or renews, which reauthorizes too); `removed`, or a 404, creates the registration again.
   */
  async lifecycle(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord, id: string, event: 'reauthorize' | 'removed'): Promise<StepResult> {
    if (event === 'removed') return this.#repair(provider, registration, account, record);
    const call = registration.lifecycle?.reauthorize;
    if (!call) return this.renew(provider, registration, account, record);
    const answer = await this.#call(provider, registration, account, 'lifecycle.reauthorize', call, this.#scope(registration, account, record, id), id, [404]);
    if (answer.status === 404) return this.#repair(provider, registration, account, record);
    return { state: 'registered', last_renewed_at: new Date(this.#p.now()).toISOString(), announce: 'renewed' };
  }

  /** Removes every part at the provider, then what `setup` made (`teardown`); already gone (404) counts as removed. */
  async delete(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<void> {
    if (registration.delete) {
      for (const id of record.remote_ids) await this.#call(provider, registration, account, 'delete', registration.delete, this.#scope(registration, account, record, id), id, [404]);
    }
    const setupId = record.setup_id;
    if (registration.teardown && setupId) await this.#call(provider, registration, account, 'teardown', registration.teardown, this.#scope(registration, account, record, setupId), setupId, [404]);
  }

  /** The definition's `lookups` for one part, in order (each may use the ones before it as `lookup.<name>`). */
  async #lookups(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, scope: Record<string, unknown>): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    for (const lookup of registration.lookups) {
      const answer = await this.#call(provider, registration, account, `lookups.${lookup.name}`, lookup.call, { ...scope, lookup: found }, undefined);
      found[lookup.name] = (await readAnswer(this.#p.engine, provider.definition.slug, lookup.name, lookup.read, answer, true, `lookups.${lookup.name}.read`))!;
    }
    return found;
  }
}
