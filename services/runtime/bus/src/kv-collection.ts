import { KvWatchInclude, type KV } from '@nats-io/kv';
import type { Logger } from '@switchyard/kernel';

interface Cached<T> {
  value: T | undefined;
  revision: number;
}

/**
 * A KV bucket mirrored in memory and kept current by a watch, so hot paths (verifying a webhook,
 * fanning out an event) read control data without a round trip. Writes go to KV first; the local copy
 * is updated from the write's revision, so a process always reads its own writes. Other processes see
 * a change within the watch latency (milliseconds). A miss falls back to KV, so a record created a
 * moment ago elsewhere is still found.
 */
export class KvCollection<T> {
  readonly #kv: KV;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Cached<T>>();
  readonly #listeners = new Set<(key: string) => void>();
  #stopWatch: (() => void) | undefined;

  constructor(kv: KV, logger: Logger) {
    this.#kv = kv;
    this.#logger = logger;
  }

  /**
   * Starts the watch, then loads the current values. Updates seen during the load are applied by
   * revision, so nothing between the snapshot and the watch is missed or applied out of order.
   */
  async start(): Promise<void> {
    const watch = await this.#kv.watch({ include: KvWatchInclude.UpdatesOnly });
    this.#stopWatch = () => watch.stop();
    void (async () => {
      try {
        for await (const entry of watch) {
          const value = entry.operation === 'PUT' ? this.#decode(entry.key, entry.value) : undefined;
          this.#apply(entry.key, value, entry.revision);
        }
      } catch (error) {
        this.#logger.error({ err: error }, 'kv watch ended');
      }
    })();
    const keys = await this.#kv.keys();
    const loaded: string[] = [];
    for await (const key of keys) loaded.push(key);
    await Promise.all(loaded.map((key) => this.#load(key)));
  }

  /** The cached value, falling back to KV on a miss. */
  async get(key: string): Promise<T | undefined> {
    const cached = this.#entries.get(key);
    if (cached) return cached.value;
    return this.#load(key);
  }

  /**
   * The cached value and its KV revision without a round trip (undefined when absent or unknown).
   * For hot paths that accept the watch's few milliseconds of lag.
   */
  peek(key: string): { value: T; revision: number } | undefined {
    const cached = this.#entries.get(key);
    return cached && cached.value !== undefined ? { value: cached.value, revision: cached.revision } : undefined;
  }

  /** Every live value (snapshot). */
  values(): T[] {
    const out: T[] = [];
    for (const { value } of this.#entries.values()) if (value !== undefined) out.push(value);
    return out;
  }

  /** Writes a value. */
  async put(key: string, value: T): Promise<void> {
    const revision = await this.#kv.put(key, JSON.stringify(value));
    this.#apply(key, value, revision);
  }

  /**
   * Writes a value only if the key is still at `revision` (compare-and-set). A lost race throws the
   * server's wrong-last-sequence error (`isCasConflict`); the caller re-reads and reapplies.
   */
  async update(key: string, value: T, revision: number): Promise<void> {
    const next = await this.#kv.update(key, JSON.stringify(value), revision);
    this.#apply(key, value, next);
  }

  /**
   * The value and its revision read from KV itself, not the cache: what a compare-and-set loop
   * re-reads after losing a race (the watch may not have delivered the winner's write yet).
   */
  async read(key: string): Promise<{ value: T; revision: number } | undefined> {
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const value = this.#decode(key, entry.value);
    if (value === undefined) return undefined;
    this.#apply(key, value, entry.revision);
    return { value, revision: entry.revision };
  }

  /** Creates a value; fails if the key exists. */
  async create(key: string, value: T): Promise<void> {
    const revision = await this.#kv.create(key, JSON.stringify(value));
    this.#apply(key, value, revision);
  }

  /** Deletes a value (a KV delete marker keeps history). */
  async delete(key: string): Promise<void> {
    await this.#kv.delete(key);
    const entry = await this.#kv.get(key);
    this.#apply(key, undefined, entry?.revision ?? Number.MAX_SAFE_INTEGER);
  }

  /**
   * Calls `listener` after any key changes (written here or seen by the watch). Returns the
   * unsubscribe function. Listeners must not throw; they are told which key, not what changed.
   */
  onChange(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the watch. */
  stop(): void {
    this.#stopWatch?.();
  }

  async #load(key: string): Promise<T | undefined> {
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const value = this.#decode(key, entry.value);
    this.#apply(key, value, entry.revision);
    return value;
  }

  #apply(key: string, value: T | undefined, revision: number): void {
    const current = this.#entries.get(key);
    if (current && current.revision >= revision) return;
    this.#entries.set(key, { value, revision });
    for (const listener of this.#listeners) listener(key);
  }

  #decode(key: string, bytes: Uint8Array): T | undefined {
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (error) {
      this.#logger.error({ err: error, key }, 'unreadable KV value ignored');
      return undefined;
    }
  }
}
