import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Handshake } from '@switchyard/contracts';
import { MappingEngine } from '@switchyard/mapping';
import { capturedSecret, findHandshake, findUnsignedHandshake, renderReply, type RequestView } from './handshake.js';

const engine = new MappingEngine();
const view = (payload: unknown, query: Record<string, string> = {}): RequestView => ({ method: 'POST', query, headers: {}, payload });

describe('handshakes as declared data', () => {
  it('answers a Slack-style url_verification challenge with the challenge, and ignores ordinary events', async () => {
    const slack = Handshake.parse({ name: 'url_verification', match: 'payload.type = "url_verification"', reply: { content_type: 'application/json', body: '{"challenge": payload.challenge}' } });
    expect(await findHandshake(engine, 't', [slack], view({ type: 'event_callback' }))).toBeUndefined();
    const found = await findHandshake(engine, 't', [slack], view({ type: 'url_verification', challenge: 'abc123' }));
    expect(await renderReply(engine, 'slack', found!.reply, view({ type: 'url_verification', challenge: 'abc123' }), [])).toEqual({
      status: 200,
      contentType: 'application/json',
      body: '{"challenge":"abc123"}',
    });
  });

  it("answers a Zoom-style endpoint.url_validation with the plain token and its HMAC under the account's secret", async () => {
    const zoom = Handshake.parse({
      name: 'url_validation',
      match: 'payload.event = "endpoint.url_validation"',
      reply: { body: '{"plainToken": payload.payload.plainToken, "encryptedToken": $hmac("sha256", secrets[0], payload.payload.plainToken, "hex")}' },
    });
    const request = view({ event: 'endpoint.url_validation', payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' } });
    const reply = await renderReply(engine, 'zoom', zoom.reply, request, ['zoom-secret']);
    expect(JSON.parse(reply.body)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: createHmac('sha256', 'zoom-secret').update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    });
  });

  it('echoes a query validation token byte for byte as text, and captures a declared secret', async () => {
    const graph = Handshake.parse({ name: 'validation', match: '$exists(query.validationToken)', reply: { content_type: 'text/plain', body: 'query.validationToken' } });
    const reply = await renderReply(engine, 'graph', graph.reply, view(undefined, { validationToken: 'Validation: Token <&> 1' }), []);
    expect(reply).toEqual({ status: 200, contentType: 'text/plain', body: 'Validation: Token <&> 1' });
    const gusto = Handshake.parse({ name: 'verification', match: '$exists(payload.verification_token)', capture_secret: 'payload.verification_token' });
    expect(await capturedSecret(engine, 'gusto', gusto, view({ verification_token: 'vt_123' }))).toBe('vt_123');
    expect(await capturedSecret(engine, 'gusto', gusto, view({ verification_token: '' }))).toBeUndefined();
  });

  it('answers a failing reply expression with a coded error naming the handshake', async () => {
    const bad = Handshake.parse({ name: 'broken', match: 'true', reply: { body: '$error("nope")' } });
    await expect(renderReply(engine, 'p/provider.json#handshakes.broken.reply', bad.reply, view({}), [])).rejects.toMatchObject({ code: 'SWY_ERR_HANDSHAKE_FAILED' });
  });

  describe('before verification', () => {
    const validation = Handshake.parse({ name: 'validation', match: "$type(query.validationToken) = 'string'", reply: { content_type: 'text/plain', body: 'query.validationToken' } });
    const ping = Handshake.parse({ name: 'ping', match: "payload = 'Ping test'", max_bytes: 16 });
    const signed = Handshake.parse({ name: 'itr', match: 'true', verified: true });
    const noParse = () => {
      throw new Error('parsed a body over the budget');
    };

    it('answers a small unsigned handshake from its parsed body, and never looks at verified ones', async () => {
      expect(await findUnsignedHandshake(engine, 't', [signed, ping], view(undefined), 9, () => 'Ping test')).toMatchObject({ found: 'match', handshake: { name: 'ping' }, view: { payload: 'Ping test' } });
      expect(await findUnsignedHandshake(engine, 't', [signed], view(undefined), 9, () => 'Ping test')).toEqual({ found: 'none' });
    });

    it('refuses a query-recognised handshake whose body is over budget, without parsing it', async () => {
      expect(await findUnsignedHandshake(engine, 't', [validation], view(undefined, { validationToken: 'x' }), 4_097, noParse)).toMatchObject({ found: 'too_large', handshake: { name: 'validation' } });
    });

    it('does not recognise a body-only handshake over budget: it goes on to verification', async () => {
      expect(await findUnsignedHandshake(engine, 't', [ping], view(undefined), 17, noParse)).toEqual({ found: 'none' });
    });
  });
});
