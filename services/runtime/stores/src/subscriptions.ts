import { eventTypeMatches, SwitchyardError, type api } from '@switchyard/contracts';
import type { z } from 'zod';
import { type Bus, KvCollection } from '@switchyard/bus';
import { randomId, type Logger, type Sealed, type Vault } from '@switchyard/kernel';
import { activeKeys, generateSigningKey, revealedCredential, type SigningKey } from './signing-keys.js';

type Status = z.infer<typeof api.SubscriptionStatus>;
type DisabledReason = 'endpoint_gone' | 'failing';

/** A customer endpoint subscribed to event types, as stored. Signing keys are sealed. */
export interface SubscriptionRecord {
  id: string;
  environment_id: string;
  url: string;
  event_types: string[];
  filter: string | null;
  description: string | null;
  metadata: Record<string, string>;
  /**
   * Static delivery headers, sealed (they often carry a bearer token for the endpoint); null when none.
   * Records written before sealing hold the clear map; it is read as is and sealed on the next write.
   */
  headers: Sealed | Record<string, string> | null;
  rate_limit: number | null;
  /** Delivery order; records written before the option existed lack it (`none`). */
  ordering?: api.Ordering;
  key_type: SigningKey['type'];
  status: Status;
  disabled_reason: DisabledReason | null;
  failing_since: string | null;
  /** Sealed JSON array of {@link SigningKey}: every active one signs each attempt. */
  keys: Sealed;
  created_at: string;
  updated_at: string;
}

/** Fields accepted when creating a subscription: the record's own settings, before ids, keys and status exist. */
export type NewSubscription = Pick<
  SubscriptionRecord,
  'environment_id' | 'url' | 'event_types' | 'filter' | 'description' | 'metadata' | 'rate_limit' | 'key_type' | 'ordering'
> & { headers: Record<string, string> };

/** Changes to a subscription; `undefined` leaves a field as it is. */
export interface SubscriptionChanges {
  url?: string | undefined;
  event_types?: string[] | undefined;
  filter?: string | null | undefined;
  description?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  rate_limit?: number | null | undefined;
}

/** What a customer sees once for a new key: the HMAC secret, or the ed25519 public key. */
export type RevealedCredential = ReturnType<typeof revealedCredential>;

/** Subscriptions in the `subscriptions` bucket, keyed by id, mirrored in memory for fan-out. */
export class SubscriptionStore {
  readonly #subscriptions: KvCollection<SubscriptionRecord>;
  readonly #vault: Vault;
  /** Decrypted keys per record object (records are replaced on change, never mutated). */
  readonly #keys = new WeakMap<SubscriptionRecord, SigningKey[]>();
  /** Decrypted static headers per record object, for the same reason. */
  readonly #headers = new WeakMap<SubscriptionRecord, Record<string, string>>();

  /**
   * Subscriptions by environment, rebuilt on the first read after a change: fan-out asks for one
   * environment's subscriptions per event, and scanning every subscription of every tenant each time
   * cost O(all subscriptions) per event (10 000 checks an event at one endpoint per customer).
   */
  #byEnvironment: Map<string, SubscriptionRecord[]> | undefined;

  private constructor(subscriptions: KvCollection<SubscriptionRecord>, vault: Vault) {
    this.#subscriptions = subscriptions;
    this.#vault = vault;
    subscriptions.onChange(() => {
      this.#byEnvironment = undefined;
    });
  }

  #inEnvironment(environmentId: string): SubscriptionRecord[] {
    if (!this.#byEnvironment) {
      const index = new Map<string, SubscriptionRecord[]>();
      for (const record of this.#subscriptions.values()) {
        const list = index.get(record.environment_id);
        if (list) list.push(record);
        else index.set(record.environment_id, [record]);
      }
      this.#byEnvironment = index;
    }
    return this.#byEnvironment.get(environmentId) ?? [];
  }

  static async open(bus: Bus, vault: Vault, logger: Logger): Promise<SubscriptionStore> {
    const subscriptions = new KvCollection<SubscriptionRecord>(bus.kv.subscriptions, logger);
    await subscriptions.start();
    return new SubscriptionStore(subscriptions, vault);
  }

  /** Creates a subscription; returns the record and its credential (shown to the customer once). */
  async create(input: NewSubscription): Promise<{ record: SubscriptionRecord; credential: RevealedCredential }> {
    const id = randomId('sub');
    const key = generateSigningKey(input.key_type);
    const now = new Date().toISOString();
    const record: SubscriptionRecord = {
      ...input,
      id,
      headers: this.#sealHeaders(id, input.headers),
      status: 'active',
      disabled_reason: null,
      failing_since: null,
      keys: this.#seal(id, [key]),
      created_at: now,
      updated_at: now,
    };
    await this.#subscriptions.create(id, record);
    return { record, credential: revealedCredential(key) };
  }

  get(id: string): Promise<SubscriptionRecord | undefined> {
    return this.#subscriptions.get(id);
  }

  async getInEnvironment(environmentId: string, id: string): Promise<SubscriptionRecord | undefined> {
    const record = await this.#subscriptions.get(id);
    return record?.environment_id === environmentId ? record : undefined;
  }

  list(environmentId: string): SubscriptionRecord[] {
    return [...this.#inEnvironment(environmentId)].sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Calls `listener` with the subscription's id after it changes (or goes), here or in another process (via the watch). */
  onChange(listener: (id: string) => void): () => void {
    return this.#subscriptions.onChange(listener);
  }

  /** The subscription as this process last saw it, without a round trip (undefined when deleted or unknown). */
  cached(id: string): SubscriptionRecord | undefined {
    return this.#subscriptions.peek(id)?.value;
  }


  /**
   * Subscriptions of an environment whose patterns match a concrete event type and that take
   * deliveries: active or paused (a paused endpoint's tasks are held, not dropped), never disabled.
   */
  matching(environmentId: string, type: string): SubscriptionRecord[] {
    return this.subscribed(environmentId, type).filter((s) => s.status !== 'disabled');
  }

  /**
   * Every subscription of an environment whose patterns match a concrete event type, disabled ones
   * included: fan-out gives them tasks too, which their consumer dead-letters
   * (`SWY_ERR_ENDPOINT_DISABLED`), so `recover` after a resume brings back what they missed.
   */
  subscribed(environmentId: string, type: string): SubscriptionRecord[] {
    return this.#inEnvironment(environmentId).filter((s) => s.event_types.some((p) => eventTypeMatches(p, type)));
  }

  /** Whether an environment has a subscription with `ordering: "record"` (fan-out's ordered consumer skips the others). */
  hasOrdered(environmentId: string): boolean {
    return this.#inEnvironment(environmentId).some((s) => s.ordering === 'record');
  }

  update(record: SubscriptionRecord, changes: SubscriptionChanges): Promise<SubscriptionRecord> {
    return this.#put({
      ...record,
      url: changes.url ?? record.url,
      event_types: changes.event_types ?? record.event_types,
      filter: changes.filter === undefined ? record.filter : changes.filter,
      description: changes.description === undefined ? record.description : changes.description,
      metadata: changes.metadata ?? record.metadata,
      headers: this.#sealHeaders(record.id, changes.headers === undefined ? this.headers(record) : unmaskHeaders(changes.headers, this.headers(record))),
      rate_limit: changes.rate_limit === undefined ? record.rate_limit : changes.rate_limit,
    });
  }

  /** Pauses (held), resumes (active, failure streak forgotten) or disables (with a reason) a subscription. */
  setStatus(record: SubscriptionRecord, status: Status, reason: DisabledReason | null = null): Promise<SubscriptionRecord> {
    return this.#put({ ...record, status, disabled_reason: status === 'disabled' ? reason : null, failing_since: status === 'active' ? null : record.failing_since });
  }

  /** Records the start (a time) or the end (null) of a failure streak; a no-op when unchanged. */
  async setFailingSince(record: SubscriptionRecord, since: string | null): Promise<SubscriptionRecord> {
    if ((record.failing_since === null) === (since === null)) return record;
    return this.#put({ ...record, failing_since: since });
  }

  /**
   * A new signing key; the current one keeps signing for `overlapMs` so consumers can switch without
   * a gap. Keys already past their overlap are dropped.
   */
  async rotate(record: SubscriptionRecord, overlapMs: number): Promise<{ record: SubscriptionRecord; credential: RevealedCredential }> {
    const now = Date.now();
    const expiresAt = new Date(now + overlapMs).toISOString();
    const outgoing = activeKeys(this.keys(record), now).map((k) => ({ ...k, expires_at: k.expires_at ?? expiresAt }));
    const key = generateSigningKey(record.key_type);
    const next = await this.#put({ ...record, keys: this.#seal(record.id, [...outgoing, key]) });
    return { record: next, credential: revealedCredential(key) };
  }

  async delete(id: string): Promise<void> {
    await this.#subscriptions.delete(id);
  }

  /** Every stored key, decrypted (use {@link activeKeys} to pick those that sign now). */
  keys(record: SubscriptionRecord): SigningKey[] {
    let keys = this.#keys.get(record);
    if (!keys) {
      keys = this.#vault.openJson<SigningKey[]>(record.keys, `subscription:${record.id}:keys`);
      this.#keys.set(record, keys);
    }
    return keys;
  }

  /**
   * The static delivery headers in clear: only the delivery worker needs them, to send. Never log the
   * result or put it in an API answer ({@link SubscriptionStore.view} masks them).
   */
  headers(record: SubscriptionRecord): Record<string, string> {
    if (record.headers === null) return {};
    if (!isSealed(record.headers)) return record.headers;
    let headers = this.#headers.get(record);
    if (!headers) {
      headers = this.#vault.openJson<Record<string, string>>(record.headers, `subscription:${record.id}:headers`);
      this.#headers.set(record, headers);
    }
    return headers;
  }

  /** The API's view of a subscription: no keys, header values masked. */
  view(record: SubscriptionRecord): api.SubscriptionView {
    return subscriptionView(record, maskHeaders(this.headers(record)));
  }

  stop(): void {
    this.#subscriptions.stop();
  }

  #sealHeaders(id: string, headers: Record<string, string>): Sealed | null {
    return Object.keys(headers).length === 0 ? null : this.#vault.sealJson(headers, `subscription:${id}:headers`);
  }

  #seal(id: string, keys: SigningKey[]): Sealed {
    return this.#vault.sealJson(keys, `subscription:${id}:keys`);
  }

  async #put(record: SubscriptionRecord): Promise<SubscriptionRecord> {
    const next = { ...record, updated_at: new Date().toISOString() };
    await this.#subscriptions.put(record.id, next);
    return next;
  }
}

function isSealed(value: Sealed | Record<string, string>): value is Sealed {
  return (value as Sealed).v === 1 && typeof (value as Sealed).ct === 'string';
}

/**
 * Headers of a PATCH, where a value sent back exactly as a GET showed it (masked) keeps the stored
 * value, so a client can edit one header without knowing the others. Any other value with the mask's
 * `••••` is refused: storing it would send `••••` to the endpoint.
 */
export function unmaskHeaders(changes: Record<string, string>, stored: Record<string, string>): Record<string, string> {
  const masked = maskHeaders(stored);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(changes)) {
    if (!value.includes('••••')) out[name] = value;
    else if (stored[name] !== undefined && masked[name] === value) out[name] = stored[name];
    else throw new SwitchyardError('SWY_ERR_VALIDATION', `headers.${name}: a masked value (••••) that is not this header's stored value; send the real value`);
  }
  return out;
}

/**
 * Masks header values for display: a value long enough to keep its secret after losing four
 * characters shows its scheme word (e.g. `Bearer`) and last four; anything shorter shows nothing.
 */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const scheme = /^([A-Za-z]+) \S/.exec(value)?.[1];
    const rest = scheme ? value.slice(scheme.length + 1) : value;
    const tail = rest.length >= 16 ? rest.slice(-4) : '';
    masked[name] = `${scheme ? `${scheme} ` : ''}••••${tail}`;
  }
  return masked;
}

/** The API's view of a subscription: no keys; `headers` is what to show (masked by the caller). */
export function subscriptionView(record: SubscriptionRecord, headers: Record<string, string>): api.SubscriptionView {
  return {
    id: record.id,
    url: record.url,
    event_types: record.event_types,
    filter: record.filter,
    description: record.description,
    metadata: record.metadata,
    headers,
    rate_limit: record.rate_limit,
    ordering: record.ordering ?? 'none',
    key_type: record.key_type,
    status: record.status,
    disabled_reason: record.disabled_reason,
    failing_since: record.failing_since,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}
