import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VerificationScheme, WebhookDefinition } from '@switchyard/contracts';
import { createHttpApp, createLogger, Metrics } from '@switchyard/kernel';
import { verifyWebhook, type InboundRequest } from './index.js';

const allowlist = { scheme: 'ip_allowlist', cidrs: ['192.0.2.0/24', '198.51.100.7', '2001:db8:10::/48'] };
const hmac = { scheme: 'hmac', algorithm: 'sha256', encoding: 'base64', signature: { header: 'x-signature' }, signed: [{ part: 'body' }] };
const body = '{"event":"updated"}';
/** A valid signed request; the sender address travels in the options, as the edge passes it. */
const valid = (): InboundRequest => ({
  method: 'POST',
  url: 'https://hub.example/w',
  path: '/w',
  headers: { 'x-signature': createHmac('sha256', 'secret').update(body).digest('base64') },
  body: Buffer.from(body),
});

describe('ip_allowlist', () => {
  const schemes = [VerificationScheme.parse(allowlist)];
  const from = (remoteAddress: string | undefined) => verifyWebhook(schemes, valid(), { secrets: [], ...(remoteAddress === undefined ? {} : { remoteAddress }) });

  it.each(['192.0.2.1', '192.0.2.254', '198.51.100.7', '2001:db8:10::1', '2001:db8:10:ffff::9', '::ffff:192.0.2.9', '::FFFF:c000:0201', '2001:db8:10::2%eth0'])(
    'accepts %s',
    async (address) => {
      expect(await from(address)).toEqual({ ok: true });
    },
  );

  it.each(['192.0.3.1', '198.51.100.8', '2001:db8:11::1', '::ffff:203.0.113.5', '::1', '127.0.0.1'])('refuses %s', async (address) => {
    expect(await from(address)).toMatchObject({ ok: false, code: 'SWY_ERR_IP_NOT_ALLOWED' });
  });

  it('refuses when the sender address is unknown or not an address', async () => {
    expect(await from(undefined)).toMatchObject({ code: 'SWY_ERR_IP_NOT_ALLOWED' });
    expect(await from('not-an-ip')).toMatchObject({ code: 'SWY_ERR_IP_NOT_ALLOWED' });
  });

  it('refuses a declaration with a malformed CIDR', () => {
    expect(VerificationScheme.safeParse({ scheme: 'ip_allowlist', cidrs: ['192.0.2.0/33'] }).success).toBe(false);
    expect(VerificationScheme.safeParse({ scheme: 'ip_allowlist', cidrs: [] }).success).toBe(false);
  });
});

describe('composed checks', () => {
  const definition = WebhookDefinition.parse({ mapping: 'webhook.jsonata', verify: [allowlist, hmac] });

  it('passes only when every declared check passes, answering the first failure', async () => {
    const verify = (request: InboundRequest, remoteAddress: string, secrets = ['secret']) => verifyWebhook(definition.verify, request, { secrets, remoteAddress });
    expect(await verify(valid(), '192.0.2.10')).toEqual({ ok: true });
    expect(await verify(valid(), '203.0.113.5')).toMatchObject({ code: 'SWY_ERR_IP_NOT_ALLOWED' });
    expect(await verify(valid(), '192.0.2.10', ['wrong'])).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH' });
  });

  it('refuses a definition whose only check is an IP allow-list (not authentication)', () => {
    expect(WebhookDefinition.safeParse({ mapping: 'webhook.jsonata', verify: [allowlist] }).success).toBe(false);
  });
});

describe('ip_allowlist behind a reverse proxy (SWITCHYARD_TRUSTED_PROXIES)', () => {
  const definition = WebhookDefinition.parse({ mapping: 'webhook.jsonata', verify: [allowlist, hmac] });
  /** The HTTP app every service uses, with a route that verifies as the edge does: by `request.ip`. */
  const edgeLike = (trustedProxies?: string[]) => {
    const app = createHttpApp({ logger: createLogger({ level: 'silent' }), metrics: new Metrics(), readiness: { isConnected: () => true, serverVersion: 'test' }, ...(trustedProxies ? { trustedProxies } : {}) });
    app.post('/w', async (request) => verifyWebhook(definition.verify, valid(), { secrets: ['secret'], remoteAddress: request.ip }));
    return app;
  };
  // A sender outside the allow-list claims to be an allowed address.
  const forged = { method: 'POST' as const, url: '/w', remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': '192.0.2.10' }, payload: {} };

  it('ignores X-Forwarded-For by default, so a forged header does not pass the allow-list', async () => {
    const app = edgeLike();
    const answer = (await app.inject(forged)).json();
    await app.close();
    expect(answer).toMatchObject({ ok: false, code: 'SWY_ERR_IP_NOT_ALLOWED' });
  });

  it('ignores X-Forwarded-For from a source that is not a listed proxy', async () => {
    const app = edgeLike(['10.0.0.0/8']);
    const answer = (await app.inject(forged)).json();
    await app.close();
    expect(answer).toMatchObject({ ok: false, code: 'SWY_ERR_IP_NOT_ALLOWED' });
  });

  it('honours X-Forwarded-For from a listed proxy', async () => {
    const app = edgeLike(['203.0.113.0/24']);
    const answer = (await app.inject(forged)).json();
    await app.close();
    expect(answer).toEqual({ ok: true });
  });

  it('refuses a malformed proxy entry at start-up, naming it', () => {
    expect(() => edgeLike(['10.0.0.0/40'])).toThrow(expect.objectContaining({ code: 'SWY_ERR_CONFIG_INVALID', detail: expect.stringContaining("SWITCHYARD_TRUSTED_PROXIES: bad prefix in '10.0.0.0/40'") }));
  });
});
