import { type Bus, KvCollection, keyToken } from '@switchyard/bus';
import type { api } from '@switchyard/contracts';
import type { Logger } from '@switchyard/kernel';
import type { RegistrationScope } from './subjects.js';

/** A registration's state (docs/registration.md). */
export type RegistrationState = (typeof api.REGISTRATION_STATES)[number];

/** The last coded failure of a registration call. */
export type RegistrationFailure = api.WebhookRegistrationView['last_error'] & {};

/**
 * The hub's webhook at the provider for one integrated account, as kept in the `registrations` bucket.
 * Everything the reconciler needs lives here, nothing in memory, so any replica (or the same one after
 * a restart) carries on. The verification secret is not here: it is the account's sealed webhook secret.
 */
export interface RegistrationRecord {
  /** The account's id, or at app scope the provider app's (ids are `acc_…` and `app_…`: keys never clash). */
  account_id: string;
  /** `app`: made once per provider app (the definition's `registration.scope`); absent for an account's. */
  scope?: RegistrationScope;
  environment_id: string;
  provider: string;
  mode: 'api' | 'manual';
  state: RegistrationState;
  /** The customer's narrowing patterns (`event_types` on PUT); null = every event the mapping handles. */
  event_types: string[] | null;
  /** Provider event names subscribed to. */
  events: string[];
  /** The provider's ids of the webhook (one per event with `split: per_event`); empty until created. */
  remote_ids: string[];
  /** The provider's id of what the definition's `setup` call made (Dataverse's service endpoint), if it keeps one. */
  setup_id?: string | null;
  expires_at: string | null;
  /** When renewal is due: `renew_ahead_fraction` of the granted lifetime before `expires_at`. */
  renew_at: string | null;
  last_renewed_at: string | null;
  /** When the reconciler looks at it next (renewal, read-back, retry after a failure). */
  next_check_at: string | null;
  /** When the hub last asked the provider for a verification token (pending_verification). */
  verification_requested_at: string | null;
  /** Consecutive failures, for the backoff. */
  failures: number;
  last_error: RegistrationFailure | null;
  created_at: string;
  updated_at: string;
}

/**
 * Registrations in KV keyed by account, mirrored in memory by a watch (so the reconciler's sweep reads
 * no KV), with the account's own lock serializing every change (see {@link Registrar}).
 */
export class RegistrationStore {
  readonly #entries: KvCollection<RegistrationRecord>;

  private constructor(entries: KvCollection<RegistrationRecord>) {
    this.#entries = entries;
  }

  static async open(bus: Bus, logger: Logger): Promise<RegistrationStore> {
    const entries = new KvCollection<RegistrationRecord>(bus.kv.registrations, logger);
    await entries.start();
    return new RegistrationStore(entries);
  }

  get(accountId: string): Promise<RegistrationRecord | undefined> {
    return this.#entries.get(keyToken(accountId));
  }

  async put(record: RegistrationRecord): Promise<RegistrationRecord> {
    const next = { ...record, updated_at: new Date().toISOString() };
    await this.#entries.put(keyToken(record.account_id), next);
    return next;
  }

  async delete(accountId: string): Promise<void> {
    await this.#entries.delete(keyToken(accountId));
  }

  /** Every registration (snapshot of the watched mirror). */
  all(): RegistrationRecord[] {
    return this.#entries.values();
  }

  /** Every registration whose next check is due at `nowMs` (snapshot). */
  due(nowMs: number): RegistrationRecord[] {
    return this.all().filter((r) => r.mode === 'api' && r.next_check_at !== null && Date.parse(r.next_check_at) <= nowMs);
  }

  stop(): void {
    this.#entries.stop();
  }
}
