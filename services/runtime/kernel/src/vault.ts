import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SwitchyardError } from '@switchyard/contracts';

/** An encrypted value as stored in KV. `aad` is not stored: the caller supplies the same context again. */
export interface Sealed {
  v: 1;
  /** Which key encrypted it (first 8 hex chars of SHA-256 of the key), so keys can rotate. */
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

/** Parses a 32-byte key given as base64 (44 chars) or hex (64 chars). */
export function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', 'SWITCHYARD_ENCRYPTION_KEY: each key must be 32 bytes, base64 or hex');
  }
  return key;
}

/** Generates a new key in the textual form {@link parseKey} accepts. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * AES-256-GCM for credentials and secrets at rest. The first key encrypts; every key decrypts, so an
 * operator rotates by prepending a new key and re-saving records. The associated data binds a sealed
 * value to its record (e.g. `account:acc_…:credentials`): a ciphertext copied onto another record fails.
 */
export class Vault {
  readonly #keys: Map<string, Buffer>;
  readonly #activeKid: string;

  /** @param keys comma-separated keys, as in `SWITCHYARD_ENCRYPTION_KEY`. */
  constructor(keys: string) {
    const parsed = keys.split(',').filter((k) => k.trim() !== '').map(parseKey);
    if (parsed.length === 0) throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', 'SWITCHYARD_ENCRYPTION_KEY is empty');
    this.#keys = new Map(parsed.map((key) => [createHash('sha256').update(key).digest('hex').slice(0, 8), key]));
    this.#activeKid = this.#keys.keys().next().value as string;
  }

  /** Encrypts UTF-8 text bound to `aad`. */
  seal(plaintext: string, aad: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#activeKid) as Buffer, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { v: 1, kid: this.#activeKid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  /** Decrypts a value sealed with the same `aad`; throws if the key is unknown or the data was altered. */
  open(sealed: Sealed, aad: string): string {
    const key = this.#keys.get(sealed.kid);
    if (!key) throw new Error(`vault: no key with id ${sealed.kid} (was SWITCHYARD_ENCRYPTION_KEY rotated without the old key?)`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
  }

  /**
   * Keys for another purpose (cursor sealing, …) derived from every vault key with HKDF-SHA256, the
   * active one first, so material derived from an old key still opens what it sealed after a rotation.
   */
  derive(purpose: string): Buffer[] {
    return [...this.#keys.values()].map((key) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `switchyard:${purpose}`, 32)));
  }

  /** Seals a JSON value. */
  sealJson(value: unknown, aad: string): Sealed {
    return this.seal(JSON.stringify(value), aad);
  }

  /** Opens a JSON value sealed with {@link sealJson}. */
  openJson<T>(sealed: Sealed, aad: string): T {
    return JSON.parse(this.open(sealed, aad)) as T;
  }
}
