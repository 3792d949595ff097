import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateSigningKey, type SigningKey } from '@switchyard/stores';
import { signatureHeader } from './signer.js';

const hmac = (secret: string): SigningKey => ({ type: 'hmac-sha256', secret, public_key: null, expires_at: null });

/** A v1a verifier written from the Standard Webhooks spec: ed25519 over `id.timestamp.body`, key pinned as `whpk_`. */
function verifyV1a(publicKey: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
  return header
    .split(' ')
    .filter((entry) => entry.startsWith('v1a,'))
    .some((entry) => verify(null, Buffer.from(`${id}.${timestamp}.${body}`), key, Buffer.from(entry.slice(4), 'base64')));
}

describe('Standard Webhooks signer', () => {
  it('reproduces the published v1 reference vector', () => {
    const header = signatureHeader([hmac('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from('{"test": 2432232314}'));
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('is accepted by the standardwebhooks reference verifier with either secret during a rotation', () => {
    const oldKey = generateSigningKey('hmac-sha256');
    const newKey = generateSigningKey('hmac-sha256');
    const body = '{"type":"hris/employees:updated"}';
    const now = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([oldKey, newKey], 'evt_1', now, Buffer.from(body)) };
    expect(new Webhook(oldKey.secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(newKey.secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSigningKey('hmac-sha256').secret).verify(body, headers)).toThrow();
  });

  it('signs v1a with ed25519 so that the pinned public key verifies and another does not', () => {
    const key = generateSigningKey('ed25519');
    expect(key.public_key).toMatch(/^whpk_/);
    expect(key.secret).toMatch(/^whsk_/);
    const header = signatureHeader([key], 'evt_2', 1700000000, Buffer.from('{"a":1}'));
    expect(header).toMatch(/^v1a,[A-Za-z0-9+/]+=*$/);
    expect(verifyV1a(key.public_key!, 'evt_2', '1700000000', '{"a":1}', header)).toBe(true);
    expect(verifyV1a(key.public_key!, 'evt_2', '1700000001', '{"a":1}', header)).toBe(false);
    expect(verifyV1a(generateSigningKey('ed25519').public_key!, 'evt_2', '1700000000', '{"a":1}', header)).toBe(false);
  });
});
