import { createHash, hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { parseKey } from '@switchyard/kernel';
import { legacyKey, openLegacyCursor, type LegacyKey } from './legacy-token.js';

/** What a cursor is bound to: it opens only for the same account and the same resource. */
export interface CursorBinding {
  /** The integrated account the listing reads through. */
  accountId: string;
  /**
   * The listing it continues, e.g. `crm/contacts`. Callers may append anything else a cursor must not
   * outlive (a filter fingerprint), since the whole string is bound.
   */
  resource: string;
}

/** One encryption key: its JWE key and id, and its keys for reading legacy cursors. */
interface DerivedKey {
  kid: string;
  jwe: Uint8Array;
  legacy: LegacyKey;
}

/**
 * Keys for sealing cursors, derived once from the encryption key material (see {@link cursorKey}).
 * Opaque: the key bytes live in a module-private map, so logging this object shows nothing secret.
 */
export interface CursorKey {
  readonly kind: 'cursor-key';
}

/** The derived keys of each {@link CursorKey}; the first seals, every one opens. */
const derivedKeys = new WeakMap<CursorKey, readonly DerivedKey[]>();

function keysOf(key: CursorKey): readonly DerivedKey[] {
  const keys = derivedKeys.get(key);
  if (!keys) throw new Error('not a cursor key: make one with cursorKey()');
  return keys;
}

/** Why a cursor was refused. `forged` also covers another account's or resource's cursor, on purpose. */
export type CursorFailure = 'malformed' | 'forged' | 'expired';

/** The coded error value for a refused cursor; the HTTP layer renders it as a 400 problem. */
export interface CursorError {
  code: 'SWY_ERR_CURSOR_INVALID';
  status: 400;
  reason: CursorFailure;
  /** Safe to show the caller: says nothing about which check failed beyond expiry. */
  detail: string;
}

/** The result of {@link openCursor}. */
export type OpenedCursor<T> = { ok: true; state: T } | { ok: false; error: CursorError };

/** Longer tokens are refused before any crypto work. */
const MAX_TOKEN_CHARS = 8192;
const SALT = Buffer.from('switchyard/cursor');

function derive(raw: Uint8Array): DerivedKey {
  // Separate keys from the credential key material, so a cursor oracle can never touch credentials.
  // Derivation stays node:crypto HKDF: jose takes the key bytes, it does not derive them from ours.
  const jwe = new Uint8Array(hkdfSync('sha256', raw, SALT, 'v2 jwe dir a256gcm', 32));
  const kid = createHash('sha256').update(jwe).digest('base64url').slice(0, 8);
  return { kid, jwe, legacy: legacyKey(raw) };
}

/**
 * Derives cursor keys from the hub's encryption key material: the `SWITCHYARD_ENCRYPTION_KEY` text
 * (comma-separated 32-byte keys, base64 or hex), or raw key bytes. The first key seals; all of them
 * open, so cursors survive a key rotation. Derive once at start-up: derivation is not free.
 */
export function cursorKey(material: string | Uint8Array | readonly Uint8Array[]): CursorKey {
  const raws =
    typeof material === 'string'
      ? material.split(',').filter((k) => k.trim() !== '').map(parseKey)
      : material instanceof Uint8Array
        ? [material]
        : [...material];
  if (raws.length === 0 || raws.some((raw) => raw.length < 32)) throw new Error('cursorKey: need at least one key of 32 bytes or more');
  const key: CursorKey = Object.freeze({ kind: 'cursor-key' as const });
  derivedKeys.set(key, raws.map(derive));
  return key;
}

function checkBinding(binding: CursorBinding): void {
  if (!binding.accountId || !binding.resource) throw new Error('cursor binding needs an accountId and a resource');
}

/** The encrypted payload: the state, the binding it opens for, and an optional expiry (Unix seconds). */
interface Sealed {
  s: unknown;
  a: string;
  r: string;
  exp?: number;
}

/**
 * Seals pagination state into an opaque token: a compact JWE (`dir`, `A256GCM`, sealed with jose) whose
 * encrypted payload holds the state, the account and resource it is bound to, and its expiry. The
 * customer can neither read nor alter it, nor replay it against another account or resource. Provider
 * URLs in the state (Salesforce `nextRecordsUrl`, `@odata.nextLink`) are therefore confidential too:
 * they can carry instance hosts and query ids the customer has no need to see. The protected header
 * names only the algorithm and the key id (a hash prefix of the derived key, for rotation).
 *
 * @param state any JSON-serializable value (undefined becomes null)
 * @param options.ttlS seconds the cursor stays valid; unset means no expiry
 */
export async function sealCursor(state: unknown, binding: CursorBinding, key: CursorKey, options: { ttlS?: number; nowMs?: number } = {}): Promise<string> {
  checkBinding(binding);
  const [active] = keysOf(key);
  if (!active) throw new Error('cursor key has no keys');
  const payload: Sealed = { s: state ?? null, a: binding.accountId, r: binding.resource };
  if (options.ttlS !== undefined) payload.exp = Math.ceil((options.nowMs ?? Date.now()) / 1000 + options.ttlS);
  return new CompactEncrypt(Buffer.from(JSON.stringify(payload), 'utf8')).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: active.kid }).encrypt(active.jwe);
}

function refused(reason: CursorFailure): { ok: false; error: CursorError } {
  const detail =
    reason === 'expired'
      ? 'the cursor has expired; list again without a cursor'
      : 'the cursor is not valid for this account, resource and filters; list again without a cursor';
  return { ok: false, error: { code: 'SWY_ERR_CURSOR_INVALID', status: 400, reason, detail } };
}

function canonicalBase64url(part: string): boolean {
  return Buffer.from(part, 'base64url').toString('base64url') === part;
}

function expired(expiresAt: number | undefined, nowMs: number | undefined): boolean {
  return expiresAt !== undefined && (nowMs ?? Date.now()) / 1000 >= expiresAt;
}

/**
 * Opens a cursor sealed by {@link sealCursor} for the same binding — or one sealed in the legacy format
 * by an older hub ({@link openLegacyCursor}). Tampered, truncated, foreign (another account or resource)
 * and expired tokens come back as a coded error value, never a throw; GCM's tag is checked by jose
 * before anything is parsed.
 *
 * The state is authentic (only the hub mints cursors) but may come from an older release of the hub;
 * validate its shape before use.
 */
export async function openCursor<T = unknown>(token: string, binding: CursorBinding, key: CursorKey, options: { nowMs?: number } = {}): Promise<OpenedCursor<T>> {
  checkBinding(binding);
  const keys = keysOf(key);
  if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_.-]+$/.test(token)) return refused('malformed');
  if (!token.includes('.')) {
    const legacy = openLegacyCursor(token, binding, keys.map((k) => k.legacy));
    if (!legacy.ok) return refused(legacy.reason);
    return expired(legacy.expiresAt, options.nowMs) ? refused('expired') : { ok: true, state: legacy.state as T };
  }
  // base64url's last character carries unused bits that decoders ignore, so two spellings can give the
  // same bytes; a token is accepted only in the one spelling the hub wrote.
  if (!token.split('.').every(canonicalBase64url)) return refused('malformed');
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'dir' || header.enc !== 'A256GCM') return refused('malformed');
    kid = header.kid;
  } catch {
    return refused('malformed');
  }
  const match = keys.find((k) => k.kid === kid);
  if (!match) return refused('forged');
  let payload: Partial<Sealed>;
  try {
    const { plaintext } = await compactDecrypt(token, match.jwe, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    payload = JSON.parse(Buffer.from(plaintext).toString('utf8')) as Partial<Sealed>;
  } catch {
    // A changed byte fails GCM's tag check; a token cut short is no JWE: neither is ours.
    return refused('forged');
  }
  if (typeof payload !== 'object' || payload === null || !('s' in payload)) return refused('malformed');
  if (payload.a !== binding.accountId || payload.r !== binding.resource) return refused('forged');
  if (payload.exp !== undefined && typeof payload.exp !== 'number') return refused('malformed');
  if (expired(payload.exp, options.nowMs)) return refused('expired');
  return { ok: true, state: payload.s as T };
}
