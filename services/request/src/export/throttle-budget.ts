import { ProviderThrottled } from '@switchyard/provider-client';

/** The bounds on waiting for a throttling provider during one export. */
export interface ThrottleLimits {
  /** Longest single wait, in ms: a Retry-After beyond it is not waited for. */
  maxWaitMs: number;
  /** All waits of one export together, in ms. */
  maxTotalMs: number;
}

/** Without a Retry-After the first wait is this long, doubled per consecutive throttle of the same page. */
const FALLBACK_WAIT_MS = 1_000;
/** Floor of a wait, so `Retry-After: 0` repeated cannot spin; it counts against the total like any wait. */
const MIN_WAIT_MS = 100;

/**
 * One export's budget for provider throttling: each {@link ProviderThrottled} is waited out for the
 * provider's Retry-After (the account's rate budget is the provider's, shared with every other caller
 * through the hub's governor) as long as the single wait and the running total stay within the limits.
 */
export class ThrottleBudget {
  readonly #limits: ThrottleLimits;
  #spentMs = 0;

  constructor(limits: ThrottleLimits) {
    this.#limits = limits;
  }

  /** Milliseconds waited so far. */
  get spentMs(): number {
    return this.#spentMs;
  }

  /**
   * Runs `call`, waiting out throttling within the budget. Rethrows the last {@link ProviderThrottled}
   * when the wait it asks for does not fit, and anything else at once. Stops waiting when `signal` aborts.
   */
  async run<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ProviderThrottled)) throw error;
        const asked = error.rateLimit.retryAfterS;
        const waitMs = Math.max(MIN_WAIT_MS, asked === undefined ? FALLBACK_WAIT_MS * 2 ** attempt : asked * 1000);
        if (waitMs > this.#limits.maxWaitMs || this.#spentMs + waitMs > this.#limits.maxTotalMs) throw error;
        this.#spentMs += waitMs;
        await sleep(waitMs, signal);
        if (signal.aborted) throw error;
      }
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
