import type { api } from '@switchyard/contracts';
import { type Bus, KvCollection } from '@switchyard/bus';
import { randomId, type Logger, type Sealed, type Vault } from '@switchyard/kernel';

/** An app's secrets by name; each a list so a rotation can keep the old one valid for a while. */
export type AppSecrets = { client_secret?: string[]; webhook_secret?: string[] };

/** A provider app as stored: secrets sealed. */
export interface ProviderAppRecord {
  id: string;
  environment_id: string;
  provider: string;
  client_id: string | null;
  scopes: string[];
  config: Record<string, unknown>;
  secrets: Sealed;
  has_client_secret: boolean;
  has_webhook_secret: boolean;
  /**
   * Credentials for calls on the app's behalf (app-level registration), sealed apart from the webhook
   * secrets so the edge, which opens those per webhook, never holds them. Absent on older records.
   */
  credentials?: Sealed | null;
  credential_names?: string[];
  created_at: string;
  updated_at: string;
}

/** Fields to create or change an app; `undefined` leaves a field as it is. */
export interface ProviderAppInput {
  client_id?: string | null | undefined;
  client_secret?: string[] | undefined;
  webhook_secret?: string[] | undefined;
  /** Credentials for calls on the app's behalf (app-level registration), replaced as a whole. */
  credentials?: Record<string, string> | undefined;
  scopes?: string[] | undefined;
  config?: Record<string, unknown> | undefined;
}

/** Provider apps (`provider_apps` bucket, keyed by id): an environment's OAuth / webhook app at a provider. */
export class ProviderAppStore {
  readonly #apps: KvCollection<ProviderAppRecord>;
  readonly #vault: Vault;
  readonly #secrets = new WeakMap<ProviderAppRecord, AppSecrets>();

  private constructor(apps: KvCollection<ProviderAppRecord>, vault: Vault) {
    this.#apps = apps;
    this.#vault = vault;
  }

  static async open(bus: Bus, vault: Vault, logger: Logger): Promise<ProviderAppStore> {
    const apps = new KvCollection<ProviderAppRecord>(bus.kv.provider_apps, logger);
    await apps.start();
    return new ProviderAppStore(apps, vault);
  }

  async create(environmentId: string, provider: string, input: ProviderAppInput): Promise<ProviderAppRecord> {
    const id = randomId('app');
    const now = new Date().toISOString();
    const secrets: AppSecrets = {
      ...(input.client_secret ? { client_secret: input.client_secret } : {}),
      ...(input.webhook_secret ? { webhook_secret: input.webhook_secret } : {}),
    };
    const record: ProviderAppRecord = {
      id,
      environment_id: environmentId,
      provider,
      client_id: input.client_id ?? null,
      scopes: input.scopes ?? [],
      config: input.config ?? {},
      secrets: this.#vault.sealJson(secrets, `provider_app:${id}:secrets`),
      has_client_secret: Boolean(secrets.client_secret),
      has_webhook_secret: Boolean(secrets.webhook_secret),
      ...this.#sealCredentials(id, input.credentials ?? {}),
      created_at: now,
      updated_at: now,
    };
    await this.#apps.create(id, record);
    return record;
  }

  get(id: string): Promise<ProviderAppRecord | undefined> {
    return this.#apps.get(id);
  }

  async getInEnvironment(environmentId: string, id: string): Promise<ProviderAppRecord | undefined> {
    const record = await this.#apps.get(id);
    return record?.environment_id === environmentId ? record : undefined;
  }

  list(environmentId: string): ProviderAppRecord[] {
    return this.#apps
      .values()
      .filter((a) => a.environment_id === environmentId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async update(record: ProviderAppRecord, input: ProviderAppInput): Promise<ProviderAppRecord> {
    const secrets: AppSecrets = { ...this.secrets(record) };
    if (input.client_secret) secrets.client_secret = input.client_secret;
    if (input.webhook_secret) secrets.webhook_secret = input.webhook_secret;
    const next: ProviderAppRecord = {
      ...record,
      client_id: input.client_id === undefined ? record.client_id : input.client_id,
      scopes: input.scopes ?? record.scopes,
      config: input.config ?? record.config,
      secrets: this.#vault.sealJson(secrets, `provider_app:${record.id}:secrets`),
      has_client_secret: Boolean(secrets.client_secret),
      has_webhook_secret: Boolean(secrets.webhook_secret),
      ...(input.credentials ? this.#sealCredentials(record.id, input.credentials) : {}),
      updated_at: new Date().toISOString(),
    };
    await this.#apps.put(record.id, next);
    return next;
  }

  async delete(id: string): Promise<void> {
    await this.#apps.delete(id);
  }

  /** The app's secrets, decrypted (cached per record version). */
  secrets(record: ProviderAppRecord): AppSecrets {
    let secrets = this.#secrets.get(record);
    if (!secrets) {
      secrets = this.#vault.openJson<AppSecrets>(record.secrets, `provider_app:${record.id}:secrets`);
      this.#secrets.set(record, secrets);
    }
    return secrets;
  }

  /** The app's credentials (app-level registration calls), decrypted; empty when none are set. */
  credentials(record: ProviderAppRecord): Record<string, string> {
    return record.credentials ? this.#vault.openJson<Record<string, string>>(record.credentials, `provider_app:${record.id}:credentials`) : {};
  }

  #sealCredentials(id: string, credentials: Record<string, string>): Pick<ProviderAppRecord, 'credentials' | 'credential_names'> {
    const names = Object.keys(credentials);
    return { credentials: names.length > 0 ? this.#vault.sealJson(credentials, `provider_app:${id}:credentials`) : null, credential_names: names };
  }

  stop(): void {
    this.#apps.stop();
  }
}

/** The API's view of an app: which secrets are set, never their values. */
export function providerAppView(record: ProviderAppRecord, webhookUrl: string | null): api.ProviderAppView {
  return {
    id: record.id,
    provider: record.provider,
    client_id: record.client_id,
    scopes: record.scopes,
    config: record.config,
    has_client_secret: record.has_client_secret,
    has_webhook_secret: record.has_webhook_secret,
    credential_names: record.credential_names ?? [],
    webhook_url: webhookUrl,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}
