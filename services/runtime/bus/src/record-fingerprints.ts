import type { ProviderDefinition } from '@switchyard/contracts';
import { sha256Hex } from '@switchyard/kernel';
import { keyToken } from './kv-cas.js';

/**
 * A record's key in `poll_fingerprints`: `<account>.<resource>.<hash of the remote id>`, dot-separated
 * so an account's fingerprints are found (and purged) with the `<account>.>` filter.
 */
export function fingerprintKey(accountId: string, resource: string, remoteId: string): string {
  return `${keyToken(accountId)}.${resource.replace(/[^A-Za-z0-9]/g, '_')}.${sha256Hex(remoteId).slice(0, 32)}`;
}

/**
 * The fingerprint of a unified record (what `GET /unified/...` answers), the same whether the record
 * came from the provider's list or its single-record read: the definition maps both to one unified
 * shape. `id` (derived from the remote id) and `remote_data` (the provider's own shape) are left out;
 * keys are sorted so key order does not matter.
 */
export function unifiedFingerprint(record: Record<string, unknown>): string {
  const { id: _id, remote_data: _remote, ...fields } = record;
  return sha256Hex(canonicalJson(fields));
}

/** What `poll_fingerprints` holds for a reconciled record: its last known fingerprint and who saw it. */
export interface SeenRecord {
  fingerprint: string;
  /** `webhook`: the normalizer recorded it from a webhook's enrichment; `reconcile`: a walk did. */
  by: 'webhook' | 'reconcile';
  at: string;
}

/** Encodes a {@link SeenRecord} for the bucket. */
export function encodeSeen(seen: SeenRecord): string {
  return JSON.stringify(seen);
}

/** Decodes a bucket value; undefined when absent or not a reconcile entry. */
export function decodeSeen(value: string | undefined): SeenRecord | undefined {
  if (value === undefined || !value.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<SeenRecord>;
    return typeof parsed.fingerprint === 'string' ? (parsed as SeenRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the account opted in (`config.reconcile: true`) and its provider declares reconciliation
 * of `resource`: only then does anyone read or write reconcile fingerprints for it.
 */
export function reconciles(definition: ProviderDefinition, config: Record<string, unknown>, resource: string): boolean {
  return config.reconcile === true && definition.polling?.reconcile?.[resource] !== undefined && definition.polling.resources[resource] === undefined;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
