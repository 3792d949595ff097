import { createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { CursorBinding, CursorFailure } from './token.js';

/**
 * The reader of cursors sealed before jose took over (hub releases up to 2026-12): version byte 1,
 * a 96-bit nonce, AES-256-CTR ciphertext of `[state, expiresAt?]`, then a 128-bit HMAC-SHA256 tag over
 * those bytes and the account/resource binding, all base64url without dots. Kept so a cursor a customer
 * holds from before the upgrade still continues its listing; nothing seals this format any more.
 */

/** The keys of one encryption key for the legacy format. */
export interface LegacyKey {
  enc: Buffer;
  mac: Buffer;
}

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SALT = Buffer.from('switchyard/cursor');

/** The legacy keys of one raw encryption key (the same HKDF derivation the old sealer used). */
export function legacyKey(raw: Uint8Array): LegacyKey {
  return {
    enc: Buffer.from(hkdfSync('sha256', raw, SALT, 'v1 aes-256-ctr', 32)),
    mac: Buffer.from(hkdfSync('sha256', raw, SALT, 'v1 hmac-sha256', 32)),
  };
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function tag(mac: Buffer, signed: Buffer, binding: CursorBinding): Buffer {
  return createHmac('sha256', mac).update(signed).update(lengthPrefixed(binding.accountId)).update(lengthPrefixed(binding.resource)).digest().subarray(0, TAG_BYTES);
}

/** Opens a legacy token: its state and expiry, or why it was refused. The tag is checked (constant time) before anything is decrypted. */
export function openLegacyCursor(token: string, binding: CursorBinding, keys: readonly LegacyKey[]): { ok: true; state: unknown; expiresAt?: number } | { ok: false; reason: CursorFailure } {
  const bytes = Buffer.from(token, 'base64url');
  // Node's decoder ignores the spare bits of the last character; requiring the canonical encoding makes
  // every changed character a changed token.
  if (bytes.toString('base64url') !== token) return { ok: false, reason: 'malformed' };
  if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
  const signed = bytes.subarray(0, bytes.length - TAG_BYTES);
  const given = bytes.subarray(bytes.length - TAG_BYTES);
  // Every key is tried, even after a match, so timing does not reveal which key (or none) verified.
  let match: LegacyKey | undefined;
  for (const candidate of keys) {
    if (timingSafeEqual(tag(candidate.mac, signed, binding), given)) match ??= candidate;
  }
  if (!match) return { ok: false, reason: 'forged' };
  const nonce = signed.subarray(1, 1 + NONCE_BYTES);
  const decipher = createDecipheriv('aes-256-ctr', match.enc, Buffer.concat([nonce, Buffer.alloc(4)]));
  const plaintext = Buffer.concat([decipher.update(signed.subarray(1 + NONCE_BYTES)), decipher.final()]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > 2) return { ok: false, reason: 'malformed' };
  const expiresAt: unknown = parsed[1];
  if (expiresAt !== undefined && typeof expiresAt !== 'number') return { ok: false, reason: 'malformed' };
  return expiresAt === undefined ? { ok: true, state: parsed[0] } : { ok: true, state: parsed[0], expiresAt };
}
