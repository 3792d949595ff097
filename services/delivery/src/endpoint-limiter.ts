/**
 * Per-endpoint admission in one delivery process: at most `maxInFlight` attempts at once and, when the
 * subscription sets one, at most `rate` attempts per second (a token bucket with a one-second burst).
 * A task that is not admitted is handed back to JetStream with a short delay, which is not an attempt.
 * This is what keeps one slow or failing endpoint from taking the slots every other endpoint needs.
 */
export class EndpointLimiter {
  readonly #maxInFlight: number;
  readonly #state = new Map<string, { inFlight: number; tokens: number; refilledAt: number }>();

  constructor(maxInFlight: number) {
    this.#maxInFlight = maxInFlight;
  }

  /** Takes a slot for `endpoint` if one is free; pair every `true` with {@link release}. */
  tryAcquire(endpoint: string, rate: number | null, nowMs = Date.now()): boolean {
    let state = this.#state.get(endpoint);
    if (!state) {
      state = { inFlight: 0, tokens: rate ?? 0, refilledAt: nowMs };
      this.#state.set(endpoint, state);
    }
    if (state.inFlight >= this.#maxInFlight) return false;
    if (rate !== null) {
      state.tokens = Math.min(Math.max(rate, 1), state.tokens + ((nowMs - state.refilledAt) / 1000) * rate);
      state.refilledAt = nowMs;
      if (state.tokens < 1) return false;
      state.tokens -= 1;
    }
    state.inFlight += 1;
    return true;
  }

  release(endpoint: string): void {
    const state = this.#state.get(endpoint);
    if (!state) return;
    state.inFlight -= 1;
    if (state.inFlight <= 0 && state.tokens >= 1) this.#state.delete(endpoint);
  }

  /** How long until `endpoint` may get another token, in ms (for the deferral delay). */
  waitMs(rate: number | null): number {
    return rate === null ? 250 : Math.max(50, Math.ceil(1000 / rate));
  }
}
