import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { signatureHeader } from './signer.js';

describe('Standard Webhooks signer', () => {
  it('reproduces the published reference vector', () => {
    const header = signatureHeader(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from('{"test": 2432232314}'));
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('is accepted by the standardwebhooks reference verifier with either secret during a rotation', () => {
    const oldSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const newSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const body = '{"type":"hris/employees:updated"}';
    const now = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([oldSecret, newSecret], 'evt_1', now, Buffer.from(body)) };
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).verify(body, headers)).toThrow();
  });
});
