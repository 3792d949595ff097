import { createHmac } from 'node:crypto';

/**
 * The Standard Webhooks v1 signature header for one attempt: `v1,<base64 HMAC-SHA256>` of
 * `{id}.{timestamp}.{body}` under each secret, space-separated (several entries during a rotation).
 * Recomputed for every attempt because the timestamp is the attempt's, not the event's.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestampS: number, body: Uint8Array): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
      const mac = createHmac('sha256', key).update(`${id}.${timestampS}.`).update(body).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
