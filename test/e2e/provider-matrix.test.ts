import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationScheme } from '@switchyard/contracts';
import { MappingEngine, ProviderCatalog, type LoadedProvider } from '@switchyard/mapping';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { canSign, signForSchemes, signsBody, signsUrl, verificationVariants, type OutgoingRequest } from '../simulators/scheme-signer.js';

/**
 * Every provider of the catalog, through the real HTTP edge: a valid request built from its
 * declaration is accepted, and each "valid request minus one thing" is refused with its code. Adding a
 * provider folder adds it here; nothing in this file names a provider.
 */
const catalog = await ProviderCatalog.load();
const engine = new MappingEngine();
const providers = catalog.list().filter((p) => p.definition.webhook);

/** The provider's sample delivery: `fixtures/request.json` ({content_type, body}) or its first event fixture as JSON. */
async function sample(provider: LoadedProvider): Promise<{ contentType: string; body: Buffer; payload: unknown }> {
  const dir = join(provider.dir, 'fixtures');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  if (files.includes('request.json')) {
    const request = JSON.parse(await readFile(join(dir, 'request.json'), 'utf8')) as { content_type: string; body: string; payload?: unknown };
    return { contentType: request.content_type, body: Buffer.from(request.body), payload: request.payload };
  }
  for (const file of files) {
    const fixture = JSON.parse(await readFile(join(dir, file), 'utf8')) as { input: unknown; events?: unknown[] };
    if (fixture.events && fixture.events.length > 0) return { contentType: 'application/json', body: Buffer.from(JSON.stringify(fixture.input)), payload: fixture.input };
  }
  throw new Error(`${provider.definition.slug}: add fixtures/request.json or an event fixture`);
}

/** A secret in the shape the provider's keys take (whsec_, base64, user:password, or text). */
function secretFor(schemes: readonly VerificationScheme[]): string {
  if (schemes.some((s) => s.scheme === 'basic')) return `switchyard:${randomBytes(12).toString('hex')}`;
  if (schemes.some((s) => s.scheme === 'hmac' && s.key.format === 'whsec')) return `whsec_${randomBytes(32).toString('base64')}`;
  if (schemes.some((s) => s.scheme === 'hmac' && s.key.format === 'base64')) return randomBytes(32).toString('base64');
  return `matrix-${randomBytes(16).toString('hex')}`;
}

describe('every provider, a valid request minus one thing', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let apiKey: string;
  const rawCount = async () => (await hub.runtime.bus.jsm.streams.info('RAW')).state.messages;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    apiKey = (await hub.createEnvironment('matrix')).apiKey;
  });
  afterAll(async () => {
    await hub?.close();
    await nats?.stop();
  });

  it('covers every provider that receives webhooks, or says why not', () => {
    const signable = (p: LoadedProvider) => verificationVariants(p.definition.webhook!.verify).map((v) => canSign(v.schemes));
    const uncovered = providers.map((p) => [p.definition.slug, signable(p)] as const).filter(([, c]) => !c.some((v) => v.ok));
    for (const [slug, reasons] of uncovered) for (const reason of reasons) expect(reason, slug).toMatchObject({ why: expect.any(String) });
    expect(providers.length - uncovered.length).toBeGreaterThan(0);
  });

  const cases = providers.flatMap((provider) => verificationVariants(provider.definition.webhook!.verify).filter((v) => canSign(v.schemes).ok).map((variant) => ({ provider, variant })));
  for (const { provider, variant } of cases) {
    const slug = provider.definition.slug;
    const webhook = provider.definition.webhook!;
    // One way the provider may sign: each alternative of an `any_of` group gets its own valid request.
    const schemes = variant.schemes;
    const tolerance = schemes.flatMap((s) => (s.scheme === 'hmac' || s.scheme === 'digest') && s.timestamp && !s.timestamp.field ? [s.timestamp.tolerance_s] : [])[0];

    describe(variant.label ? `${slug} (${variant.label})` : slug, () => {
      const secret = secretFor(schemes);
      let url: string;
      let accountId: string;
      let payload: { contentType: string; body: Buffer };
      const expectedStatus = webhook.reply?.status ?? 200;

      const build = (options: { secret?: string; nowS?: number } = {}): OutgoingRequest =>
        signForSchemes(
          schemes,
          { method: 'POST', url, headers: { 'content-type': payload.contentType }, body: Buffer.from(`${payload.body.toString('utf8')}`.replace('__NONCE__', randomBytes(6).toString('hex')).replaceAll('__SECRET__', options.secret ?? secret)) },
          options.secret ?? secret,
          options.nowS ?? Math.floor(Date.now() / 1000),
        );
      const post = async (request: OutgoingRequest) => {
        const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
        const text = await response.text();
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        return { status: response.status, body };
      };

      beforeAll(async () => {
        const s = await sample(provider);
        payload = { contentType: s.contentType, body: s.body };
        const routing = webhook.app_routing;
        if (routing) {
          const app = await hub.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: slug, client_id: 'matrix', client_secret: secret, webhook_secret: secret } });
          expect(app.status, JSON.stringify(app.body)).toBe(201);
          const items = await engine.evaluate('items', routing.items, s.payload ?? JSON.parse(s.body.toString()));
          const first = Array.isArray(items) ? items[0] : items;
          const remoteKey = String(await engine.evaluate('remote_key', routing.remote_key, first));
          const account = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: slug, provider_app_id: app.body.id, remote_key: remoteKey, webhook_secret: secret } });
          expect(account.status, JSON.stringify(account.body)).toBe(201);
          accountId = account.body.id;
          url = app.body.webhook_url;
        } else {
          const account = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: slug, webhook_secret: secret } });
          expect(account.status, JSON.stringify(account.body)).toBe(201);
          accountId = account.body.id;
          url = account.body.webhook_url;
        }
      });

      it('accepts the valid request, and a replay of it is a duplicate that stores nothing new', async () => {
        const request = build();
        const before = await rawCount();
        expect((await post(request)).status).toBe(expectedStatus);
        expect(await rawCount()).toBe(before + 1);
        expect((await post(request)).status).toBe(expectedStatus);
        expect(await rawCount()).toBe(before + 1);
      });

      it('refuses a wrong secret', async () => {
        const response = await post(build({ secret: secretFor(schemes) }));
        expect(response.status, JSON.stringify(response.body)).toBe(401);
      });

      it('refuses the request without its credentials', async () => {
        const request = build();
        const stripped: OutgoingRequest = { ...request, headers: { ...request.headers }, url: request.url, body: request.body };
        for (const scheme of schemes) {
          if (scheme.scheme === 'hmac' || scheme.scheme === 'digest') delete stripped.headers[scheme.signature.header.toLowerCase()];
          if (scheme.scheme === 'basic' || scheme.scheme === 'bearer') delete stripped.headers.authorization;
          if (scheme.scheme === 'token' && scheme.in === 'header') delete stripped.headers[scheme.name.toLowerCase()];
          if (scheme.scheme === 'token' && scheme.in === 'query') {
            const u = new URL(stripped.url);
            u.searchParams.delete(scheme.name);
            stripped.url = u.toString();
          }
          if (scheme.scheme === 'token' && scheme.in === 'body') {
            const json = JSON.parse(stripped.body.toString()) as Record<string, unknown>;
            delete json[scheme.name];
            stripped.body = Buffer.from(JSON.stringify(json));
          }
        }
        expect((await post(stripped)).status).toBe(401);
      });

      it('refuses a truncated credential', async () => {
        const request = build();
        const scheme = schemes[0]!;
        const cut = (v: string | undefined) => (v ?? '').slice(0, Math.max(0, (v ?? '').length - 4));
        if (scheme.scheme === 'hmac' || scheme.scheme === 'digest') request.headers[scheme.signature.header.toLowerCase()] = cut(request.headers[scheme.signature.header.toLowerCase()]);
        else if (scheme.scheme === 'basic' || scheme.scheme === 'bearer') request.headers.authorization = cut(request.headers.authorization);
        else if (scheme.scheme === 'token' && scheme.in === 'header') request.headers[scheme.name.toLowerCase()] = cut(request.headers[scheme.name.toLowerCase()]);
        else if (scheme.scheme === 'token' && scheme.in === 'query') {
          const u = new URL(request.url);
          u.searchParams.set(scheme.name, cut(u.searchParams.get(scheme.name) ?? ''));
          request.url = u.toString();
        } else if (scheme.scheme === 'token' && scheme.in === 'body') {
          const json = JSON.parse(request.body.toString()) as Record<string, string>;
          json[scheme.name] = cut(json[scheme.name]);
          request.body = Buffer.from(JSON.stringify(json));
        }
        expect((await post(request)).status).toBe(401);
      });

      if (signsBody(schemes)) {
        it('refuses one body byte changed', async () => {
          const request = build();
          const bytes = Buffer.from(request.body);
          const at = bytes.findIndex((b, i) => i > bytes.length / 3 && ((b >= 97 && b <= 122) || (b >= 48 && b <= 57)));
          bytes[at] = bytes[at] === 97 ? 98 : 97;
          expect((await post({ ...request, body: bytes })).status).toBe(401);
        });
      }

      if (signsUrl(schemes)) {
        it('refuses the request signed for another URL', async () => {
          const request = build();
          const other = new URL(request.url);
          other.searchParams.set('moved', '1');
          expect((await post({ ...request, url: other.toString() })).status).toBe(401);
        });
      }

      if (tolerance !== undefined) {
        it('refuses a stale and a future timestamp', async () => {
          const now = Math.floor(Date.now() / 1000);
          expect((await post(build({ nowS: now - tolerance - 60 }))).body).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW' });
          expect((await post(build({ nowS: now + tolerance + 60 }))).body).toMatchObject({ code: 'SWY_ERR_TIMESTAMP_SKEW' });
        });
      }

      it('accepts the old and the new secret during a rotation', async () => {
        const next = secretFor(schemes);
        const path = webhook.app_routing ? `/v1/provider-apps/${new URL(url).pathname.split('/').pop()}` : `/v1/integrated-accounts/${accountId}`;
        const body = webhook.app_routing ? { client_secret: [secret, next], webhook_secret: [secret, next] } : { webhook_secret: [secret, next] };
        expect((await hub.call('PATCH', path, { token: apiKey, body })).status).toBe(200);
        expect((await post(build({ secret }))).status).toBe(expectedStatus);
        expect((await post(build({ secret: next }))).status).toBe(expectedStatus);
        const back = webhook.app_routing ? { client_secret: secret, webhook_secret: secret } : { webhook_secret: secret };
        await hub.call('PATCH', path, { token: apiKey, body: back });
      });

      it('refuses an unknown account and, until re-enabled, a disabled one', async () => {
        if (webhook.app_routing) {
          const unknownApp = url.replace(/apps\/[^/?]+/, 'apps/app_000000000000000000000000');
          expect((await post({ ...build(), url: unknownApp })).status).toBe(404);
        } else {
          const unknown = url.replace(accountId, 'acc_000000000000000000000000');
          expect((await post({ ...build(), url: unknown })).body).toMatchObject({ code: 'SWY_ERR_ACCOUNT_UNKNOWN' });
        }
        await hub.call('PATCH', `/v1/integrated-accounts/${accountId}`, { token: apiKey, body: { status: 'disabled' } });
        expect((await post(build())).status).toBe(webhook.app_routing ? 404 : 403);
        await hub.call('PATCH', `/v1/integrated-accounts/${accountId}`, { token: apiKey, body: { status: 'active' } });
        expect((await post(build())).status).toBe(expectedStatus);
      });
    });
  }
});
