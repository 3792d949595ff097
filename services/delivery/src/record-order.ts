import type { KV } from '@nats-io/kv';
import type { Logger } from '@switchyard/kernel';

/**
 * One task waiting in a record's queue: which (event, task), its `sequence`, when it is due (ms since the
 * epoch), and the stream sequence of its newest copy in the retry lane (0 while unknown).
 */
export interface QueuedTask {
  event: string;
  task: string;
  sequence: number;
  due: number;
  copy: number;
}

interface Queue {
  subscription: string;
  record: string;
  items: QueuedTask[];
  /** The head is being attempted now (a second copy of it waits). */
  attempting: boolean;
}

interface Chain {
  tail: Promise<void>;
  count: number;
}

/**
 * Per-record order for one delivery shard, kept by the process holding the shard (docs/ordering.md).
 *
 * Fast path, in memory: the tasks of one (subscription, record) arrive in the shard's task lane in event
 * order (the ordered fan-out publishes them so) and form a chain — each waits for the one before it.
 * Slow path, also in KV (`delivery_order`, one key per waiting record): once one of a record's tasks has to
 * wait — its attempt failed, its endpoint is paused or backlogged, or it waited too long behind its
 * predecessor — the record has a queue, sorted by `sequence`. Every later task of the record joins the
 * queue, and only the queue's head is attempted, when no chained task of the record is still in flight;
 * the head leaves the queue once delivered or dead-lettered. A failing event holds back only the later
 * events of its own record, never the endpoint.
 *
 * The shard's holder is its only writer; a new holder loads the queues before its consumers start, so a
 * takeover after a crash continues where the last holder stopped.
 */
export class RecordOrder {
  readonly #kv: KV;
  readonly #shard: string;
  readonly #logger: Logger;
  readonly #queues = new Map<string, Queue>();
  readonly #chains = new Map<string, Chain>();
  /**
   * KV writes per record key, one after the other, so the stored state is the last one made — also
   * across a queue that emptied (a delete) and a new one for the same record (a put) right after.
   */
  readonly #writes = new Map<string, Promise<void>>();

  private constructor(kv: KV, shard: number, logger: Logger) {
    this.#kv = kv;
    this.#shard = `p${String(shard).padStart(2, '0')}`;
    this.#logger = logger;
  }

  /** Loads the shard's waiting queues; those of subscriptions that no longer exist are removed. */
  static async load(kv: KV, shard: number, logger: Logger, exists: (subscription: string) => Promise<boolean>): Promise<RecordOrder> {
    const order = new RecordOrder(kv, shard, logger);
    const keys: string[] = [];
    for await (const key of await kv.keys(`${order.#shard}.>`)) keys.push(key);
    for (const key of keys) {
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const stored = entry.json<{ subscription: string; record: string; items: QueuedTask[] }>();
      if (!(await exists(stored.subscription))) {
        await kv.delete(key);
        continue;
      }
      order.#queues.set(id(stored.subscription, stored.record), { ...stored, attempting: false });
    }
    return order;
  }

  /**
   * Joins the record's chain (synchronously, in arrival order). `ready` resolves when the task before it
   * has finished here; `leave` must be called once the task is done with (in a `finally`).
   */
  enter(subscription: string, record: string): { ready: Promise<void>; leave(): void } {
    const key = id(subscription, record);
    let chain = this.#chains.get(key);
    if (!chain) this.#chains.set(key, (chain = { tail: Promise.resolve(), count: 0 }));
    const ready = chain.tail;
    let release!: () => void;
    chain.tail = new Promise<void>((resolve) => (release = resolve));
    chain.count++;
    const owner = chain;
    let left = false;
    return {
      ready,
      leave: () => {
        if (left) return;
        left = true;
        release();
        if (--owner.count === 0 && this.#chains.get(key) === owner) this.#chains.delete(key);
      },
    };
  }

  /** Whether the record has a queue: its later tasks must join it. */
  waiting(subscription: string, record: string): boolean {
    return this.#queues.has(id(subscription, record));
  }

  /**
   * Where a copy of a task in the retry lane (stream sequence `copy`) stands: `head` (attempt it now, and
   * call {@link attempted} after), `behind` (nak it for `retryInMs`), or `gone` (not queued: it was finished
   * already, e.g. delivered just before a crash lost its ack; or an older copy than the task's newest).
   */
  turn(subscription: string, record: string, event: string, task: string, copy: number): { kind: 'head' } | { kind: 'behind'; retryInMs: number } | { kind: 'gone' } {
    const queue = this.#queues.get(id(subscription, record));
    const index = queue?.items.findIndex((item) => item.event === event && item.task === task) ?? -1;
    if (!queue || index < 0) return { kind: 'gone' };
    const item = queue.items[index]!;
    // Copies only ever get newer (stream sequences grow): an older one was superseded when the queue moved on.
    if (copy < item.copy) return { kind: 'gone' };
    item.copy = copy;
    if (index === 0 && !queue.attempting && !this.#chains.has(id(subscription, record))) {
      queue.attempting = true;
      return { kind: 'head' };
    }
    const head = queue.items[0]!;
    const headIn = queue.attempting ? 0 : head.due - Date.now();
    return { kind: 'behind', retryInMs: Math.min(30_000, Math.max(250, headIn + 250)) };
  }

  /** The head's attempt ended without finishing it (it waits again): another copy may be attempted later. */
  attempted(subscription: string, record: string): void {
    const queue = this.#queues.get(id(subscription, record));
    if (queue) queue.attempting = false;
  }

  /** Puts a task in its record's queue (in `sequence` order; again is a no-op save for its due time), stored before it resolves. */
  async join(subscription: string, record: string, item: Omit<QueuedTask, 'copy'>): Promise<void> {
    const key = id(subscription, record);
    let queue = this.#queues.get(key);
    if (!queue) this.#queues.set(key, (queue = { subscription, record, items: [], attempting: false }));
    const existing = queue.items.find((entry) => entry.event === item.event && entry.task === item.task);
    if (existing) existing.due = item.due;
    else {
      let at = queue.items.length;
      while (at > 0 && queue.items[at - 1]!.sequence > item.sequence) at--;
      queue.items.splice(at, 0, { ...item, copy: 0 });
    }
    await this.#store(queue);
  }

  /** Notes a task's newest copy in the retry lane, so the queue can move it on at once after a takeover too. */
  copied(subscription: string, record: string, event: string, task: string, copy: number): void {
    const queue = this.#queues.get(id(subscription, record));
    const item = queue?.items.find((entry) => entry.event === event && entry.task === task);
    if (!queue || !item || copy <= item.copy) return;
    item.copy = copy;
    // Not awaited: the copy is already stored; a lost write only makes the next head wait for its own look.
    void this.#store(queue).catch(() => undefined);
  }

  /**
   * Removes a finished task (delivered or dead-lettered) from its record's queue; the queue goes when
   * empty. Resolves to the new head when it is due now and its copy is known: the caller moves it on at
   * once (a fresh copy in the retry lane) instead of leaving it to its next look.
   */
  async finish(subscription: string, record: string, event: string, task: string): Promise<QueuedTask | undefined> {
    const queue = this.#queues.get(id(subscription, record));
    if (!queue) return undefined;
    const before = queue.items.length;
    queue.items = queue.items.filter((item) => !(item.event === event && item.task === task));
    if (queue.items.length === before) return undefined;
    queue.attempting = false;
    if (queue.items.length === 0) this.#queues.delete(id(subscription, record));
    await this.#store(queue);
    const next = queue.items[0];
    return next && next.copy > 0 && next.due <= Date.now() ? { ...next } : undefined;
  }

  /** Forgets a deleted subscription's queues (memory and KV). */
  async forget(subscription: string): Promise<void> {
    for (const [key, queue] of this.#queues) {
      if (queue.subscription !== subscription) continue;
      this.#queues.delete(key);
      queue.items = [];
      await this.#store(queue);
    }
  }

  /** Queues of this shard (metrics, tests). */
  get size(): number {
    return this.#queues.size;
  }

  #store(queue: Queue): Promise<void> {
    const key = `${this.#shard}.${queue.subscription}.${queue.record}`;
    const snapshot = queue.items.length === 0 ? undefined : JSON.stringify({ subscription: queue.subscription, record: queue.record, items: queue.items });
    const write = (this.#writes.get(key) ?? Promise.resolve()).then(async () => {
      if (snapshot === undefined) await this.#kv.delete(key);
      else await this.#kv.put(key, snapshot);
    });
    // The next write waits for this one whatever its outcome; this caller sees the failure.
    const settled = write.catch((error: unknown) => this.#logger.warn({ err: error, subscription: queue.subscription }, 'record order queue not stored'));
    this.#writes.set(key, settled);
    void settled.then(() => {
      if (this.#writes.get(key) === settled) this.#writes.delete(key);
    });
    return write;
  }
}

function id(subscription: string, record: string): string {
  return `${subscription}\u0000${record}`;
}
