/**
 * Per-endpoint rate limits (`rate_limit`, deliveries per second) in one delivery process: a token bucket
 * with a one-second burst. A task waits here for its token; only its own endpoint's consumer waits,
 * since each endpoint has its own consumer.
 */
export class EndpointLimiter {
  readonly #state = new Map<string, { tokens: number; refilledAt: number }>();

  /** Takes a token now if one is available. */
  tryTake(endpoint: string, rate: number | null, nowMs = Date.now()): boolean {
    if (rate === null) return true;
    const state = this.#state.get(endpoint) ?? { tokens: rate, refilledAt: nowMs };
    state.tokens = Math.min(Math.max(rate, 1), state.tokens + ((nowMs - state.refilledAt) / 1000) * rate);
    state.refilledAt = nowMs;
    this.#state.set(endpoint, state);
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  /** Waits until `endpoint` may make another attempt. */
  async take(endpoint: string, rate: number | null): Promise<void> {
    while (!this.tryTake(endpoint, rate)) await new Promise((r) => setTimeout(r, Math.max(5, Math.ceil(1000 / (rate ?? 1000)))));
  }
}
