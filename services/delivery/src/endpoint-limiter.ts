/**
 * Per-endpoint admission in one delivery process: at most `maxInFlight` attempts at once and, when the
 * subscription sets one, at most `rate` attempts per second (a token bucket with a one-second burst).
 * A task arriving while its endpoint is busy waits here for a slot, but at most `maxInFlight` tasks per
 * endpoint wait: beyond that they go back to JetStream for a short while. So one endpoint holds at most
 * twice its cap of the process's slots, and a slow endpoint never takes the slots others need.
 */
export class EndpointLimiter {
  readonly #maxInFlight: number;
  readonly #state = new Map<string, { inFlight: number; tokens: number; refilledAt: number; waiters: Array<() => void> }>();

  constructor(maxInFlight: number) {
    this.#maxInFlight = maxInFlight;
  }

  #get(endpoint: string, rate: number | null, nowMs: number) {
    let state = this.#state.get(endpoint);
    if (!state) {
      state = { inFlight: 0, tokens: rate ?? 0, refilledAt: nowMs, waiters: [] };
      this.#state.set(endpoint, state);
    }
    return state;
  }

  #takeToken(state: { tokens: number; refilledAt: number }, rate: number | null, nowMs: number): boolean {
    if (rate === null) return true;
    state.tokens = Math.min(Math.max(rate, 1), state.tokens + ((nowMs - state.refilledAt) / 1000) * rate);
    state.refilledAt = nowMs;
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  /** Takes a slot for `endpoint` if one is free now; pair every `true` with {@link release}. */
  tryAcquire(endpoint: string, rate: number | null, nowMs = Date.now()): boolean {
    const state = this.#get(endpoint, rate, nowMs);
    if (state.inFlight >= this.#maxInFlight || !this.#takeToken(state, rate, nowMs)) return false;
    state.inFlight += 1;
    return true;
  }

  /**
   * Takes a slot, waiting for one if the endpoint is at its in-flight cap and fewer than the cap are
   * already waiting. Resolves false (give the task back) when the wait list is full or the rate limit
   * says no. Pair every `true` with {@link release}.
   */
  async acquire(endpoint: string, rate: number | null): Promise<boolean> {
    if (this.tryAcquire(endpoint, rate)) return true;
    const state = this.#get(endpoint, rate, Date.now());
    if (state.inFlight < this.#maxInFlight || state.waiters.length >= this.#maxInFlight) return false;
    await new Promise<void>((resolve) => state.waiters.push(resolve));
    // The releasing task handed its slot over: count it, and still honour the rate limit.
    if (!this.#takeToken(state, rate, Date.now())) {
      this.release(endpoint);
      return false;
    }
    return true;
  }

  release(endpoint: string): void {
    const state = this.#state.get(endpoint);
    if (!state) return;
    const next = state.waiters.shift();
    if (next) {
      next(); // the slot passes to the waiter: inFlight stays the same
      return;
    }
    state.inFlight -= 1;
    if (state.inFlight <= 0 && state.waiters.length === 0 && state.tokens >= 1) this.#state.delete(endpoint);
  }

  /** How long a task given back should stay away, in ms: short, since a slot frees within an attempt. */
  waitMs(rate: number | null): number {
    return rate === null ? 50 : Math.max(50, Math.ceil(1000 / rate));
  }
}
