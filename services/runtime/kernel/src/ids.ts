import { createHash, randomBytes } from 'node:crypto';

/**
 * A random id such as `acc_3f9a…` (24 hex chars, 96 bits). Hex keeps ids valid as NATS subject
 * tokens, KV keys and Standard Webhooks ids (no `.`).
 */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/**
 * A deterministic id from its parts: the same parts always give the same id, so retries and replays
 * never mint a second one. Parts are joined with a unit separator, which cannot appear in ids or keys.
 */
export function deterministicId(prefix: string, parts: readonly string[]): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 32)}`;
}

/** Hex SHA-256 of bytes or text. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
