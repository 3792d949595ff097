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
}

/**
 * Environments (tenants) and their API keys. Keys are 256-bit random strings shown once; the bucket is
 * keyed by their SHA-256, so a lookup is one hash and one read and a leaked bucket leaks no key.
 */
export class EnvironmentStore {
  readonly #environments: KvCollection<api.Environment>;
  readonly #keys: KvCollection<ApiKeyRecord>;

  private constructor(environments: KvCollection<api.Environment>, keys: KvCollection<ApiKeyRecord>) {
    this.#environments = environments;
    this.#keys = keys;
  }

  /** Opens the store and starts mirroring both buckets. */
  static async open(bus: Bus, logger: Logger): Promise<EnvironmentStore> {
    const environments = new KvCollection<api.Environment>(bus.kv.environments, logger);
    const keys = new KvCollection<ApiKeyRecord>(bus.kv.api_keys, logger);
    await Promise.all([environments.start(), keys.start()]);
    return new EnvironmentStore(environments, keys);
  }

  /** Creates an environment and its first API key; the key is returned here and never again. */
  async create(name: string): Promise<{ environment: api.Environment; apiKey: string }> {
    const environment = { id: randomId('env'), name, created_at: new Date().toISOString() };
    await this.#environments.create(environment.id, environment);
    const apiKey = await this.issueKey(environment.id);
    return { environment, apiKey };
  }

  /** Issues another key for an environment. */
  async issueKey(environmentId: string): Promise<string> {
    const apiKey = `swy_${randomBytes(32).toString('base64url')}`;
    await this.#keys.create(sha256Hex(apiKey), {
      key_id: randomId('key'),
      environment_id: environmentId,
      prefix: apiKey.slice(0, 10),
      created_at: new Date().toISOString(),
    });
    return apiKey;
  }

  /** Resolves an API key to its environment, or undefined. */
  async authenticate(apiKey: string): Promise<api.Environment | undefined> {
    if (!apiKey.startsWith('swy_')) return undefined;
    const record = await this.#keys.get(sha256Hex(apiKey));
    return record ? this.#environments.get(record.environment_id) : undefined;
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
