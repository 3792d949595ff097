import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderDefinition, RegistrationCall } from '@switchyard/contracts';
import { EgressPolicy } from '@switchyard/kernel';
import { MappingEngine, type LoadedProvider } from '@switchyard/mapping';
import { syntheticAccount } from '@switchyard/stores';
import { ProviderHttp } from './http.js';
import { RegistrationCalls } from './registration-calls.js';

/** Declared calls with a text body (a SOAP envelope) against a loopback server that echoes what it got. */
describe('RegistrationCalls: text bodies and body credentials', () => {
  let server: Server;
  let base = '';
  const seen: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const http = new ProviderHttp(new EgressPolicy(['127.0.0.0/8']), { timeoutMs: 5_000 });
  const engine = new MappingEngine();
  const calls = new RegistrationCalls({ engine, http });
  const definition = ProviderDefinition.parse({ slug: 'soapdemo', name: 'SOAP demo', category: 'hris', version: '1', api: { base_url: 'https://api.example.com', auth: { type: 'basic' }, resources: {} } });
  const provider: LoadedProvider = { definition, dir: '', webhookMapping: undefined };
  const target = () => ({ provider, account: syntheticAccount({ provider: 'soapdemo', environmentId: 'env_1', config: { base_url: base } }), credentials: { username: 'isu@t', password: 'p&<w' } });

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'text/xml' }).end('<ok/>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends a text body as built, with its declared content type, and the named credentials in its scope only', async () => {
    const call = RegistrationCall.parse({ method: 'POST', path: '/soap', headers: { 'content-type': 'application/soap+xml' }, body: "'<u>' & credentials.username & '</u><p>' & $replace(credentials.password, '&', '&amp;') & '</p><n>' & n & '</n>'", body_format: 'text', body_credentials: ['username', 'password'] });
    const answer = await calls.send(target(), 'list', call, { n: 3 });
    expect(answer).toMatchObject({ status: 200, body: '<ok/>', malformed: false });
    expect(seen.at(-1)).toMatchObject({ body: '<u>isu@t</u><p>p&amp;<w</p><n>3</n>', headers: { 'content-type': 'application/soap+xml' } });
  });

  it('gives a JSON body no credentials, and refuses a text body that is not a string', async () => {
    const json = RegistrationCall.parse({ method: 'POST', path: '/json', body: '{"who": credentials.username, "n": n}' });
    await calls.send(target(), 'create', json, { n: 1 });
    expect(seen.at(-1)).toMatchObject({ body: '{"n":1}', headers: { 'content-type': 'application/json' } });
    const notText = RegistrationCall.parse({ method: 'POST', path: '/soap', body: '{"a": 1}', body_format: 'text' });
    await expect(calls.send(target(), 'list', notText, {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED' });
  });
});
