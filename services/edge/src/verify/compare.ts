import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

let pepper: Buffer | undefined;

/**
 * Constant-time equality for secrets of secret length (tokens, passwords): both sides are MACed under a
 * per-process random key and the fixed-length MACs compared, so neither content nor length leaks.
 */
export function safeEqual(given: Buffer | string, expected: Buffer | string): boolean {
  pepper ??= randomBytes(32);
  const a = createHmac('sha256', pepper).update(given).digest();
  const b = createHmac('sha256', pepper).update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Constant-time equality for digests, whose length is public (fixed by the algorithm): a length
 * difference answers at once, equal lengths reach `timingSafeEqual`.
 */
export function sameDigest(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** True when `given` equals any of `expected`; every candidate is compared, none short-circuits. */
export function equalsAny(given: string, expected: readonly string[]): boolean {
  let matched = false;
  for (const candidate of expected) matched = safeEqual(given, candidate) || matched;
  return matched;
}
