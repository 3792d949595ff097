/**
 * Keeps work on one key in arrival order while work on different keys runs in parallel, when the keys
 * of an item are known only some time after it arrived (a raw delivery's records are known once it is
 * mapped).
 *
 * Items take a {@link Ticket} in arrival order (synchronously, before their first `await`). Once an item
 * knows its keys it calls `ticket.keys(keys)`, which resolves when (1) every earlier ticket has declared
 * its keys too — so none of them can still turn out to share one — and (2) every earlier ticket sharing
 * one of those keys is done. The item then does its ordered part (publish) and calls `ticket.done()`.
 * An item with no ordered part (dead-lettered, retried later) calls `done()` without declaring: it counts
 * as declaring no keys. A ticket that is never done blocks its keys forever, so callers end every ticket
 * in a `finally`.
 *
 * Head-of-line waiting is bounded by the slowest undeclared earlier item (its mapping), not by the
 * ordered part of unrelated keys.
 */
export class KeyedSequencer {
  /** Tickets not yet both declared and done, in arrival order. */
  readonly #queue: TicketState[] = [];
  /** Index in #queue of the first ticket that has not declared yet (everything before it has). */
  #declaredUpTo = 0;
  /** The last ticket per key that declared it: the next one with the key waits for its `done`. */
  readonly #tails = new Map<string, TicketState>();

  /** Takes the next ticket, in arrival order. */
  ticket(): Ticket {
    const state: TicketState = { keys: undefined, finished: false, release: undefined, released: undefined, doneWaiters: [], ready: undefined };
    state.released = new Promise<void>((resolve) => (state.release = resolve));
    this.#queue.push(state);
    return {
      keys: (keys) => this.#declare(state, keys),
      done: () => this.#done(state),
    };
  }

  /** Tickets in flight (taken, not yet done): for metrics and tests. */
  get size(): number {
    return this.#queue.length;
  }

  #declare(state: TicketState, keys: readonly string[]): Promise<void> {
    if (state.keys !== undefined || state.finished) throw new Error('a ticket declares its keys once, before it is done');
    state.keys = [...new Set(keys)];
    state.ready = new Promise<void>((resolve) => state.doneWaiters.push(resolve));
    this.#advance();
    return state.ready;
  }

  #done(state: TicketState): void {
    if (state.finished) return;
    state.finished = true;
    if (state.keys === undefined) {
      state.keys = [];
      this.#advance();
    }
    state.release!();
    for (const key of state.keys) if (this.#tails.get(key) === state) this.#tails.delete(key);
    this.#compact();
  }

  /** Links every newly declared ticket at the front of the undeclared part behind its keys' tails. */
  #advance(): void {
    while (this.#declaredUpTo < this.#queue.length) {
      const state = this.#queue[this.#declaredUpTo]!;
      if (state.keys === undefined) break;
      this.#declaredUpTo++;
      const before: Promise<void>[] = [];
      for (const key of state.keys) {
        const tail = this.#tails.get(key);
        if (tail && !tail.finished) before.push(tail.released!);
        this.#tails.set(key, state);
      }
      const go = () => {
        for (const resolve of state.doneWaiters.splice(0)) resolve();
      };
      if (before.length === 0) go();
      else void Promise.all(before).then(go);
    }
    this.#compact();
  }

  /** Drops finished, declared tickets from the front of the queue. */
  #compact(): void {
    let drop = 0;
    while (drop < this.#declaredUpTo && this.#queue[drop]!.finished) drop++;
    if (drop === 0) return;
    this.#queue.splice(0, drop);
    this.#declaredUpTo -= drop;
  }
}

/** One item's place in a {@link KeyedSequencer}. */
export interface Ticket {
  /** Declares the item's keys; resolves when it may do its ordered part. At most once. */
  keys(keys: readonly string[]): Promise<void>;
  /** Ends the item (idempotent): later items with its keys may go on. */
  done(): void;
}

interface TicketState {
  keys: string[] | undefined;
  finished: boolean;
  release: (() => void) | undefined;
  released: Promise<void> | undefined;
  doneWaiters: Array<() => void>;
  ready: Promise<void> | undefined;
}
