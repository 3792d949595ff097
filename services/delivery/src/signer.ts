import { createHmac, sign } from 'node:crypto';
import { ed25519PrivateKey, type SigningKey } from '@switchyard/stores';

/**
 * The Standard Webhooks signature header for one attempt: one entry per active key, space-separated —
 * `v1,<base64 HMAC-SHA256>` for `whsec_` keys, `v1a,<base64 ed25519>` for `whsk_` keys — each over
 * `{id}.{timestamp}.{body}`. Recomputed for every attempt: the timestamp is the attempt's.
 */
export function signatureHeader(keys: readonly SigningKey[], id: string, timestampS: number, body: Uint8Array): string {
  const prefix = Buffer.from(`${id}.${timestampS}.`);
  return keys
    .map((key) => {
      if (key.type === 'ed25519') return `v1a,${sign(null, Buffer.concat([prefix, body]), ed25519PrivateKey(key.secret)).toString('base64')}`;
      const secret = Buffer.from(key.secret.startsWith('whsec_') ? key.secret.slice(6) : key.secret, 'base64');
      return `v1,${createHmac('sha256', secret).update(prefix).update(body).digest('base64')}`;
    })
    .join(' ');
}
