import { type Bus, KvCollection, keyToken } from '@switchyard/bus';
import type { Logger } from '@switchyard/kernel';
import type { RegistrationFailure } from '../registration/store.js';

/** The head of a provider queue that is durable on RAW but not yet acknowledged at the provider. */
export interface PublishedHead {
  message_id: string;
  event_key: string;
  published_at: string;
}

/**
 * One polled (account, resource) as kept in the `polls` bucket: when it runs next, what it has done,
 * and — for a queue — the head already published, so a crash between the publish and the provider's
 * acknowledgement does not deliver the head twice. Never a body, a token or a credential.
 */
export interface PollRecord {
  account_id: string;
  environment_id: string;
  provider: string;
  resource: string;
  next_poll_at: string;
  last_run_at: string | null;
  /** Modified-since sources: the time the next run reads from (null for queues). */
  cursor: string | null;
  head: PublishedHead | null;
  events_emitted: number;
  /** Consecutive failures, for the backoff. */
  failures: number;
  last_error: RegistrationFailure | null;
  updated_at: string;
}

/** The bucket key of one (account, resource): KV keys take no `/`. */
export function pollKey(accountId: string, resource: string): string {
  return keyToken(`${accountId}_${resource.replace(/[^A-Za-z0-9]/g, '_')}`);
}

/** Poll states in KV, mirrored in memory by a watch; the account's lock serializes changes (see the poller). */
export class PollStore {
  readonly #entries: KvCollection<PollRecord>;

  private constructor(entries: KvCollection<PollRecord>) {
    this.#entries = entries;
  }

  static async open(bus: Bus, logger: Logger): Promise<PollStore> {
    const entries = new KvCollection<PollRecord>(bus.kv.polls, logger);
    await entries.start();
    return new PollStore(entries);
  }

  get(accountId: string, resource: string): Promise<PollRecord | undefined> {
    return this.#entries.get(pollKey(accountId, resource));
  }

  async put(record: PollRecord): Promise<PollRecord> {
    const next = { ...record, updated_at: new Date().toISOString() };
    await this.#entries.put(pollKey(record.account_id, record.resource), next);
    return next;
  }

  async delete(accountId: string, resource: string): Promise<void> {
    await this.#entries.delete(pollKey(accountId, resource));
  }

  /** Every poll state (snapshot of the watched mirror). */
  all(): PollRecord[] {
    return this.#entries.values();
  }

  /** The mirrored state (no KV read), for the sweep. */
  peek(accountId: string, resource: string): PollRecord | undefined {
    return this.#entries.peek(pollKey(accountId, resource))?.value;
  }

  stop(): void {
    this.#entries.stop();
  }
}
