import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';

// One-shot `crypto.hash` (Node ≥ 20.12) is about twice as fast as createHash for short inputs, and
// ids are minted twice per normalized event; older Node 20 releases use createHash.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;
const hexSha256 = oneShot ? (data: string | Uint8Array) => oneShot('sha256', data, 'hex') : (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

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
  return `${prefix}_${hexSha256(parts.join('\u001f')).slice(0, 32)}`;
}

/** Hex SHA-256 of bytes or text. */
export function sha256Hex(data: string | Uint8Array): string {
  return hexSha256(data);
}
