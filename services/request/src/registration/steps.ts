import { randomBytes } from 'node:crypto';
import type { ApiRegistration, RegistrationCall } from '@switchyard/contracts';
import type { LoadedProvider, MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer, RegistrationCalls, RegistrationTarget } from '@switchyard/provider-client';
import { confirmPending, openVerification, type AccountRecord, type AccountStore } from '@switchyard/stores';
import { expectSuccess, readAnswer, RegistrationFailed } from './outcome.js';
import type { RegistrationRecord } from './store.js';

/** What the steps call through. */
export interface StepParts {
  engine: MappingEngine;
  calls: RegistrationCalls;
  accounts: AccountStore;
  publicUrl: string;
  /** Caps the lifetime the hub asks for, in seconds (`SWITCHYARD_REGISTRATION_MAX_LIFETIME_S`). */
  maxLifetimeS: number | undefined;
  now: () => number;
}

/** What a successful step changes in the record. */
export type StepResult = Partial<Pick<RegistrationRecord, 'state' | 'remote_id' | 'expires_at' | 'last_renewed_at' | 'verification_requested_at'>> & {
  /** When renewal is due (ISO), when the registration expires. */
  renew_at?: string | null;
  /** The operational event this step earns, if any. */
  announce?: 'created' | 'renewed';
  /** True when the registration had vanished at the provider and was made again. */
  repaired?: boolean;
};

/** The account's webhook URL, as `GET /v1/integrated-accounts/{id}` shows it. */
export function webhookUrl(publicUrl: string, account: Pick<AccountRecord, 'id' | 'provider'>): string {
  return `${publicUrl}/webhooks/${account.provider}/${account.id}`;
}

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

  /** The JSONata scope of a call (see `RegistrationCall` in contracts). */
  #scope(account: AccountRecord, record: RegistrationRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      account: { id: account.id, config: account.config },
      webhook_url: webhookUrl(this.#p.publicUrl, account),
      events: record.events,
      remote: { id: record.remote_id },
      ...extra,
    };
  }

  /** One declared call with the account's credentials (or the registration's own auth), its answer checked. */
  async #call(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, what: string, call: RegistrationCall, scope: Record<string, unknown>, id: string | undefined, allow: number[] = []): Promise<RegistrationAnswer> {
    const target: RegistrationTarget = { provider, account, credentials: this.#p.accounts.credentials(account) };
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
   * Creates the webhook at the provider. A secret the hub generates (or the one the provider returns,
   * BambooHR's one-time `privateKey`) becomes the account's webhook secret, sealed by the account store.
   * With a verification step, the capture window is opened first: the provider sends its token right away.
   */
  async create(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const slug = provider.definition.slug;
    const random = registration.secret ? randomBytes(registration.secret.bytes).toString(registration.secret.encoding) : undefined;
    const lifetime = this.#lifetime(registration);
    let current = account;
    if (registration.verification) current = await openVerification(this.#p.accounts, current, Math.min(60, Math.ceil(registration.verification.wait_s / 60)));
    const scope = this.#scope(current, record, { secret: random ?? null, expires_at: lifetime?.expiresAt ?? null });
    const answer = await this.#call(provider, registration, current, 'create', registration.create, scope, undefined);
    const remoteId = await readAnswer(this.#p.engine, slug, 'id', registration.answer.id, answer, true);
    const providerSecret = registration.answer.secret ? await readAnswer(this.#p.engine, slug, 'secret', registration.answer.secret, answer, false) : undefined;
    if (registration.answer.secret && providerSecret === undefined) {
      // A webhook whose key we never saw can never be verified: remove it rather than leave it sending.
      await this.delete(provider, registration, current, { ...record, remote_id: remoteId! }).catch(() => undefined);
      throw new RegistrationFailed('SWY_ERR_REGISTRATION_ANSWER_INVALID', `${slug}'s answer to create carries no secret`, { providerStatus: answer.status });
    }
    const secret = providerSecret ?? (random !== undefined ? String(await this.#p.engine.evaluate(`${slug}/provider.json#registration.secret.as`, registration.secret!.as, { random })) : undefined);
    if (secret !== undefined) current = await this.#p.accounts.update(current, { webhook_secrets: [secret] });
    const granted = registration.answer.expires_at ? await readAnswer(this.#p.engine, slug, 'expires_at', registration.answer.expires_at, answer, false) : undefined;
    const expiresAt = granted ? new Date(granted).toISOString() : (lifetime?.expiresAt ?? null);
    const now = new Date(this.#p.now()).toISOString();
    const verifying = registration.verification !== undefined;
    return {
      state: verifying ? 'pending_verification' : 'registered',
      remote_id: remoteId!,
      expires_at: expiresAt,
      renew_at: this.#renewAt(registration, expiresAt),
      last_renewed_at: null,
      verification_requested_at: verifying ? now : null,
      ...(verifying ? {} : { announce: 'created' as const }),
    };
  }

  /** Extends the registration's expiry; gone at the provider (404) → created again. */
  async renew(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const slug = provider.definition.slug;
    if (!registration.renew) return this.#recreate(provider, registration, account, record);
    const lifetime = this.#lifetime(registration);
    const scope = this.#scope(account, record, { expires_at: lifetime?.expiresAt ?? null });
    const answer = await this.#call(provider, registration, account, 'renew', registration.renew, scope, record.remote_id!, [404]);
    if (answer.status === 404) return { ...(await this.create(provider, registration, account, record)), repaired: true };
    const granted = registration.answer.expires_at && answer.body !== undefined ? await readAnswer(this.#p.engine, slug, 'expires_at', registration.answer.expires_at, answer, false) : undefined;
    const expiresAt = granted ? new Date(granted).toISOString() : (lifetime?.expiresAt ?? null);
    return { state: 'registered', expires_at: expiresAt, renew_at: this.#renewAt(registration, expiresAt), last_renewed_at: new Date(this.#p.now()).toISOString(), announce: 'renewed' };
  }

  /** A provider without a renew call: create a new registration, then remove the old one. */
  async #recreate(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const created = await this.create(provider, registration, account, record);
    await this.delete(provider, registration, account, record).catch(() => undefined);
    return { ...created, last_renewed_at: new Date(this.#p.now()).toISOString(), announce: 'renewed' };
  }

  /** Reads the registration back; when the provider deleted it (404, or `exists` false) it is created again. */
  async check(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult | undefined> {
    if (!registration.read) return undefined;
    const slug = provider.definition.slug;
    const answer = await this.#call(provider, registration, account, 'read', registration.read, this.#scope(account, record), record.remote_id!, [404]);
    const gone = answer.status === 404 || (registration.exists !== undefined && !(await this.#p.engine.evaluate(`${slug}/provider.json#registration.exists`, registration.exists, { body: answer.body, headers: answer.headers })));
    if (!gone) return undefined;
    if (answer.status !== 404) await this.delete(provider, registration, account, record).catch(() => undefined);
    return { ...(await this.create(provider, registration, account, record)), repaired: true };
  }

  /**
   * Hands the provider the verification token it POSTed (captured as pending by the edge) and, when it
   * accepts, makes that token the webhook secret. No token within `wait_s`: ask again (`resend`) or fail.
   */
  async verify(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<StepResult> {
    const verification = registration.verification!;
    const slug = provider.definition.slug;
    const token = this.#p.accounts.pendingSecret(account);
    if (token === undefined) {
      const waited = this.#p.now() - Date.parse(record.verification_requested_at ?? record.created_at);
      if (waited < verification.wait_s * 1000) return {};
      if (!verification.resend) throw new RegistrationFailed('SWY_ERR_REGISTRATION_VERIFICATION_PENDING', `${slug} sent no verification token within ${verification.wait_s} s`);
      const reopened = await openVerification(this.#p.accounts, account, Math.min(60, Math.ceil(verification.wait_s / 60)));
      await this.#call(provider, registration, reopened, 'verification.resend', verification.resend, this.#scope(reopened, record), record.remote_id!);
      return { verification_requested_at: new Date(this.#p.now()).toISOString() };
    }
    await this.#call(provider, registration, account, 'verification.call', verification.call, this.#scope(account, record, { token }), record.remote_id!);
    const confirmed = await confirmPending(this.#p.accounts, account, token);
    if (!confirmed.ok) throw new RegistrationFailed(confirmed.code, confirmed.detail);
    return { state: 'registered', announce: 'created' };
  }

  /** Removes the registration at the provider; already gone (404) counts as removed. */
  async delete(provider: LoadedProvider, registration: ApiRegistration, account: AccountRecord, record: RegistrationRecord): Promise<void> {
    if (!registration.delete || !record.remote_id) return;
    await this.#call(provider, registration, account, 'delete', registration.delete, this.#scope(account, record), record.remote_id, [404]);
  }
}
