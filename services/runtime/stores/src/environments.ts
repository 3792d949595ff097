import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { api } from '@switchyard/contracts';
import { type Bus, KvCollection } from '@switchyard/bus';
import { randomId, sha256Hex, type Logger } from '@switchyard/kernel';

/** What is stored for an API key: never the key itself, only its hash (the KV key) and a display prefix. */
export interface ApiKeyRecord {
  key_id: string;
  environment_id: string;
  /** First characters of the key, to help a human recognise it. */
  prefix: string;
  created_at: string;
  /** Set when the key was superseded with a grace period: it stops authenticating at this instant. */
  expires_at?: string;
}

/** A key is usable until it is revoked (deleted) or its grace period ends. */
function isLive(record: ApiKeyRecord, now = Date.now()): boolean {
  return record.expires_at === undefined || Date.parse(record.expires_at) > now;
}

/**
 * Environments (tenants) and their API keys. Keys are 256-bit random strings shown once; the bucket is
 * keyed by their SHA-256, so a lookup is one hash and one read and a leaked bucket leaks no key.
 */
export class EnvironmentStore {
  readonly #environments: KvCollection<api.Environment>;
  readonly #keys: KvCollection<ApiKeyRecord>;
  /** The raw bucket, only to find a record's KV key (the key's hash) by its id when revoking. */
  readonly #keyBucket: Bus['kv']['api_keys'];
  /** The raw environments bucket, to purge a deleted environment's history. */
  readonly #environmentBucket: Bus['kv']['environments'];

  private constructor(environments: KvCollection<api.Environment>, keys: KvCollection<ApiKeyRecord>, bus: Bus) {
    this.#environments = environments;
    this.#keys = keys;
    this.#keyBucket = bus.kv.api_keys;
    this.#environmentBucket = bus.kv.environments;
  }

  /** Opens the store and starts mirroring both buckets. */
  static async open(bus: Bus, logger: Logger): Promise<EnvironmentStore> {
    const environments = new KvCollection<api.Environment>(bus.kv.environments, logger);
    const keys = new KvCollection<ApiKeyRecord>(bus.kv.api_keys, logger);
    await Promise.all([environments.start(), keys.start()]);
    return new EnvironmentStore(environments, keys, bus);
  }

  /** Creates an environment and its first API key; the key is returned here and never again. */
  async create(name: string): Promise<{ environment: api.Environment; apiKey: string }> {
    const environment = { id: randomId('env'), name, created_at: new Date().toISOString() };
    await this.#environments.create(environment.id, environment);
    const apiKey = await this.issueKey(environment.id);
    return { environment, apiKey };
  }

  /** Issues another key for an environment; the clear key is returned here and never stored. */
  async issueKey(environmentId: string): Promise<string> {
    return (await this.#issue(environmentId)).apiKey;
  }

  /**
   * Rotates: issues a new key and, when `expireOthersInSeconds` is given, makes every other live key of
   * the environment stop working after that grace period (0 = at once). Without it the old keys stay
   * valid until revoked, so a deployment can roll the new key out before the old one is cut off.
   */
  async rotateKey(environmentId: string, expireOthersInSeconds?: number): Promise<{ apiKey: string; record: ApiKeyRecord }> {
    const issued = await this.#issue(environmentId);
    if (expireOthersInSeconds !== undefined) {
      const expiresAt = new Date(Date.now() + expireOthersInSeconds * 1000).toISOString();
      for (const [hash, record] of await this.#entriesOf(environmentId)) {
        if (record.key_id === issued.record.key_id) continue;
        if (record.expires_at !== undefined && record.expires_at <= expiresAt) continue;
        await this.#keys.put(hash, { ...record, expires_at: expiresAt });
      }
    }
    return issued;
  }

  /** The environment's usable keys (records only: the clear key is never kept), oldest first. */
  listKeys(environmentId: string): ApiKeyRecord[] {
    return this.#keys
      .values()
      .filter((record) => record.environment_id === environmentId && isLive(record))
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /**
   * Revokes one key at once (a KV delete: the next request with it is 401 in this process, and in other
   * processes within the watch latency). Returns 'not_found' for a key of another environment, and
   * 'last' rather than leave the environment with no usable key.
   */
  async revokeKey(environmentId: string, keyId: string): Promise<'revoked' | 'not_found' | 'last'> {
    const entries = await this.#entriesOf(environmentId);
    const target = entries.find(([, record]) => record.key_id === keyId);
    if (!target) return 'not_found';
    if (!entries.some(([, record]) => record.key_id !== keyId && isLive(record))) return 'last';
    await this.#keys.delete(target[0]);
    return 'revoked';
  }

  /** Resolves an API key to its environment, or undefined (unknown, revoked or past its grace period). */
  async authenticate(apiKey: string): Promise<api.Environment | undefined> {
    if (!apiKey.startsWith('swy_')) return undefined;
    const record = await this.#keys.get(sha256Hex(apiKey));
    return record && isLive(record) ? this.#environments.get(record.environment_id) : undefined;
  }

  async #issue(environmentId: string): Promise<{ apiKey: string; record: ApiKeyRecord }> {
    const apiKey = `swy_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      key_id: randomId('key'),
      environment_id: environmentId,
      prefix: apiKey.slice(0, 10),
      created_at: new Date().toISOString(),
    };
    await this.#keys.create(sha256Hex(apiKey), record);
    return { apiKey, record };
  }

  /** The environment's live key records with their KV keys (hashes), read from KV, not the cache. */
  async #entriesOf(environmentId: string, options: { includeExpired?: boolean } = {}): Promise<Array<[string, ApiKeyRecord]>> {
    const hashes: string[] = [];
    for await (const hash of await this.#keyBucket.keys()) hashes.push(hash);
    const out: Array<[string, ApiKeyRecord]> = [];
    for (const hash of hashes) {
      const record = await this.#keys.get(hash);
      if (record?.environment_id === environmentId && (options.includeExpired || isLive(record))) out.push([hash, record]);
    }
    return out;
  }

  /**
   * Removes an environment and every API key of it, history included (KV purge): its keys are 401 at
   * once in this process. The caller removes the environment's other data first.
   */
  async remove(environmentId: string): Promise<void> {
    for (const [hash] of await this.#entriesOf(environmentId, { includeExpired: true })) {
      await this.#keys.delete(hash);
      await this.#keyBucket.purge(hash);
    }
    await this.#environments.delete(environmentId);
    await this.#environmentBucket.purge(environmentId);
  }

  /** An environment by id. */
  get(id: string): Promise<api.Environment | undefined> {
    return this.#environments.get(id);
  }

  stop(): void {
    this.#environments.stop();
    this.#keys.stop();
  }
}

/** Constant-time comparison of two tokens of possibly different lengths. */
export function tokensEqual(a: string, b: string): boolean {
  const ha = Buffer.from(sha256Hex(a), 'hex');
  const hb = Buffer.from(sha256Hex(b), 'hex');
  return timingSafeEqual(ha, hb);
}
