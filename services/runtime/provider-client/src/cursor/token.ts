import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseKey } from '@switchyard/kernel';

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

interface DerivedKey {
  enc: Buffer;
  mac: Buffer;
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

const VERSION = 1;
const NONCE_BYTES = 12;
/** 128-bit tag: HMAC-SHA256 truncated, as in JWE's A128CBC-HS256; forging it is a 2^-128 guess. */
const TAG_BYTES = 16;
/** Longer tokens are refused before any crypto work. */
const MAX_TOKEN_CHARS = 8192;
const SALT = Buffer.from('switchyard/cursor');

function derive(raw: Uint8Array): DerivedKey {
  // Separate keys from the credential key material, so a cursor oracle can never touch credentials.
  const enc = Buffer.from(hkdfSync('sha256', raw, SALT, 'v1 aes-256-ctr', 32));
  const mac = Buffer.from(hkdfSync('sha256', raw, SALT, 'v1 hmac-sha256', 32));
  return { enc, mac };
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

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** The tag covers the token's own bytes and the binding, which travels nowhere but in the tag. */
function tag(mac: Buffer, signed: Buffer, binding: CursorBinding): Buffer {
  return createHmac('sha256', mac)
    .update(signed)
    .update(lengthPrefixed(binding.accountId))
    .update(lengthPrefixed(binding.resource))
    .digest()
    .subarray(0, TAG_BYTES);
}

/** AES-CTR counter block: the 96-bit random nonce, then a 32-bit block counter from zero. */
function counterBlock(nonce: Buffer): Buffer {
  return Buffer.concat([nonce, Buffer.alloc(4)]);
}

function checkBinding(binding: CursorBinding): void {
  if (!binding.accountId || !binding.resource) throw new Error('cursor binding needs an accountId and a resource');
}

/**
 * Seals pagination state into an opaque base64url token: encrypted (AES-256-CTR), then authenticated
 * (HMAC-SHA256 over the ciphertext and the account/resource binding). The customer can neither read nor
 * alter it, nor replay it against another account or resource. Provider URLs in the state (Salesforce
 * `nextRecordsUrl`, `@odata.nextLink`) are therefore confidential too: they can carry instance hosts and
 * query ids the customer has no need to see.
 *
 * @param state any JSON-serializable value (undefined becomes null)
 * @param options.ttlS seconds the cursor stays valid; unset means no expiry
 */
export function sealCursor(state: unknown, binding: CursorBinding, key: CursorKey, options: { ttlS?: number; nowMs?: number } = {}): string {
  checkBinding(binding);
  const [active] = keysOf(key);
  if (!active) throw new Error('cursor key has no keys');
  const expiresAt = options.ttlS === undefined ? undefined : Math.ceil((options.nowMs ?? Date.now()) / 1000 + options.ttlS);
  const plaintext = Buffer.from(JSON.stringify(expiresAt === undefined ? [state ?? null] : [state ?? null, expiresAt]), 'utf8');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-ctr', active.enc, counterBlock(nonce));
  const signed = Buffer.concat([Buffer.of(VERSION), nonce, cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([signed, tag(active.mac, signed, binding)]).toString('base64url');
}

function refused(reason: CursorFailure): { ok: false; error: CursorError } {
  const detail =
    reason === 'expired'
      ? 'the cursor has expired; list again without a cursor'
      : 'the cursor is not valid for this account and resource; list again without a cursor';
  return { ok: false, error: { code: 'SWY_ERR_CURSOR_INVALID', status: 400, reason, detail } };
}

/**
 * Opens a cursor sealed by {@link sealCursor} for the same binding. Tampered, truncated, foreign
 * (another account or resource) and expired tokens come back as a coded error value, never a throw,
 * and the tag is compared in constant time before anything is decrypted or parsed.
 *
 * The state is authentic (only the hub mints cursors) but may come from an older release of the hub;
 * validate its shape before use.
 */
export function openCursor<T = unknown>(token: string, binding: CursorBinding, key: CursorKey, options: { nowMs?: number } = {}): OpenedCursor<T> {
  checkBinding(binding);
  const keys = keysOf(key);
  if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return refused('malformed');
  const bytes = Buffer.from(token, 'base64url');
  // Node's decoder ignores the spare bits of the last character; requiring the canonical encoding makes
  // every changed character a changed token.
  if (bytes.toString('base64url') !== token) return refused('malformed');
  if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) return refused('malformed');

  const signed = bytes.subarray(0, bytes.length - TAG_BYTES);
  const given = bytes.subarray(bytes.length - TAG_BYTES);
  // Every key is tried, even after a match, so timing does not reveal which key (or none) verified.
  let match: DerivedKey | undefined;
  for (const candidate of keys) {
    if (timingSafeEqual(tag(candidate.mac, signed, binding), given)) match ??= candidate;
  }
  if (!match) return refused('forged');

  const nonce = signed.subarray(1, 1 + NONCE_BYTES);
  const decipher = createDecipheriv('aes-256-ctr', match.enc, counterBlock(nonce));
  const plaintext = Buffer.concat([decipher.update(signed.subarray(1 + NONCE_BYTES)), decipher.final()]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    // Authentic but unreadable: only a bug in an older hub could mint this.
    return refused('malformed');
  }
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > 2) return refused('malformed');
  const expiresAt: unknown = parsed[1];
  if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'number') return refused('malformed');
    if ((options.nowMs ?? Date.now()) / 1000 >= expiresAt) return refused('expired');
  }
  return { ok: true, state: parsed[0] as T };
}
