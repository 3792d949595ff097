/** What a task waiting for its endpoint is told: its turn, to step aside (deferred), or to hand back. */
export type Turn = 'go' | 'defer' | 'cancelled';

interface Waiter {
  since: number;
  resolve(turn: Turn): void;
}

interface Lane {
  active: number;
  waiting: Waiter[];
  /** Until when the endpoint counts as backlogged (a task of it waited past the limit), ms since the epoch. */
  backloggedUntil: number;
}

/** Options for {@link EndpointGate}. */
export interface EndpointGateOptions {
  /** How long a task may wait for its endpoint before it steps aside into the retry lane, in ms. */
  maxWaitMs: number;
  /** How long an endpoint stays backlogged after a task of it stepped aside, in ms. */
  backlogMs?: number;
  now?: () => number;
}

/**
 * Per-endpoint in-flight caps inside one shard of the delivery lanes. The shard's consumer hands this
 * process a window of tasks of many endpoints; each endpoint gets at most `cap` attempts in flight and
 * its other tasks wait here in arrival order. A fast endpoint may use the whole window (its waiting tasks
 * move on in milliseconds). A slow one must not: the shard would stop pulling and its other endpoints
 * would starve. So a task that waits longer than `maxWaitMs` steps aside (deferred to the retry lane,
 * where waiting holds nothing), and while its endpoint is backlogged its new tasks beyond one more round
 * step aside at once, so the shard moves past a slow endpoint's burst at stream speed.
 */
export class EndpointGate {
  readonly #lanes = new Map<string, Lane>();
  readonly #maxWaitMs: number;
  readonly #backlogMs: number;
  readonly #now: () => number;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(options: EndpointGateOptions) {
    this.#maxWaitMs = options.maxWaitMs;
    this.#backlogMs = options.backlogMs ?? Math.max(5_000, options.maxWaitMs * 5);
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.sweep(), Math.max(50, Math.floor(options.maxWaitMs / 2)));
    this.#sweeper.unref();
  }

  /** Waits for one of `endpoint`'s `cap` places. Every `go` must be followed by one {@link leave}. */
  async enter(endpoint: string, cap: number): Promise<Turn> {
    const lane = this.#lanes.get(endpoint) ?? { active: 0, waiting: [], backloggedUntil: 0 };
    this.#lanes.set(endpoint, lane);
    if (lane.active < cap && lane.waiting.length === 0) {
      lane.active++;
      return 'go';
    }
    if (lane.backloggedUntil > this.#now() && lane.waiting.length >= cap) return 'defer';
    return new Promise<Turn>((resolve) => lane.waiting.push({ since: this.#now(), resolve }));
  }

  /** Frees a place of `endpoint`: the next waiting task of the same endpoint takes it. */
  leave(endpoint: string): void {
    const lane = this.#lanes.get(endpoint);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) {
      next.resolve('go'); // the place passes on: `active` is unchanged
      return;
    }
    lane.active--;
    if (lane.active <= 0 && lane.backloggedUntil <= this.#now()) this.#lanes.delete(endpoint);
  }

  /** Defers every task that has waited past the limit; the interval calls it, tests may too. */
  sweep(): void {
    const now = this.#now();
    for (const [endpoint, lane] of this.#lanes) {
      let stale = 0;
      while (stale < lane.waiting.length && now - (lane.waiting[stale] as Waiter).since >= this.#maxWaitMs) stale++;
      if (stale > 0) {
        lane.backloggedUntil = now + this.#backlogMs;
        for (const waiter of lane.waiting.splice(0, stale)) waiter.resolve('defer');
      }
      if (lane.active <= 0 && lane.waiting.length === 0 && lane.backloggedUntil <= now) this.#lanes.delete(endpoint);
    }
  }

  /** Tells every waiting task to hand its message back (the shard is being released), and stops sweeping. */
  close(): void {
    clearInterval(this.#sweeper);
    for (const lane of this.#lanes.values()) for (const waiter of lane.waiting.splice(0)) waiter.resolve('cancelled');
  }

  /** Tasks waiting (not in flight) for `endpoint`. */
  waiting(endpoint: string): number {
    return this.#lanes.get(endpoint)?.waiting.length ?? 0;
  }

  /** Attempts in flight to `endpoint`. */
  active(endpoint: string): number {
    return this.#lanes.get(endpoint)?.active ?? 0;
  }
}
