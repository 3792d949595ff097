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

  it('documents every /v1 route the hub serves (a route missing here fails)', async () => {
    const doc = (await hub.call('GET', '/openapi.json')).body;
    const served = [
      ['post', '/v1/environments'],
      ['delete', '/v1/environments/{id}'],
      ['post', '/v1/environments/{id}/api-keys'],
      ['delete', '/v1/environments/{id}/api-keys/{key_id}'],
      ['get', '/v1/provider-apps/{id}'],
      ['patch', '/v1/integrated-accounts/{id}'],
      ['put', '/v1/integrated-accounts/{id}/webhook-registration'],
      ['get', '/v1/integrated-accounts/{id}/webhook-registration'],
      ['delete', '/v1/integrated-accounts/{id}/webhook-registration'],
      ['get', '/v1/integrated-accounts/{id}/polling'],
      ['post', '/v1/integrated-accounts/{id}/polling/pause'],
      ['post', '/v1/integrated-accounts/{id}/polling/resume'],
      ['post', '/v1/integrated-accounts/{id}/polling/poll-now'],
      ['post', '/v1/subscriptions/{id}/rotate-secret'],
      ['get', '/v1/subscriptions/{id}/attempts'],
      ['post', '/v1/events/{id}/resend'],
      ['put', '/v1/mappings/{provider}'],
      ['post', '/v1/mappings/preview'],
      ['post', '/v1/mappings/preview/api'],
      ['post', '/v1/dead-letters/replay'],
      ['get', '/v1/replays/{id}'],
    ];
    for (const [method, path] of served) expect(doc.paths[path!], `${method} ${path}`).toHaveProperty(method!);
    // And each documented path exists: an unknown route would answer SWY_ERR_ROUTE_NOT_FOUND, a known one anything else.
    for (const path of Object.keys(doc.paths).filter((p) => p.startsWith('/v1/') && !p.includes('{'))) {
      const method = Object.keys(doc.paths[path])[0]!.toUpperCase();
      const response = await hub.call(method, path, { body: method === 'GET' ? undefined : {} });
      expect(response.body?.code, `${method} ${path}`).not.toBe('SWY_ERR_ROUTE_NOT_FOUND');
    }
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
