import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startBambooHrApi, type BambooHrApi } from '../simulators/bamboohr-api.js';
import { startReceiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/** The unified API and the proxy, through the real hub, against a BambooHR simulator on loopback. */
describe('unified API and proxy over BambooHR', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let bamboo: BambooHrApi;
  let echo: Server;
  let echoUrl: string;
  let apiKey: string;
  let accountId: string;
  const logs: string[] = [];

  const get = async (path: string, token = apiKey) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const connect = async (key: string, config: Record<string, string>, token = apiKey) =>
    (await hub.call('POST', '/v1/integrated-accounts', { token, body: { provider: 'bamboohr', credentials: { api_key: key }, config } })).body.id as string;

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    bamboo = await startBambooHrApi({ apiKeys: ['bamboo-secret-key'], employees: 250, today: new Date('2026-11-22T00:00:00Z') });
    // A provider stand-in that streams any body back, to see the proxy stream both ways.
    echo = createServer((request, response) => {
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/octet-stream', 'x-seen-authorization': request.headers.authorization ? 'yes' : 'no' });
      request.pipe(response);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    echoUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    apiKey = (await hub.createEnvironment('unified')).apiKey;
    accountId = await connect('bamboo-secret-key', { subdomain: 'acme', base_url: `${bamboo.url}/api` });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    await bamboo?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('lists every employee through the opaque cursor, with no gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`/unified/hris/employees?integrated_account_id=${accountId}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.result.map((e: { remote_id: string }) => e.remote_id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen).toEqual(bamboo.state.employees.map((e) => e.id));
  });

  it('maps records to the unified model, adds remote_data on request, and reads one record', async () => {
    const page = await get(`/unified/hris/employees?integrated_account_id=${accountId}&limit=1&include_remote_data=true`);
    const first = page.body.result[0];
    const source = bamboo.state.employees[0]!;
    expect(first).toMatchObject({ remote_id: source.id, first_name: source.firstName, last_name: source.lastName, id: expect.stringMatching(/^rec_/) });
    expect(first.remote_data).toMatchObject({ id: source.id });
    const one = await get(`/unified/hris/employees/${source.id}?integrated_account_id=${accountId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: first.id, remote_id: source.id, first_name: source.firstName });
    expect(one.body).not.toHaveProperty('remote_data');
    expect((await get(`/unified/hris/employees/999999?integrated_account_id=${accountId}`)).body.code).toBe('SWY_ERR_NOT_FOUND');
  });

  it('refuses a tampered cursor and a cursor used with another account', async () => {
    const page = await get(`/unified/hris/employees?integrated_account_id=${accountId}&limit=100`);
    const cursor: string = page.body.next_cursor;
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    expect((await get(`/unified/hris/employees?integrated_account_id=${accountId}&cursor=${encodeURIComponent(tampered)}`)).body).toMatchObject({ status: 400, code: 'SWY_ERR_CURSOR_INVALID' });
    const other = await connect('bamboo-secret-key', { subdomain: 'acme', base_url: `${bamboo.url}/api` });
    expect((await get(`/unified/hris/employees?integrated_account_id=${other}&cursor=${encodeURIComponent(cursor)}`)).body.code).toBe('SWY_ERR_CURSOR_INVALID');
  });

  it('passes provider throttling through as 429 with RateLimit fields and Retry-After, never retrying it', async () => {
    const before = bamboo.state.requests['GET /v1/employees/directory'] ?? 0;
    bamboo.state.throttleNext(1, { retryAfterS: 7 });
    const throttled = await get(`/unified/hris/employees?integrated_account_id=${accountId}`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    // BambooHR publishes no quota, and RateLimit-Policy requires one (q): only the current state is sent.
    expect(throttled.headers.get('ratelimit')).toBe('"bamboohr";r=0;t=7');
    expect(throttled.headers.get('ratelimit-policy')).toBeNull();
    expect(throttled.headers.get('content-type')).toContain('application/problem+json');
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', 'violated-policies': ['bamboohr'] });
    expect(JSON.stringify(throttled.body)).toContain('bamboohr');
    expect(bamboo.state.requests['GET /v1/employees/directory']).toBe(before + 1);
    expect((await get(`/unified/hris/employees?integrated_account_id=${accountId}`)).status).toBe(200);
  });

  it('says clearly when the provider refuses the credentials or the account lacks config', async () => {
    const wrong = await connect('not-the-key', { subdomain: 'acme', base_url: `${bamboo.url}/api` });
    expect((await get(`/unified/hris/employees?integrated_account_id=${wrong}`)).body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNAUTHORIZED' });
    const unconfigured = await connect('bamboo-secret-key', {});
    expect((await get(`/unified/hris/employees?integrated_account_id=${unconfigured}`)).body).toMatchObject({ status: 422, code: 'SWY_ERR_ACCOUNT_CONFIG_MISSING' });
    expect((await get(`/unified/crm/contacts?integrated_account_id=${accountId}`)).body.code).toBe('SWY_ERR_RESOURCE_UNSUPPORTED');
  });

  it("never lets one environment's key read another environment's account", async () => {
    const other = await hub.createEnvironment('other');
    expect((await get(`/unified/hris/employees?integrated_account_id=${accountId}`, other.apiKey)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    const proxied = await fetch(`${hub.url}/proxy/v1/employees/directory`, { headers: { authorization: `Bearer ${other.apiKey}`, 'x-integrated-account-id': accountId } });
    expect(proxied.status).toBe(404);
  });

  it('proxies a provider call with the account auth injected and the caller auth not forwarded', async () => {
    const response = await fetch(`${hub.url}/proxy/v1/employees/directory`, { headers: { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': accountId } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { employees: unknown[] };
    expect(body.employees).toHaveLength(250);
  });

  it('streams a 5 MB body through the proxy both ways', async () => {
    const streaming = await connect('bamboo-secret-key', { base_url: echoUrl });
    const payload = Buffer.alloc(5 * 1024 * 1024, 7);
    payload.write('switchyard', 1234);
    const response = await fetch(`${hub.url}/proxy/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': streaming, 'content-type': 'application/octet-stream' },
      body: payload,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-seen-authorization')).toBe('yes');
    const echoed = Buffer.from(await response.arrayBuffer());
    expect(echoed.length).toBe(payload.length);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('passes PUT, PATCH and DELETE through the proxy with their bodies, and answers 405 to a method no provider API takes', async () => {
    const streaming = await connect('bamboo-secret-key', { base_url: echoUrl });
    const headers = { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': streaming, 'content-type': 'application/json' };
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const response = await fetch(`${hub.url}/proxy/v1/employees/7`, { method, headers, body: JSON.stringify({ method }) });
      expect(response.status, method).toBe(200);
      expect(await response.json()).toEqual({ method });
    }
    // fetch refuses to send TRACE; a plain HTTP client does, as anyone may.
    const trace = await new Promise<{ status: number; allow: string | undefined }>((resolve, reject) => {
      const { authorization, 'x-integrated-account-id': account } = headers;
      httpRequest(`${hub.url}/proxy/v1/employees/7`, { method: 'TRACE', headers: { authorization, 'x-integrated-account-id': account } }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, allow: response.headers.allow });
      })
        .on('error', reject)
        .end();
    });
    expect(trace.status).toBe(405);
    expect(trace.allow?.split(', ')).toEqual(expect.arrayContaining(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']));
  });

  it("refuses a tenant's proxy call and unified read to a loopback base_url under the shipped default, even on a port open to deliveries", async () => {
    // The shipped default for provider calls (no SWITCHYARD_PROVIDER_EGRESS_ALLOW), with the worst case
    // for deliveries: the operator listed the very loopback port the tenant points base_url at.
    const port = new URL(bamboo.url).port;
    const strict = await startTestHub(nats.url, { SWITCHYARD_EGRESS_ALLOW: `127.0.0.1:${port}`, SWITCHYARD_PROVIDER_EGRESS_ALLOW: '' });
    try {
      const { apiKey: key } = await strict.createEnvironment('strict');
      const created = await strict.call('POST', '/v1/integrated-accounts', {
        token: key,
        body: { provider: 'bamboohr', credentials: { api_key: 'bamboo-secret-key' }, config: { subdomain: 'acme', base_url: `http://127.0.0.1:${port}/api` } },
      });
      expect(created.status).toBe(201);
      const before = JSON.stringify(bamboo.state.requests);
      const headers = { authorization: `Bearer ${key}`, 'x-integrated-account-id': created.body.id as string };
      const proxied = await fetch(`${strict.url}/proxy/v1/employees/directory`, { headers });
      expect(proxied.status).toBe(422);
      expect(await proxied.json()).toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED', detail: expect.stringContaining('SWITCHYARD_PROVIDER_EGRESS_ALLOW') });
      const read = await fetch(`${strict.url}/unified/hris/employees?integrated_account_id=${created.body.id}&limit=1`, { headers: { authorization: `Bearer ${key}` } });
      expect(read.status).toBe(422);
      expect(await read.json()).toMatchObject({ code: 'SWY_ERR_EGRESS_DENIED' });
      // Nothing reached the loopback service: no employee data left it.
      expect(JSON.stringify(bamboo.state.requests)).toBe(before);
    } finally {
      await strict.close();
    }
  });

  it('keeps provider credentials out of the logs', () => {
    const all = logs.join('');
    expect(all).toContain('"route":"/unified/:category/:resource"');
    for (const secret of ['bamboo-secret-key', Buffer.from('bamboo-secret-key:x').toString('base64'), apiKey]) expect(all).not.toContain(secret);
  });

  it('enriches a thin webhook event with the full record through the same API core, even after a throttle', async () => {
    const endpoint = await startReceiver();
    try {
      const account = (
        await hub.call('POST', '/v1/integrated-accounts', {
          token: apiKey,
          body: { provider: 'bamboohr', credentials: { api_key: 'bamboo-secret-key' }, webhook_secret: 'wh-key', config: { subdomain: 'acme', base_url: `${bamboo.url}/api` } },
        })
      ).body;
      await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: endpoint.url, event_types: ['hris/employees:*'] } });
      const employee = bamboo.state.employees[7]!;
      bamboo.state.throttleNext(1, { retryAfterS: 1 });
      expect((await sendBamboo(account.webhook_url, signBamboo('wh-key', bambooEvent('employee.updated', employee.id)))).status).toBe(200);
      const [delivered] = await eventually('the enriched event', () => endpoint.delivered().length === 1 && endpoint.delivered(), 20_000);
      const event = JSON.parse(delivered!.body);
      expect(event.enrichment).toEqual({ status: 'done', resource: 'hris/employees', remote_id: employee.id });
      expect(event.data).toMatchObject({ remote_id: employee.id, first_name: employee.firstName, last_name: employee.lastName });

      // A record the provider does not have: the event still goes out, thin, and says so.
      expect((await sendBamboo(account.webhook_url, signBamboo('wh-key', bambooEvent('employee.updated', '987654')))).status).toBe(200);
      const thin = await eventually('the thin event', () => endpoint.delivered()[1]);
      expect(JSON.parse(thin.body)).toMatchObject({ record_id: '987654', enrichment: { status: 'failed' }, data: { remote_id: '987654' } });
    } finally {
      await endpoint.close();
    }
  });
});
