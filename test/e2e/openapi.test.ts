import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNIFIED_MODELS } from '@switchyard/contracts';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';

describe('GET /openapi.json', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
  });
  afterAll(async () => {
    await hub?.close();
    await nats?.stop();
  });

  it('describes the customer API with the shapes the routes validate', async () => {
    const doc = (await hub.call('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0].url).toBe(hub.publicUrl);
    const subscriptionBody = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'].schema;
    expect(subscriptionBody.required).toEqual(expect.arrayContaining(['url', 'event_types']));
    expect(Object.keys(subscriptionBody.properties)).toEqual(expect.arrayContaining(['filter', 'headers', 'rate_limit', 'key_type']));
    for (const key of Object.keys(UNIFIED_MODELS)) {
      expect(doc.paths[`/unified/${key}`], key).toHaveProperty('get');
      expect(doc.paths[`/unified/${key}/{id}`], key).toHaveProperty('patch');
      expect(doc.components.schemas[key.replace('/', '_')].properties).toHaveProperty('remote_id');
    }
  });

  it('documents every route the hub serves, and serves every route it documents', async () => {
    const doc = (await hub.call('GET', '/openapi.json')).body;
    const pattern = (source: string, param: RegExp) =>
      new RegExp(`^${source.split('/').map((s) => (s === '*' ? '.+' : param.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
    const served = hub.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS').map((r) => ({ key: `${r.method} ${r.url}`, method: r.method, matches: pattern(r.url, /^:/) }));
    const documented = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), example: path.replace(/\{[^}]+\}/g, 'x1'), matches: pattern(path, /^\{.+\}$/) })),
    );
    // A served route is documented when some documented operation of its method is one of its paths;
    // one route can stand for many documented ones (/unified/:category/:resource lists each resource).
    const undocumented = served.filter((r) => !documented.some((d) => d.method === r.method && r.matches.test(d.example)));
    expect(undocumented.map((r) => r.key)).toEqual([]);
    const unserved = documented.filter((d) => !served.some((r) => r.method === d.method && r.matches.test(d.example)));
    expect(unserved.map((d) => d.key)).toEqual([]);
    // The list is the real one: the routes of each service are in it.
    expect(served.map((r) => r.key)).toEqual(expect.arrayContaining(['POST /webhooks/:provider/:accountId', 'GET /v1/subscriptions/:id', 'GET /unified/:category/:resource', 'GET /healthz']));
  });

  it('answers 405 with Allow for a known path and a method it does not take, and 404 for an unknown path', async () => {
    const collection = await fetch(`${hub.url}/v1/subscriptions`, { method: 'PUT' });
    expect(collection.status).toBe(405);
    expect(collection.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(await collection.json()).toMatchObject({ code: 'SWY_ERR_METHOD_NOT_ALLOWED', status: 405 });
    const item = await fetch(`${hub.url}/v1/subscriptions/sub_123`, { method: 'POST' });
    expect(item.status).toBe(405);
    expect(item.headers.get('allow')?.split(', ')).toEqual(expect.arrayContaining(['DELETE', 'GET', 'PATCH']));
    const unknown = await fetch(`${hub.url}/v1/no-such-thing`, { method: 'PUT' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
  });
});
