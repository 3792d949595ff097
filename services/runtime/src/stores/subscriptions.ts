import { randomBytes } from 'node:crypto';
import { eventTypeMatches, type api } from '@switchyard/contracts';
import type { Bus } from '../bus.js';
import { randomId } from '../ids.js';
import { KvCollection } from '../kv-collection.js';
import type { Logger } from '../logger.js';
import type { Sealed, Vault } from '../vault.js';

/** A customer endpoint subscribed to event types, as stored. The signing secret is sealed. */
export interface SubscriptionRecord {
  id: string;
  environment_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  metadata: Record<string, string>;
  enabled: boolean;
  /** Sealed JSON array of `whsec_…` secrets; every one signs each attempt (rotation overlap). */
  secrets: Sealed;
  created_at: string;
  updated_at: string;
}

/** Fields accepted when creating a subscription. */
export type NewSubscription = Omit<api.SubscriptionView, 'id' | 'created_at' | 'updated_at'> & { environment_id: string };

/** Changes to a subscription; `undefined` leaves a field as it is. */
export interface SubscriptionChanges {
  url?: string | undefined;
  event_types?: string[] | undefined;
  description?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
}

/**
 * A Standard Webhooks symmetric secret: `whsec_` + base64 of 32 random bytes (the spec asks for
 * 24–64 bytes).
 */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Subscriptions in the `subscriptions` bucket, keyed by id, mirrored in memory for fan-out. */
export class SubscriptionStore {
  readonly #subscriptions: KvCollection<SubscriptionRecord>;
  readonly #vault: Vault;
  /** Decrypted signing secrets per record object (records are replaced on change, never mutated). */
  readonly #secrets = new WeakMap<SubscriptionRecord, string[]>();

  private constructor(subscriptions: KvCollection<SubscriptionRecord>, vault: Vault) {
    this.#subscriptions = subscriptions;
    this.#vault = vault;
  }

  static async open(bus: Bus, vault: Vault, logger: Logger): Promise<SubscriptionStore> {
    const subscriptions = new KvCollection<SubscriptionRecord>(bus.kv.subscriptions, logger);
    await subscriptions.start();
    return new SubscriptionStore(subscriptions, vault);
  }

  /** Creates a subscription; returns the record and its secret (shown to the customer once). */
  async create(input: NewSubscription): Promise<{ record: SubscriptionRecord; secret: string }> {
    const id = randomId('sub');
    const secret = generateSigningSecret();
    const now = new Date().toISOString();
    const record: SubscriptionRecord = {
      id,
      environment_id: input.environment_id,
      url: input.url,
      event_types: input.event_types,
      description: input.description,
      metadata: input.metadata,
      enabled: input.enabled,
      secrets: this.#vault.sealJson([secret], `subscription:${id}:secrets`),
      created_at: now,
      updated_at: now,
    };
    await this.#subscriptions.create(id, record);
    return { record, secret };
  }

  get(id: string): Promise<SubscriptionRecord | undefined> {
    return this.#subscriptions.get(id);
  }

  async getInEnvironment(environmentId: string, id: string): Promise<SubscriptionRecord | undefined> {
    const record = await this.#subscriptions.get(id);
    return record?.environment_id === environmentId ? record : undefined;
  }

  list(environmentId: string): SubscriptionRecord[] {
    return this.#subscriptions
      .values()
      .filter((s) => s.environment_id === environmentId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Enabled subscriptions of an environment whose patterns match a concrete event type. */
  matching(environmentId: string, type: string): SubscriptionRecord[] {
    return this.#subscriptions
      .values()
      .filter((s) => s.enabled && s.environment_id === environmentId && s.event_types.some((p) => eventTypeMatches(p, type)));
  }

  async update(record: SubscriptionRecord, changes: SubscriptionChanges): Promise<SubscriptionRecord> {
    const next: SubscriptionRecord = {
      ...record,
      url: changes.url ?? record.url,
      event_types: changes.event_types ?? record.event_types,
      description: changes.description === undefined ? record.description : changes.description,
      metadata: changes.metadata ?? record.metadata,
      enabled: changes.enabled ?? record.enabled,
      updated_at: new Date().toISOString(),
    };
    await this.#subscriptions.put(record.id, next);
    return next;
  }

  async delete(id: string): Promise<void> {
    await this.#subscriptions.delete(id);
  }

  /** The subscription's signing secrets, decrypted. */
  secrets(record: SubscriptionRecord): string[] {
    let secrets = this.#secrets.get(record);
    if (!secrets) {
      secrets = this.#vault.openJson<string[]>(record.secrets, `subscription:${record.id}:secrets`);
      this.#secrets.set(record, secrets);
    }
    return secrets;
  }

  stop(): void {
    this.#subscriptions.stop();
  }
}

/** The API's view of a subscription: no secret. */
export function subscriptionView(record: SubscriptionRecord): api.SubscriptionView {
  return {
    id: record.id,
    url: record.url,
    event_types: record.event_types,
    description: record.description,
    metadata: record.metadata,
    enabled: record.enabled,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}
