import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));

/**
 * The OAuth2 client-credentials grant (a service principal, as Dataverse/Entra ID apps use): tokens
 * are requested with the provider app's credentials, reused until they expire, and requested again
 * when the API refuses one.
 */
describe('unified API with the client-credentials grant', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let provider: Server;
  let base = '';
  let dir: string;
  let grants = 0;
  let valid = new Set<string>();
  let apiKey: string;

  beforeAll(async () => {
    provider = createServer((request, response) => {
      let body = '';
      request.on('data', (c) => (body += c));
      request.on('end', () => {
        if (request.url === '/token') {
          const form = new URLSearchParams(body);
          const ok = form.get('grant_type') === 'client_credentials' && form.get('client_id') === 'svc' && form.get('client_secret') === 'svc-secret' && form.get('scope') === 'api.read';
          if (!ok) return response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client' }));
          grants++;
          const token = `cc-token-${grants}`;
          valid.add(token);
          return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
        }
        const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
        if (!token || !valid.has(token)) return response.writeHead(401).end();
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ employees: [{ id: '1', firstName: 'Ana', lastName: 'Costa' }] }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const address = provider.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    dir = await mkdtemp(join(tmpdir(), 'swy-cc-'));
    await cp(join(MAPPINGS, 'bamboohr'), join(dir, 'ccdemo'), { recursive: true });
    const definition = JSON.parse(await readFile(join(dir, 'ccdemo', 'provider.json'), 'utf8'));
    definition.slug = 'ccdemo';
    definition.api.base_url = base;
    definition.api.auth = { type: 'oauth2', grant: 'client_credentials', token_url: `${base}/token`, scopes: ['api.read'] };
    definition.api.resources['hris/employees'].list.path = '/employees';
    await writeFile(join(dir, 'ccdemo', 'provider.json'), JSON.stringify(definition));
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_MAPPINGS_DIR: dir });
    apiKey = (await hub.createEnvironment('cc')).apiKey;
  });
  afterAll(async () => {
    await hub?.close();
    await nats?.stop();
    await new Promise<void>((resolve) => provider.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const connect = async (secret: string) => {
    const app = await hub.call('POST', '/v1/provider-apps', { token: apiKey, body: { provider: 'ccdemo', client_id: 'svc', client_secret: secret } });
    return (await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: 'ccdemo', provider_app_id: app.body.id, credentials: {} } })).body.id as string;
  };
  const list = (accountId: string) => hub.call('GET', `/unified/hris/employees?integrated_account_id=${accountId}`, { token: apiKey });

  it('requests a token once and reuses it, and asks again once when the API refuses it', async () => {
    const accountId = await connect('svc-secret');
    const before = grants;
    for (let i = 0; i < 3; i++) expect((await list(accountId)).body.result).toHaveLength(1);
    expect(grants - before).toBe(1);
    valid = new Set(); // the provider revokes every token it issued
    expect((await list(accountId)).status).toBe(200);
    expect(grants - before).toBe(2);
  });

  it('answers a clear error when the app credentials are refused', async () => {
    const accountId = await connect('wrong-secret');
    expect((await list(accountId)).body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNAUTHORIZED' });
  });
});
