import { createHash } from 'node:crypto';
import { deterministicId, sha256Hex } from '@switchyard/kernel';

/**
 * The key sent in an operation's `idempotency_header` or `idempotency_param` for a customer's
 * `Idempotency-Key`: bound to the account and the call (method, path template, record id, the body as
 * sent), so one customer key never collides across accounts or resources, the same retry always sends
 * the same key, and a corrected request after a refusal (the hub releases its key then) is a new request
 * to the provider too, never the replay of its refusal. UUID-shaped (36 characters), as NetSuite requires
 * and QuickBooks' 50-character `requestid` allows.
 */
export function providerIdempotencyKey(accountId: string, call: { method: string; path: string; id?: string | undefined; body?: string | undefined }, customerKey: string): string {
  return uuidFrom(deterministicId('idem', [accountId, call.method, call.path, call.id ?? '', sha256Hex(call.body ?? ''), customerKey]));
}

/** A UUID-shaped value (8-4-4-4-12 hex, version nibble 8: custom) from a deterministic id. */
function uuidFrom(id: string): string {
  const hex = createHash('sha256').update(id).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
