import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startS4HanaApi, type S4HanaApi } from '../simulators/s4hana-api.js';

type Row = { id: string; remote_id: string } & Record<string, unknown>;

/**
 * SAP S/4HANA business partners as unified accounting contacts, through API_BUSINESS_PARTNER (OData v2):
 * `$top`/`$skip` behind the cursor, `updated_after` split into LastChangeDate + LastChangeTime, `/Date()/`
 * and `PT…S` values turned into ISO instants, Basic auth of a communication user.
 */
describe('unified accounting/contacts over SAP S/4HANA business partners', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let s4: S4HanaApi;
  let apiKey: string;
  let accountId: string;
  const logs: string[] = [];
  const user = { name: 'COMM_USER_BP', password: 'comm-user-password-41f' };

  const get = async (path: string) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const walk = async (query: string, account = accountId) => {
    const seen: Row[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/unified/accounting/contacts?integrated_account_id=${account}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...page.body.result);
      sizes.push(page.body.result.length);
      cursor = page.body.next_cursor;
      expect(sizes.length).toBeLessThan(50);
    } while (cursor);
    return { seen, ids: seen.map((r) => r.remote_id), sizes };
  };
  const connect = async (password: string) => {
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: { provider: 'sap-s4hana', credentials: { username: user.name, password }, config: { api_host: 'my300001-api.s4hana.cloud.sap', base_url: `${s4.url}/sap/opu/odata/sap/API_BUSINESS_PARTNER` } },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    s4 = await startS4HanaApi({ user: user.name, password: user.password });
    apiKey = (await hub.createEnvironment('s4hana')).apiKey;
    accountId = await connect(user.password);
  });
  afterAll(async () => {
    await s4?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('walks every business partner with $top/$skip, with no gaps or repeats, mapped to accounting contacts', async () => {
    const { ids, sizes, seen } = await walk('&limit=60');
    expect(sizes).toEqual([60, 60, 20]);
    expect(ids).toEqual(s4.state.partners.map((p) => p.id));
    expect(s4.state.lastQuery).toMatchObject({ $format: 'json', $orderby: 'BusinessPartner', $skip: '120', $top: '60' });
    const org = s4.state.partners[1]!;
    expect(seen[1]).toEqual({
      id: expect.stringMatching(/^rec_/),
      remote_id: org.id,
      name: org.fullName,
      is_customer: false,
      is_supplier: true,
      email_address: org.address.email!.toLowerCase(),
      phone_numbers: [{ phone_number: org.address.phone, phone_number_type: 'work' }],
      addresses: [{ type: 'billing', street_1: `Dietmar-Hopp-Allee ${org.address.house}`, city: 'Walldorf', state: 'BW', postal_code: '69190', country: 'DE' }],
      status: 'active',
      remote_created_at: new Date(Math.floor(Date.parse(org.created) / 1000) * 1000).toISOString(),
      remote_updated_at: new Date(Math.floor(Date.parse(org.lastChange) / 1000) * 1000).toISOString(),
      custom_fields: { category: 'organization', grouping: 'BP02', supplier: org.id },
    });
    expect(seen[0]).toMatchObject({ is_customer: true, custom_fields: { category: 'person', first_name: 'Person', last_name: '0', customer: s4.state.partners[0]!.id } });
    expect(seen[12]).toMatchObject({ status: 'archived' });
  });

  it('keeps updated_after on every page, precise to the second although date and time are separate properties', async () => {
    // Several partners change on the same day: the cut must fall inside the day, not at midnight.
    const since = s4.state.partners[100]!.lastChange;
    const { ids } = await walk(`&limit=15&updated_after=${encodeURIComponent(since)}`);
    expect(ids).toEqual(s4.state.partners.slice(101).map((p) => p.id));
    expect(s4.state.lastQuery.$filter).toBe(
      `(LastChangeDate gt datetime'${since.slice(0, 10)}T00:00:00') or (LastChangeDate eq datetime'${since.slice(0, 10)}T00:00:00' and LastChangeTime gt time'PT${since.slice(11, 13)}H${since.slice(14, 16)}M${since.slice(17, 19)}S')`,
    );
  });

  it('reads one partner by key, the same record the list gave, and 404s an unknown one', async () => {
    const seen = (await get(`/unified/accounting/contacts?integrated_account_id=${accountId}&limit=5`)).body.result as Row[];
    const one = await get(`/unified/accounting/contacts/${seen[4]!.remote_id}?integrated_account_id=${accountId}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(seen[4]);
    expect((await get(`/unified/accounting/contacts/9999999?integrated_account_id=${accountId}`)).body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
  });

  it('a wrong communication-user password is our 502 SWY_ERR_PROVIDER_UNAUTHORIZED; a 429 passes through', async () => {
    const wrong = await connect('not-the-password');
    expect((await get(`/unified/accounting/contacts?integrated_account_id=${wrong}`)).body).toMatchObject({ status: 502, code: 'SWY_ERR_PROVIDER_UNAUTHORIZED' });
    s4.state.throttleNext(1);
    const throttled = await get(`/unified/accounting/contacts?integrated_account_id=${accountId}`);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'sap-s4hana' });
  });

  it('keeps the communication user’s password out of the logs', () => {
    const all = logs.join('');
    for (const secret of [user.password, Buffer.from(`${user.name}:${user.password}`).toString('base64'), apiKey]) expect(all).not.toContain(secret);
  });
});
