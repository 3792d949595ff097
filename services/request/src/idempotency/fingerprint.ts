import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  if (typeof (record as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((record as { toJSON: () => unknown }).toJSON());
  const members = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
  return `{${members.join(',')}}`;
}

/** What identifies a write for idempotency: the same key with a different fingerprint is a 422. */
export interface FingerprintInput {
  method: string;
  /** Path and query as the route received them, e.g. `/unified/crm/contacts`. */
  path: string;
  /** The integrated account, which may arrive in a header rather than the path. */
  accountId?: string;
  /** The parsed JSON body (canonicalized), or raw text / bytes (hashed as they are). */
  body?: unknown;
}

/**
 * SHA-256 (hex) of the method, account, path and canonical body. Only this digest is stored, never the
 * body, so an idempotency record holds nothing of the customer's data.
 */
export function requestFingerprint(input: FingerprintInput): string {
  const hash = createHash('sha256');
  const body = input.body;
  const raw = typeof body === 'string' || body instanceof Uint8Array;
  // Length-prefixed parts: `/a` + `b` and `/ab` + `` must not collide.
  for (const part of [input.method.toUpperCase(), input.accountId ?? '', input.path, raw ? 'raw' : 'json']) {
    hash.update(`${Buffer.byteLength(part)}:${part}`);
  }
  if (raw) hash.update(body);
  else hash.update(canonicalJson(body ?? null));
  return hash.digest('hex');
}
