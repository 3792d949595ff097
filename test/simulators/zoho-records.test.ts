import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZohoApi, type ZohoApi } from './zoho-api.js';

/** The records API as documented: fields required, per_page ≤ 200, page stops at 2 000 records, page_token beyond, 304 when unchanged. */
describe('Zoho CRM records simulator', () => {
  let zoho: ZohoApi;
  let token: string;
  beforeAll(async () => {
    zoho = await startZohoApi();
    zoho.crm.records.Contacts.clear();
    for (let i = 0; i < 2_100; i++) zoho.crm.records.Contacts.set(`c${i}`, { id: `c${i}`, Last_Name: `L${i}`, Modified_Time: '2026-04-01T09:00:00+00:00' });
    token = zoho.oauth.issue().access_token;
  });
  afterAll(() => zoho.close());

  // The single valid request: negative cases change one thing.
  const list = (query: string, headers: Record<string, string> = {}) => fetch(`${zoho.url}/crm/v8/Contacts?${query}`, { headers: { authorization: `Zoho-oauthtoken ${token}`, ...headers } });

  it('answers a page with info.next_page_token, and refuses a request without fields or with per_page over 200', async () => {
    const page = await list('fields=Last_Name&per_page=200');
    expect(page.status).toBe(200);
    const body = (await page.json()) as { data: unknown[]; info: { more_records: boolean; next_page_token: string } };
    expect(body.data).toHaveLength(200);
    expect(body.info.more_records).toBe(true);
    expect(await (await list('per_page=200')).json()).toMatchObject({ code: 'REQUIRED_PARAM_MISSING', details: { param: 'fields' } });
    expect((await list('fields=Last_Name&per_page=201')).status).toBe(400);
  });

  it('stops page at 2 000 records; page_token reaches past them', async () => {
    expect(await (await list('fields=Last_Name&per_page=200&page=11')).json()).toMatchObject({ code: 'DISCRETE_PAGINATION_LIMIT_EXCEEDED' });
    let next: string | null = null;
    let seen = 0;
    do {
      const body = (await (await list(`fields=Last_Name&per_page=200${next ? `&page_token=${next}` : ''}`)).json()) as { data: unknown[]; info: { next_page_token: string | null } };
      seen += body.data.length;
      next = body.info.next_page_token;
    } while (next);
    expect(seen).toBe(2_100);
  });

  it('answers 304 when nothing changed since If-Modified-Since', async () => {
    expect((await list('fields=Last_Name', { 'if-modified-since': '2026-05-01T00:00:00+00:00' })).status).toBe(304);
    expect((await list('fields=Last_Name', { 'if-modified-since': '2026-03-01T00:00:00+00:00' })).status).toBe(200);
  });
});
