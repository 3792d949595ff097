import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** One key a subscription signs with. Several are active during a rotation overlap. */
export interface SigningKey {
  type: 'hmac-sha256' | 'ed25519';
  /** `whsec_<base64>` (HMAC) or `whsk_<base64 PKCS#8 DER>` (ed25519 private key). Never shown after creation. */
  secret: string;
  /** `whpk_<base64 raw 32-byte key>`: what a v1a consumer pins (ed25519 only). */
  public_key: string | null;
  /** When an outgoing key stops signing (ISO); null for the current key. */
  expires_at: string | null;
}

/**
 * A new Standard Webhooks key. HMAC: `whsec_` + base64 of 32 random bytes (the spec asks for 24–64).
 * ed25519: a fresh key pair; the customer receives only the `whpk_` public key.
 */
export function generateSigningKey(type: SigningKey['type']): SigningKey {
  if (type === 'hmac-sha256') return { type, secret: `whsec_${randomBytes(32).toString('base64')}`, public_key: null, expires_at: null };
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return { type, secret: `whsk_${der.toString('base64')}`, public_key: `whpk_${raw.toString('base64')}`, expires_at: null };
}

/** What the customer is shown for a key: the HMAC secret, or the ed25519 public key. */
export function revealedCredential(key: SigningKey): { secret: string } | { public_key: string } {
  return key.type === 'hmac-sha256' ? { secret: key.secret } : { public_key: key.public_key as string };
}

const privateKeys = new Map<string, KeyObject>();

/** The parsed ed25519 private key of a `whsk_` secret, parsed once per process. */
export function ed25519PrivateKey(secret: string): KeyObject {
  let key = privateKeys.get(secret);
  if (!key) {
    key = createPrivateKey({ key: Buffer.from(secret.slice('whsk_'.length), 'base64'), format: 'der', type: 'pkcs8' });
    privateKeys.set(secret, key);
  }
  return key;
}

/** The keys that still sign at `nowMs`: the current one and any outgoing one inside its overlap. */
export function activeKeys(keys: readonly SigningKey[], nowMs = Date.now()): SigningKey[] {
  return keys.filter((k) => k.expires_at === null || Date.parse(k.expires_at) > nowMs);
}
