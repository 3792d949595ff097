import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHubSpotApi, type HubSpotApi, type HubSpotApiOptions } from './hubspot-api.js';

interface Page {
  results: Array<{ id: string; properties: Record<string, string | null>; createdAt: string; updatedAt: string; archived: boolean }>;
  paging?: { next: { after: string; link: string } };
}

describe('HubSpot API simulator', () => {
  let sim: HubSpotApi;
  let token: string;
  const start = async (options: HubSpotApiOptions = {}) => {
    sim = await startHubSpotApi(options);
    token = sim.oauth.issue().access_token;
  };
  beforeEach(() => start());
  afterEach(() => sim.close());

  const call = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
    fetch(`${sim.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });

  const walk = async (type: string, limit: number) => {
    const ids: string[] = [];
    let path: string | undefined = `/crm/v3/objects/${type}?limit=${limit}`;
    for (let pages = 0; path; pages++) {
      expect(pages).toBeLessThan(50);
      const page = (await (await call(path)).json()) as Page;
      ids.push(...page.results.map((r) => r.id));
      path = page.paging ? new URL(page.paging.next.link).pathname + `?limit=${limit}&after=${page.paging.next.after}` : undefined;
    }
    return ids;
  };

  it('walks every object type to the end through paging.next.after with no gaps or repeats', async () => {
    for (const [type, count, first] of [['contacts', 250, 1001], ['companies', 120, 5001], ['deals', 150, 9001]] as const) {
      for (const limit of [100, 37]) expect(await walk(type, limit)).toEqual(Array.from({ length: count }, (_, i) => String(first + i)));
    }
    const last = (await (await call('/crm/v3/objects/contacts?limit=100&after=1201')).json()) as Page;
    expect(last.results).toHaveLength(50);
    expect(last.paging).toBeUndefined();
    const first = (await (await call('/crm/v3/objects/contacts')).json()) as Page;
    expect(first.results).toHaveLength(10); // HubSpot's default page size
    expect(first.paging?.next.link).toBe(`${sim.url}/crm/v3/objects/contacts?after=1011`);
    expect(sim.state.requests['GET /crm/v3/objects/contacts']).toBe(3 + 7 + 2);
  });

  it('returns default properties, or the named ones (null when unset, unknown names ignored)', async () => {
    const contact = (await (await call('/crm/v3/objects/contacts/1001')).json()) as Page['results'][number];
    expect(Object.keys(contact.properties).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
    expect(contact).toMatchObject({ id: '1001', archived: false, createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
    const named = (await (await call('/crm/v3/objects/contacts/1002?properties=email,phone&properties=customer_tier,nope')).json()) as Page['results'][number];
    expect(named.properties).toEqual({ email: 'ben.tester0@example.com', phone: null, customer_tier: null });
  });

  it('refuses missing, unknown and expired tokens with HubSpot 401 bodies; a refreshed token works', async () => {
    const missing = await call('/crm/v3/objects/contacts', { token: null });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) });
    expect(missing.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
    expect((await call('/crm/v3/objects/contacts', { token: 'not-a-token' })).status).toBe(401);

    const grant = sim.oauth.issue();
    sim.oauth.expireAccessTokens();
    const expired = await call('/crm/v3/objects/contacts', { token: grant.access_token });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    const refreshed = await fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: grant.refresh_token, client_id: 'hubspot-client', client_secret: 'hubspot-secret' }),
    });
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as { access_token: string; expires_in: number };
    expect(fresh.expires_in).toBe(1_800);
    expect((await call('/crm/v3/objects/contacts', { token: fresh.access_token })).status).toBe(200);
  });

  it('sends rate-limit headers whose remaining count falls; the daily pair only on private-app calls', async () => {
    const one = await call('/crm/v3/objects/deals');
    const two = await call('/crm/v3/objects/deals/9001');
    expect(one.headers.get('x-hubspot-ratelimit-max')).toBe('100');
    expect(one.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(one.headers.get('x-hubspot-ratelimit-remaining')).toBe('99');
    expect(two.headers.get('x-hubspot-ratelimit-remaining')).toBe('98');
    expect(one.headers.get('x-hubspot-ratelimit-daily')).toBeNull();
    const privateCall = await call('/crm/v3/objects/deals', { token: 'pat-na1-simulator' });
    expect(privateCall.headers.get('x-hubspot-ratelimit-daily')).toBe('250000');
    expect(privateCall.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('249999');
    expect(privateCall.headers.get('x-hubspot-ratelimit-remaining')).toBe('97');
  });

  it('answers throttleNext with 429, the RATE_LIMIT body naming the policy, and remaining 0', async () => {
    sim.state.throttleNext(2, { retryAfterS: 4 });
    for (let i = 0; i < 2; i++) {
      const throttled = await call('/crm/v3/objects/contacts');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      expect(throttled.headers.get('x-hubspot-ratelimit-max')).toBe('100');
      expect(throttled.headers.get('retry-after')).toBe('4');
      expect(await throttled.json()).toEqual({
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        policyName: 'TEN_SECONDLY_ROLLING',
      });
    }
    expect((await call('/crm/v3/objects/contacts')).status).toBe(200);
    sim.state.throttleNext(1, { policyName: 'DAILY' });
    const daily = await call('/crm/v3/objects/contacts', { token: 'pat-na1-simulator' });
    expect(await daily.json()).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'DAILY', message: 'You have reached your daily limit.' });
    expect(daily.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('0');
    expect(daily.headers.get('retry-after')).toBeNull();
  });

  it('enforces the rolling burst limit itself', async () => {
    await sim.close();
    await start({ rateLimit: { max: 3, intervalMs: 10_000 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/crm/v3/objects/contacts')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('creates, reads, updates, lists and archives contacts, companies and deals', async () => {
    const created = await call('/crm/v3/objects/contacts', { method: 'POST', body: { properties: { email: 'new@example.com', firstname: 'New', customer_tier: 'gold' } } });
    expect(created.status).toBe(201);
    const contact = (await created.json()) as Page['results'][number];
    expect(contact).toMatchObject({ id: '1251', archived: false, properties: { email: 'new@example.com', firstname: 'New', customer_tier: 'gold', hs_object_id: '1251' } });
    expect(contact.properties.createdate).toBe(contact.createdAt);

    const patched = await call(`/crm/v3/objects/contacts/${contact.id}`, { method: 'PATCH', body: { properties: { lastname: 'Person', customer_tier: '' } } });
    expect(patched.status).toBe(200);
    const read = (await (await call(`/crm/v3/objects/contacts/${contact.id}?properties=firstname,lastname,customer_tier`)).json()) as Page['results'][number];
    expect(read.properties).toEqual({ firstname: 'New', lastname: 'Person', customer_tier: null });
    expect(read.updatedAt >= contact.updatedAt).toBe(true);
    expect(await walk('contacts', 100)).toHaveLength(251);

    expect((await call(`/crm/v3/objects/contacts/${contact.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/crm/v3/objects/contacts/${contact.id}`)).status).toBe(404);
    expect(await walk('contacts', 100)).toHaveLength(250);
    const archived = (await (await call('/crm/v3/objects/contacts?archived=true')).json()) as Page;
    expect(archived.results.map((r) => [r.id, r.archived])).toEqual([[contact.id, true]]);

    const company = await call('/crm/v3/objects/companies', { method: 'POST', body: { properties: { name: 'Acme', domain: 'acme.example' } } });
    expect(company.status).toBe(201);
    const deal = (await (await call('/crm/v3/objects/deals', { method: 'POST', body: { properties: { dealname: 'Big', amount: 5000 } } })).json()) as Page['results'][number];
    expect(deal.properties).toMatchObject({ dealname: 'Big', amount: '5000' }); // values come back as strings
    expect(sim.state.objects.deals.get(deal.id)?.properties.dealname).toBe('Big');
  });

  it('refuses invalid writes with HubSpot validation and conflict bodies', async () => {
    const unknown = await call('/crm/v3/objects/contacts', { method: 'POST', body: { properties: { email: 'a@example.com', favorite_food: 'x' } } });
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as { status: string; category: string; message: string; errors: Array<{ code: string; context: unknown }> };
    expect(body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', errors: [{ code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['favorite_food'] } }] });
    expect(JSON.parse(body.message.replace('Property values were not valid: ', ''))).toEqual([
      { isValid: false, message: 'Property "favorite_food" does not exist', error: 'PROPERTY_DOESNT_EXIST', name: 'favorite_food' },
    ]);
    const cases: Array<[unknown, number, string]> = [
      [{ properties: { email: 'not-an-email' } }, 400, 'INVALID_EMAIL'],
      [{ properties: { hs_object_id: '5' } }, 400, 'READ_ONLY_VALUE'],
      [{ email: 'x@example.com' }, 400, 'VALIDATION_ERROR'],
      ['{"properties": ', 400, 'VALIDATION_ERROR'],
      [{ properties: { email: 'ANA.TESTER0@example.com' } }, 409, 'CONFLICT'],
    ];
    for (const [input, status, marker] of cases) {
      const refused = await call('/crm/v3/objects/contacts', { method: 'POST', body: input });
      expect(refused.status).toBe(status);
      expect(JSON.stringify(await refused.json())).toContain(marker);
    }
    const patchMissing = await call('/crm/v3/objects/deals/1', { method: 'PATCH', body: { properties: {} } });
    expect(patchMissing.status).toBe(404);
    expect(await patchMissing.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    expect(sim.state.objects.contacts.size).toBe(250);
  });
});
