import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDataverseApi, type DataverseApi } from './dataverse-api.js';

type Page = { '@odata.context': string; '@odata.nextLink'?: string; '@odata.count'?: number; value: Array<Record<string, unknown>> };

describe('Dataverse Web API simulator', () => {
  let dv: DataverseApi;
  beforeEach(async () => {
    dv = await startDataverseApi();
  });
  afterEach(() => dv.close());

  // The single valid request builder: negative cases change one thing.
  const call = (url: string, init: { token?: string; pageSize?: number } = {}) =>
    fetch(url.startsWith('http') ? url : `${dv.url}${url}`, {
      headers: {
        authorization: `Bearer ${init.token ?? 'dv-access-token'}`,
        accept: 'application/json',
        'OData-Version': '4.0',
        ...(init.pageSize ? { prefer: `odata.maxpagesize=${init.pageSize}` } : {}),
      },
    });

  /** Follows `@odata.nextLink`, sending the page-size preference again each time as Dataverse requires. */
  async function walk(path: string, pageSize: number): Promise<Page[]> {
    const pages: Page[] = [];
    for (let url: string | undefined = path; url; ) {
      const res = await call(url, { pageSize });
      expect(res.status).toBe(200);
      expect(res.headers.get('preference-applied')).toBe(`odata.maxpagesize=${pageSize}`);
      const page = (await res.json()) as Page;
      pages.push(page);
      url = page['@odata.nextLink'];
      if (url) expect(url.startsWith(`${dv.url}/api/data/v9.2/contacts?`)).toBe(true);
    }
    return pages;
  }

  it('walks contacts to the end by absolute @odata.nextLink with no gaps or repeats', async () => {
    const pages = await walk('/api/data/v9.2/contacts?$select=contactid,firstname,lastname,emailaddress1,modifiedon', 40);
    expect(pages.map((p) => p.value.length)).toEqual([40, 40, 40, 40, 40, 40, 10]);
    const ids = pages.flatMap((p) => p.value.map((c) => String(c.contactid)));
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual([...dv.state.contacts.keys()].sort());
    const first = pages[0]!;
    expect(first['@odata.context']).toBe(`${dv.url}/api/data/v9.2/$metadata#contacts(contactid,firstname,lastname,emailaddress1,modifiedon)`);
    expect(Object.keys(first.value[0]!)).toEqual(['@odata.etag', 'contactid', 'firstname', 'lastname', 'emailaddress1', 'modifiedon']);
    expect(first.value[0]!['@odata.etag']).toMatch(/^W\/"\d+"$/);
    expect(first['@odata.nextLink']).toContain('$skiptoken=%3Ccookie%20pagenumber%3D%222%22');
    expect(dv.state.requests['GET /api/data/:version/:segment']).toBe(7);
  });

  it('pages a filtered, ordered query stably even when a row is added mid-walk', async () => {
    const path = `/api/data/v9.2/contacts?$select=lastname,modifiedon&$filter=modifiedon ge 2024-01-02T00:00:00Z&$orderby=modifiedon desc&$count=true`;
    const first = (await (await call(path, { pageSize: 50 })).json()) as Page;
    expect(first['@odata.count']).toBe(250 - Math.ceil((24 * 60) / 11) + 1);
    expect(first.value[0]).toMatchObject({ lastname: 'Contact250' });
    // A row that sorts before the cursor must not shift the following pages.
    dv.state.contacts.set('ffffffff-0000-0000-0000-000000000000', { ...dv.state.contacts.values().next().value!, contactid: 'ffffffff-0000-0000-0000-000000000000', modifiedon: '2030-01-01T00:00:00Z' });
    const rest = await walk(first['@odata.nextLink']!, 50);
    const names = [...first.value, ...rest.flatMap((p) => p.value)].map((c) => c.lastname);
    expect(names).toEqual(Array.from({ length: 250 - 130 }, (_, i) => `Contact${250 - i}`));
    const top = (await (await call('/api/data/v9.2/contacts?$top=5', { pageSize: 2 })).json()) as Page;
    expect(top.value).toHaveLength(5);
    expect(top).not.toHaveProperty('@odata.nextLink');
  });

  it('reads one contact and answers OData errors', async () => {
    const id = [...dv.state.contacts.keys()][0]!;
    const one = await call(`/api/data/v9.2/contacts(${id})?$select=firstname`);
    expect(one.headers.get('content-type')).toBe('application/json; odata.metadata=minimal');
    expect(await one.json()).toMatchObject({ '@odata.context': `${dv.url}/api/data/v9.2/$metadata#contacts(firstname)/$entity`, contactid: id, firstname: expect.any(String) });
    const missing = await call('/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001)');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: '0x80040217', message: 'contact With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist' } });
    const badColumn = await call('/api/data/v9.2/contacts?$select=shoesize');
    expect(badColumn.status).toBe(400);
    expect(await badColumn.json()).toEqual({ error: { code: '0x80060888', message: "Could not find a property named 'shoesize' on type 'Microsoft.Dynamics.CRM.contact'." } });
    expect((await call('/api/data/v9.2/widgets')).status).toBe(404);
  });

  it('refuses a missing or unknown bearer token with 401 and an Entra challenge', async () => {
    for (const res of [await call('/api/data/v9.2/contacts', { token: 'stale' }), await fetch(`${dv.url}/api/data/v9.2/contacts`)]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\/[\w-]+\/oauth2\/authorize, resource_id=/);
      expect(await res.text()).toBe('');
    }
  });

  it('throttleNext answers 429 with Retry-After and the service-protection error, then recovers', async () => {
    dv.state.throttleNext(1, { retryAfterS: 7 });
    const res = await call('/api/data/v9.2/contacts', { pageSize: 10 });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ error: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' } });
    dv.state.throttleNext(1, { limit: 'concurrency' });
    const concurrent = await call('/api/data/v9.2/contacts');
    expect(concurrent.headers.get('retry-after')).toBe('5');
    expect(await concurrent.json()).toEqual({ error: { code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 52.' } });
    const ok = await call('/api/data/v9.2/contacts', { pageSize: 10 });
    expect(ok.status).toBe(200);
    expect(Number(ok.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests'))).toBe(6_000 - 3);
  });
});
