import { type Bus, isCasConflict, KvCollection, keyToken } from '@switchyard/bus';
import type { Logger } from '@switchyard/kernel';
import type { AccountRecord } from '@switchyard/stores';
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
  /** Reconcile walks: changes the last walk found that no webhook announced (docs/polling.md#reconciliation). */
  missed_last_run?: number;
  /** Reconcile walks: every such change so far. */
  missed_total?: number;
  /** Reconcile walks: when the last such change was found. */
  last_missed_at?: string | null;
  /** Operator pause (`POST …/polling/pause`): the poller skips the pair until resumed; survives restarts (KV). */
  paused?: boolean;
  /** `POST …/polling/poll-now`: the poller treats the pair as due at its next tick, whoever holds the lease. */
  poll_requested_at?: string | null;
  /** A run in progress: records and pages so far (the CLI's backfill progress line). */
  progress?: { records: number; pages: number; at: string } | null;
}

/** The bucket key of one (account, resource): KV keys take no `/`. */
export function pollKey(accountId: string, resource: string): string {
  return keyToken(`${accountId}_${resource.replace(/[^A-Za-z0-9]/g, '_')}`);
}

/** The operator's controls on a pair: written only by the API (`POST …/polling/pause|resume|poll-now`). */
export type PollControls = Pick<PollRecord, 'paused' | 'poll_requested_at'>;

/** The state of a pair never polled: due now. */
export function freshPollRecord(account: Pick<AccountRecord, 'id' | 'environment_id' | 'provider'>, resource: string, now = Date.now()): PollRecord {
  const at = new Date(now).toISOString();
  return { account_id: account.id, environment_id: account.environment_id, provider: account.provider, resource, next_poll_at: at, last_run_at: null, cursor: null, head: null, events_emitted: 0, failures: 0, last_error: null, updated_at: at };
}

/** True when the operator asked for a run the pair has not started since. */
export function pollRequested(record: PollRecord): boolean {
  return !!record.poll_requested_at && (record.last_run_at === null || record.poll_requested_at > record.last_run_at);
}

/**
 * Records how far a run that pages (a first backfill, a reconcile walk) has come — records read and
 * pages — for the poll state and the CLI's progress line. The run's final write clears it.
 */
export async function reportProgress(store: PollStore, start: PollRecord, records: number, pages: number): Promise<void> {
  await store.put({ ...start, progress: { records, pages, at: new Date().toISOString() } });
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

  /** The mirrored state (a KV read only when the mirror has none): may be a few ms behind the last write. */
  get(accountId: string, resource: string): Promise<PollRecord | undefined> {
    return this.#entries.get(pollKey(accountId, resource));
  }

  /**
   * The state as KV holds it now (a round trip, never the mirror): what a run starts from under the
   * account's lock. The mirror can lag the last run's write — made by another replica, or just now by
   * this one — and a run started from that older state would take the cursor back.
   */
  async read(accountId: string, resource: string): Promise<PollRecord | undefined> {
    return (await this.#entries.read(pollKey(accountId, resource)))?.value;
  }

  /**
   * Writes the poller's view of a pair. The operator's controls are kept as stored, never taken from
   * `record` (a run started before a pause must not undo it): compare-and-set on the stored revision.
   */
  async put(record: PollRecord): Promise<PollRecord> {
    return this.#write(pollKey(record.account_id, record.resource), (current) => ({ ...record, paused: current?.paused, poll_requested_at: current?.poll_requested_at }));
  }

  /** Changes only the operator's controls of a pair (created due now if never polled). */
  async control(account: Pick<AccountRecord, 'id' | 'environment_id' | 'provider'>, resource: string, controls: PollControls): Promise<PollRecord> {
    return this.#write(pollKey(account.id, resource), (current) => ({ ...(current ?? freshPollRecord(account, resource)), ...controls }));
  }

  async #write(key: string, change: (current: PollRecord | undefined) => PollRecord): Promise<PollRecord> {
    for (;;) {
      const current = await this.#entries.read(key);
      const next = { ...change(current?.value), updated_at: new Date().toISOString() };
      try {
        if (current) await this.#entries.update(key, next, current.revision);
        else await this.#entries.create(key, next);
        return next;
      } catch (error) {
        if (!isCasConflict(error)) throw error;
      }
    }
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
