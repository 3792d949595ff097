import type { AttemptResult } from './sender.js';

/** What the worker does after an attempt. */
export type Decision =
  | { kind: 'delivered' }
  /** Try again after `delayMs`. */
  | { kind: 'retry'; delayMs: number }
  /** No attempt left: dead-letter and tell the customer. */
  | { kind: 'exhausted' }
  /** HTTP 410: the endpoint says it is gone; disable the subscription. */
  | { kind: 'gone' };

/** Retry policy knobs (see DeliveryEnv). */
export interface RetryPolicy {
  /** Delay before each retry; its length is the number of retries after the first attempt. */
  scheduleMs: readonly number[];
  /** Random spread of each delay, as a fraction (0.1 = ±10 %). */
  jitter: number;
}

/** Statuses whose `Retry-After` is honoured as the delay (Standard Webhooks: slow down). */
const SLOW_DOWN = new Set([429, 502, 503, 504]);
/** Longest `Retry-After` we honour: a day. Longer asks fall back to the schedule. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Decides what follows attempt number `attempt` (1-based): 2xx delivered; 410 gone; anything else
 * (3xx included: redirects are not followed) a retry on the schedule with jitter — or after
 * `Retry-After` for 429/502/503/504 — until the schedule runs out.
 */
export function decide(result: AttemptResult, attempt: number, policy: RetryPolicy, random: () => number = Math.random): Decision {
  if (result.status >= 200 && result.status < 300) return { kind: 'delivered' };
  if (result.status === 410) return { kind: 'gone' };
  const scheduled = policy.scheduleMs[attempt - 1];
  if (scheduled === undefined) return { kind: 'exhausted' };
  if (SLOW_DOWN.has(result.status) && result.retryAfterMs !== undefined && result.retryAfterMs <= MAX_RETRY_AFTER_MS) {
    return { kind: 'retry', delayMs: Math.max(0, result.retryAfterMs) };
  }
  const spread = scheduled * policy.jitter * (random() * 2 - 1);
  return { kind: 'retry', delayMs: Math.max(0, Math.round(scheduled + spread)) };
}
