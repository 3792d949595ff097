import type { api } from '@switchyard/contracts';
import type { Bus } from '../bus.js';
import { randomId } from '../ids.js';
import { KvCollection } from '../kv-collection.js';
import type { Logger } from '../logger.js';
import type { Sealed, Vault } from '../vault.js';

/** Account states: only `active` accounts receive webhooks. */
export type AccountStatus = 'active' | 'disabled' | 'needs_reauth';

/** An integrated account as stored: credentials and webhook secrets sealed with the vault. */
export interface AccountRecord {
  id: string;
  environment_id: string;
  provider: string;
  status: AccountStatus;
  remote_key: string | null;
  config: Record<string, unknown>;
  credentials: Sealed | null;
  webhook_secrets: Sealed | null;
  created_at: string;
  updated_at: string;
}

/** Fields accepted when creating an account. */
export interface NewAccount {
  environment_id: string;
  provider: string;
  credentials: Record<string, unknown>;
  webhook_secrets: string[];
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
}

/**
 * Integrated accounts (one customer's connection to one provider), in the `accounts` bucket keyed by id.
 * Secrets are sealed with associated data naming the account and field.
 */
export class AccountStore {
  readonly #accounts: KvCollection<AccountRecord>;
  readonly #vault: Vault;
  /**
   * Decrypted webhook secrets per record object. Records are replaced, never mutated, on every change,
   * so an entry lives exactly as long as the version it was decrypted from; it saves an AES-GCM open
   * per webhook on the hot path.
   */
  readonly #secrets = new WeakMap<AccountRecord, string[]>();

  private constructor(accounts: KvCollection<AccountRecord>, vault: Vault) {
    this.#accounts = accounts;
    this.#vault = vault;
  }

  static async open(bus: Bus, vault: Vault, logger: Logger): Promise<AccountStore> {
    const accounts = new KvCollection<AccountRecord>(bus.kv.accounts, logger);
    await accounts.start();
    return new AccountStore(accounts, vault);
  }

  async create(input: NewAccount): Promise<AccountRecord> {
    const id = randomId('acc');
    const now = new Date().toISOString();
    const record: AccountRecord = {
      id,
      environment_id: input.environment_id,
      provider: input.provider,
      status: 'active',
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

  /** Accounts of one environment, oldest first. */
  list(environmentId: string): AccountRecord[] {
    return this.#accounts
      .values()
      .filter((a) => a.environment_id === environmentId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async update(record: AccountRecord, changes: AccountChanges): Promise<AccountRecord> {
    const next: AccountRecord = {
      ...record,
      status: changes.status ?? record.status,
      remote_key: changes.remote_key === undefined ? record.remote_key : changes.remote_key,
      config: changes.config ?? record.config,
      credentials: changes.credentials
        ? this.#vault.sealJson(changes.credentials, `account:${record.id}:credentials`)
        : record.credentials,
      webhook_secrets: changes.webhook_secrets
        ? this.#vault.sealJson(changes.webhook_secrets, `account:${record.id}:webhook_secrets`)
        : record.webhook_secrets,
      updated_at: new Date().toISOString(),
    };
    await this.#accounts.put(record.id, next);
    return next;
  }

  async delete(id: string): Promise<void> {
    await this.#accounts.delete(id);
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

  /** The account's credentials, decrypted. */
  credentials(record: AccountRecord): Record<string, unknown> {
    return record.credentials ? this.#vault.openJson(record.credentials, `account:${record.id}:credentials`) : {};
  }

  stop(): void {
    this.#accounts.stop();
  }
}

/** The API's view of an account: no credentials, no secrets. */
export function accountView(record: AccountRecord, webhookUrl: string | null): api.IntegratedAccountView {
  return {
    id: record.id,
    provider: record.provider,
    status: record.status,
    webhook_url: webhookUrl,
    remote_key: record.remote_key,
    config: record.config,
    has_webhook_secret: record.webhook_secrets !== null,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}
