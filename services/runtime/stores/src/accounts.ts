import { SwitchyardError, type api } from '@switchyard/contracts';
import { type Bus, isCasConflict, KvCollection } from '@switchyard/bus';
import { randomId, sha256Hex, type Logger, type Sealed, type Vault } from '@switchyard/kernel';

/**
 * Compare-and-set attempts before an update gives up: each lost race means another writer's change landed,
 * so running out takes that many writes to one account within a few milliseconds.
 */
const UPDATE_ATTEMPTS = 8;

/** Account states: only `active` accounts receive webhooks. */
export type AccountStatus = 'active' | 'disabled' | 'needs_reauth';

/** An integrated account as stored: credentials and webhook secrets sealed with the vault. */
export interface AccountRecord {
  id: string;
  environment_id: string;
  provider: string;
  status: AccountStatus;
  /** The provider app it was connected through, if any. */
  provider_app_id: string | null;
  remote_key: string | null;
  config: Record<string, unknown>;
  credentials: Sealed | null;
  webhook_secrets: Sealed | null;
  /** The secret-capture window; absent on records written before it existed (closed, nothing pending). */
  verification?: AccountVerification;
  created_at: string;
  updated_at: string;
}

/** An account's secret-capture window and the token the provider POSTed in it, sealed, until confirmed. */
export interface AccountVerification {
  open_until: string | null;
  pending: Sealed | null;
}

/** Fields accepted when creating an account. */
export interface NewAccount {
  environment_id: string;
  provider: string;
  credentials: Record<string, unknown>;
  webhook_secrets: string[];
  provider_app_id?: string | undefined;
  remote_key?: string | undefined;
  config: Record<string, unknown>;
}

/** Fields accepted when changing an account; `undefined` leaves a field as it is. */
export interface AccountChanges {
  status?: AccountStatus | undefined;
  credentials?: Record<string, unknown> | undefined;
  webhook_secrets?: string[] | undefined;
  remote_key?: string | null | undefined;
  config?: Record<string, unknown> | undefined;
  /** A new capture window state: `pending` null clears the pending token, a string seals it. */
  verification?: { open_until: string | null; pending: string | null } | undefined;
}

/**
 * Integrated accounts (one customer's connection to one provider), in the `accounts` bucket keyed by id.
 * Secrets are sealed with associated data naming the account and field.
 */
export class AccountStore {
  readonly #accounts: KvCollection<AccountRecord>;
  /** `<provider app>.<remote key>` → account id: how app-level webhooks find their account. */
  readonly #remoteKeys: KvCollection<string>;
  readonly #vault: Vault;
  /**
   * Decrypted webhook secrets per record object. Records are replaced, never mutated, on every change,
   * so an entry lives exactly as long as the version it was decrypted from; it saves an AES-GCM open
   * per webhook on the hot path.
   */
  readonly #secrets = new WeakMap<AccountRecord, string[]>();
  /** Decrypted credentials per record object, for the same reason: an AES-GCM open per API call otherwise. */
  readonly #credentials = new WeakMap<AccountRecord, Record<string, unknown>>();

  private constructor(accounts: KvCollection<AccountRecord>, remoteKeys: KvCollection<string>, vault: Vault) {
    this.#accounts = accounts;
    this.#remoteKeys = remoteKeys;
    this.#vault = vault;
  }

  static async open(bus: Bus, vault: Vault, logger: Logger): Promise<AccountStore> {
    const accounts = new KvCollection<AccountRecord>(bus.kv.accounts, logger);
    const remoteKeys = new KvCollection<string>(bus.kv.remote_keys, logger);
    await Promise.all([accounts.start(), remoteKeys.start()]);
    return new AccountStore(accounts, remoteKeys, vault);
  }

  /**
   * The account of a provider app with this remote key (HubSpot portalId, QuickBooks realmId, Xero
   * tenantId), or undefined. The index is checked against the account itself, so a stale entry never
   * routes a webhook to the wrong account.
   */
  async findByRemoteKey(appId: string, remoteKey: string): Promise<AccountRecord | undefined> {
    const id = await this.#remoteKeys.get(indexKey(appId, remoteKey));
    const account = id ? await this.#accounts.get(id) : undefined;
    return account && account.provider_app_id === appId && account.remote_key === remoteKey ? account : undefined;
  }

  /** Points the index at `accountId`, unless another live account of the app holds the key. */
  async #claim(appId: string, remoteKey: string, accountId: string): Promise<void> {
    const holder = await this.findByRemoteKey(appId, remoteKey);
    if (holder && holder.id !== accountId) {
      throw new SwitchyardError('SWY_ERR_REMOTE_KEY_TAKEN', `account ${holder.id} of provider app ${appId} has remote_key '${remoteKey}'`);
    }
    await this.#remoteKeys.put(indexKey(appId, remoteKey), accountId);
  }

  async #release(record: AccountRecord): Promise<void> {
    if (!record.provider_app_id || !record.remote_key) return;
    const key = indexKey(record.provider_app_id, record.remote_key);
    if ((await this.#remoteKeys.get(key)) === record.id) await this.#remoteKeys.delete(key);
  }

  async create(input: NewAccount): Promise<AccountRecord> {
    const id = randomId('acc');
    const now = new Date().toISOString();
    // Index first: a crash before the account is written leaves an entry that lookups ignore.
    if (input.provider_app_id && input.remote_key) await this.#claim(input.provider_app_id, input.remote_key, id);
    const record: AccountRecord = {
      id,
      environment_id: input.environment_id,
      provider: input.provider,
      status: 'active',
      provider_app_id: input.provider_app_id ?? null,
      remote_key: input.remote_key ?? null,
      config: input.config,
      credentials: this.#vault.sealJson(input.credentials, `account:${id}:credentials`),
      webhook_secrets:
        input.webhook_secrets.length > 0 ? this.#vault.sealJson(input.webhook_secrets, `account:${id}:webhook_secrets`) : null,
      created_at: now,
      updated_at: now,
    };
    await this.#accounts.create(id, record);
    return record;
  }

  /** An account by id, whatever its environment (the edge only knows the id from the URL). */
  get(id: string): Promise<AccountRecord | undefined> {
    return this.#accounts.get(id);
  }

  /** An account by id within one environment: another environment's account is "not found". */
  async getInEnvironment(environmentId: string, id: string): Promise<AccountRecord | undefined> {
    const record = await this.#accounts.get(id);
    return record?.environment_id === environmentId ? record : undefined;
  }

  /** Every account of every environment (snapshot of the watched mirror; the poller's sweep). */
  all(): AccountRecord[] {
    return this.#accounts.values();
  }

  /** Accounts of one environment, oldest first. */
  list(environmentId: string): AccountRecord[] {
    return this.#accounts
      .values()
      .filter((a) => a.environment_id === environmentId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /**
   * Applies `changes` to the account **as stored now**, not to `record` (which only names it): a
   * compare-and-set on the KV revision, re-read and reapplied when another writer got there first. The
   * edge's token capture, the registrar, the OAuth2 status change and a customer PATCH each change their
   * own fields, so none of them overwrites another's. An account deleted meanwhile is not resurrected.
   */
  async update(record: AccountRecord, changes: AccountChanges): Promise<AccountRecord> {
    const outcome = await this.updateIf<never>(record, () => ({ changes }));
    return (outcome as { record: AccountRecord }).record;
  }

  /**
   * {@link update} for changes that depend on the record: `decide` sees the account as stored at each
   * attempt and returns the changes, or `{refused}` to write nothing (a check that failed against the
   * current state, e.g. a different token already pending). Re-run after every lost race, so the
   * decision is always taken on what is actually overwritten.
   */
  async updateIf<R>(record: AccountRecord, decide: (current: AccountRecord) => { changes: AccountChanges } | { refused: R }): Promise<{ record: AccountRecord } | { refused: R }> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt += 1) {
      // The cache first (usually current: writes here update it at once); after a lost race, KV itself.
      const cached = attempt === 0 ? this.#accounts.peek(record.id) : undefined;
      const current = cached ?? (await this.#accounts.read(record.id));
      if (!current) throw new SwitchyardError('SWY_ERR_ACCOUNT_UNKNOWN', `account ${record.id} no longer exists`);
      const base = current.value;
      const decision = decide(base);
      // A refusal stands only on the record as stored: this replica's cache may not yet show a change
      // another one just made (a verification window opened there a moment ago).
      if ('refused' in decision) {
        if (cached) continue;
        return decision;
      }
      const next = this.#changed(base, decision.changes);
      // Claiming is idempotent for the same account, so a retry after a lost race claims again harmlessly.
      if (next.remote_key !== base.remote_key && base.provider_app_id && next.remote_key) await this.#claim(base.provider_app_id, next.remote_key, base.id);
      try {
        await this.#accounts.update(record.id, next, current.revision);
      } catch (error) {
        if (isCasConflict(error)) continue;
        throw error;
      }
      // Released only once the record no longer names the old key, so a failed write keeps it routable.
      if (next.remote_key !== base.remote_key) await this.#release(base);
      return { record: next };
    }
    throw new SwitchyardError('SWY_ERR_ACCOUNT_CONTENDED', `account ${record.id} changed ${UPDATE_ATTEMPTS} times while this change was applied; retry`);
  }

  /** `base` with `changes` applied (secrets sealed); a new object, so the decrypt caches stay per version. */
  #changed(base: AccountRecord, changes: AccountChanges): AccountRecord {
    return {
      ...base,
      status: changes.status ?? base.status,
      remote_key: changes.remote_key === undefined ? base.remote_key : changes.remote_key,
      config: changes.config ?? base.config,
      credentials: changes.credentials ? this.#vault.sealJson(changes.credentials, `account:${base.id}:credentials`) : base.credentials,
      webhook_secrets: changes.webhook_secrets
        ? this.#vault.sealJson(changes.webhook_secrets, `account:${base.id}:webhook_secrets`)
        : base.webhook_secrets,
      verification: changes.verification
        ? {
            open_until: changes.verification.open_until,
            pending: changes.verification.pending === null ? null : this.#vault.sealJson(changes.verification.pending, `account:${base.id}:pending_secret`),
          }
        : base.verification,
      updated_at: new Date().toISOString(),
    };
  }

  async delete(record: AccountRecord): Promise<void> {
    await this.#accounts.delete(record.id);
    await this.#release(record);
  }

  /** The account's active webhook secrets (several during a rotation), decrypted. */
  webhookSecrets(record: AccountRecord): string[] {
    let secrets = this.#secrets.get(record);
    if (!secrets) {
      secrets = record.webhook_secrets ? this.#vault.openJson<string[]>(record.webhook_secrets, `account:${record.id}:webhook_secrets`) : [];
      this.#secrets.set(record, secrets);
    }
    return secrets;
  }

  /** The token captured in the verification window and not yet confirmed, decrypted. */
  pendingSecret(record: AccountRecord): string | undefined {
    const sealed = record.verification?.pending;
    return sealed ? this.#vault.openJson<string>(sealed, `account:${record.id}:pending_secret`) : undefined;
  }

  /** The account's credentials, decrypted. */
  credentials(record: AccountRecord): Record<string, unknown> {
    let credentials = this.#credentials.get(record);
    if (!credentials) {
      credentials = record.credentials ? this.#vault.openJson<Record<string, unknown>>(record.credentials, `account:${record.id}:credentials`) : {};
      this.#credentials.set(record, credentials);
    }
    // A copy: callers may add to it (a fresher token) without touching the cached one.
    return { ...credentials };
  }

  stop(): void {
    this.#accounts.stop();
    this.#remoteKeys.stop();
  }
}

/** The API's view of an account: no credentials, no secrets. */
export function accountView(record: AccountRecord, webhookUrl: string | null): api.IntegratedAccountView {
  return {
    id: record.id,
    provider: record.provider,
    status: record.status,
    webhook_url: webhookUrl,
    provider_app_id: record.provider_app_id ?? null,
    remote_key: record.remote_key,
    config: record.config,
    has_webhook_secret: record.webhook_secrets !== null,
    verification: { open_until: record.verification?.open_until ?? null, token_pending: Boolean(record.verification?.pending) },
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

/** The index key of (app, remote key); remote keys outside KV's alphabet are hashed. */
function indexKey(appId: string, remoteKey: string): string {
  return `${appId}.${/^[A-Za-z0-9_-]{1,128}$/.test(remoteKey) ? remoteKey : `h_${sha256Hex(remoteKey).slice(0, 40)}`}`;
}

/**
 * A stand-in account for running a mapping outside a real delivery (preview, the CLI, benchmarks): no
 * credentials, no secrets, the given config.
 */
export function syntheticAccount(input: { provider: string; environmentId: string; id?: string; config?: Record<string, unknown> }): AccountRecord {
  const now = new Date().toISOString();
  return {
    id: input.id ?? 'acc_preview',
    environment_id: input.environmentId,
    provider: input.provider,
    status: 'active',
    provider_app_id: null,
    remote_key: null,
    config: input.config ?? {},
    credentials: null,
    webhook_secrets: null,
    created_at: now,
    updated_at: now,
  };
}
