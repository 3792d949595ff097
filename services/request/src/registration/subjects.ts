import type { ApiRegistration } from '@switchyard/contracts';
import type { AccountRecord, AccountStore, ProviderAppRecord, ProviderAppStore } from '@switchyard/stores';

/** A registration record's scope: absent on records of accounts (and on every record written before app scope). */
export type RegistrationScope = 'account' | 'app';

/**
 * A provider app shaped as the account the registration steps work on: its id, environment, provider
 * and config (the base URL and `{config.app_id}` of its calls). It has no credentials or secrets of its
 * own: {@link RegistrationSubjects} reads those from the app.
 */
export function appAsAccount(app: ProviderAppRecord): AccountRecord {
  return {
    id: app.id,
    environment_id: app.environment_id,
    provider: app.provider,
    status: 'active',
    provider_app_id: app.id,
    remote_key: null,
    config: app.config,
    credentials: null,
    webhook_secrets: null,
    created_at: app.created_at,
    updated_at: app.updated_at,
  };
}

/** The URL a provider app's webhooks arrive at (every account of the app, routed by remote key). */
export function appWebhookUrl(publicUrl: string, provider: string, appId: string): string {
  return `${publicUrl}/webhooks/${provider}/apps/${appId}`;
}

/** The account's webhook URL, as `GET /v1/integrated-accounts/{id}` shows it. */
export function webhookUrl(publicUrl: string, account: Pick<AccountRecord, 'id' | 'provider'>): string {
  return `${publicUrl}/webhooks/${account.provider}/${account.id}`;
}

/**
 * Whose credentials, URL and webhook secret a registration uses, by the definition's `scope`: the
 * account's own, or (`app`) the provider app's sealed credentials and webhook secret and the app's URL.
 * The one place registration tells the two apart; steps stay the same for both.
 */
export class RegistrationSubjects {
  readonly #accounts: AccountStore;
  readonly #apps: ProviderAppStore;
  readonly #publicUrl: string;

  constructor(parts: { accounts: AccountStore; apps: ProviderAppStore; publicUrl: string }) {
    this.#accounts = parts.accounts;
    this.#apps = parts.apps;
    this.#publicUrl = parts.publicUrl;
  }

  async #app(id: string): Promise<ProviderAppRecord> {
    const app = await this.#apps.get(id);
    if (!app) throw new Error(`provider app ${id} is gone`);
    return app;
  }

  /** The webhook URL the provider is given. */
  url(scope: RegistrationScope | undefined, subject: Pick<AccountRecord, 'id' | 'provider'>): string {
    return scope === 'app' ? appWebhookUrl(this.#publicUrl, subject.provider, subject.id) : webhookUrl(this.#publicUrl, subject);
  }

  /** The decrypted credentials the registration calls authenticate with. */
  async credentials(registration: ApiRegistration, subject: AccountRecord): Promise<Record<string, unknown>> {
    return registration.scope === 'app' ? this.#apps.credentials(await this.#app(subject.id)) : this.#accounts.credentials(subject);
  }

  /** The current webhook secrets (what a renewal echoes back, Zoho's `token`). */
  async webhookSecrets(registration: ApiRegistration, subject: AccountRecord): Promise<string[]> {
    return registration.scope === 'app' ? (this.#apps.secrets(await this.#app(subject.id)).webhook_secret ?? []) : this.#accounts.webhookSecrets(subject);
  }

  /** Seals the secrets a registration obtained as the webhook secret of the account or app; returns the subject as now stored. */
  async storeSecrets(registration: ApiRegistration, subject: AccountRecord, secrets: string[]): Promise<AccountRecord> {
    if (registration.scope !== 'app') return this.#accounts.update(subject, { webhook_secrets: secrets });
    return appAsAccount(await this.#apps.update(await this.#app(subject.id), { webhook_secret: secrets }));
  }
}
