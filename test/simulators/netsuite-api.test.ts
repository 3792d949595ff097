import * as providerAuth from '@switchyard/provider-auth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NETSUITE_TEST_CREDENTIALS, startNetSuiteApi, type NetSuiteApi } from './netsuite-api.js';

type Page = { links: Array<{ rel: string; href: string }>; count: number; hasMore: boolean; offset: number; totalResults: number; items: Array<Record<string, unknown>> };

const INVALID_LOGIN = {
  type: 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2',
  title: 'Unauthorized',
  status: 401,
  'o:errorDetails': [
    { detail: 'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.', 'o:errorCode': 'INVALID_LOGIN' },
  ],
};
const TOO_MANY = {
  type: 'https://www.rfc-editor.org/rfc/rfc6585.html#section-4',
  title: 'Too Many Requests',
  status: 429,
  'o:errorDetails': [{ detail: 'Concurrent request limit exceeded. Request blocked.', 'o:errorCode': 'SSS_REQUEST_LIMIT_EXCEEDED' }],
};

describe('NetSuite REST simulator', () => {
  let ns: NetSuiteApi;
  beforeEach(async () => {
    ns = await startNetSuiteApi();
  });
  afterEach(() => ns.close());

  /** The single valid request builder: TBA-signed with the account's credentials; negative cases change one thing. */
  const call = (
    url: string,
    init: { method?: string; body?: unknown; credentials?: providerAuth.OAuth1Credentials; signUrl?: string; nonce?: string; headers?: Record<string, string> } = {},
  ) => {
    const method = init.method ?? 'GET';
    const signed = providerAuth.signOAuth1({ method, url: init.signUrl ?? url }, init.credentials ?? NETSUITE_TEST_CREDENTIALS, init.nonce ? { nonce: init.nonce } : {});
    return fetch(url, {
      method,
      headers: { authorization: signed.authorization, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
  };
  const suiteql = (q: string, limit: number, offset = 0, headers: Record<string, string> = { prefer: 'transient' }) =>
    call(`${ns.url}/services/rest/query/v1/suiteql?limit=${limit}&offset=${offset}`, { method: 'POST', body: { q }, headers });

  async function walk(first: Response, next: (page: Page) => Promise<Response>): Promise<Page[]> {
    const pages: Page[] = [];
    for (let res = first; ; ) {
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      pages.push(page);
      expect(page.count).toBe(page.items.length);
      if (!page.hasMore) {
        expect(page.links.some((l) => l.rel === 'next')).toBe(false);
        return pages;
      }
      res = await next(page);
    }
  }

  it('walks the record service by its next links (offset/hasMore) with no gaps or repeats', async () => {
    const pages = await walk(await call(`${ns.url}/services/rest/record/v1/customer?limit=100`), (page) => call(page.links.find((l) => l.rel === 'next')!.href));
    expect(pages.map((p) => [p.offset, p.count, p.totalResults])).toEqual([[0, 100, 250], [100, 100, 250], [200, 50, 250]]);
    const ids = pages.flatMap((p) => p.items.map((i) => String(i.id)));
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => String(101 + i)));
    const item = pages[0]!.items[0] as { id: string; links: Array<{ rel: string; href: string }> };
    const record = await call(item.links[0]!.href);
    expect(record.headers.get('content-type')).toBe('application/vnd.oracle.resource+json; type=singular-resource');
    expect(await record.json()).toMatchObject({ id: '101', companyName: 'Customer 1 Ltd', email: 'billing1@example.com', lastModifiedDate: '2024-01-01T00:13:00Z' });
    const missing = await call(`${ns.url}/services/rest/record/v1/customer/99999`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 404, 'o:errorDetails': [{ 'o:errorCode': 'NONEXISTENT_ID' }] });
  });

  it('walks SuiteQL by offset until hasMore is false, answering as SuiteQL does', async () => {
    const q = `SELECT id, companyname, email, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD"T"HH24:MI:SS') AS modified FROM customer ORDER BY id`;
    const pages = await walk(await suiteql(q, 60), (page) => suiteql(q, 60, page.offset + page.count));
    expect(pages.map((p) => p.offset)).toEqual([0, 60, 120, 180, 240]);
    const rows = pages.flatMap((p) => p.items);
    expect(new Set(rows.map((r) => r.id)).size).toBe(250);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 250 }, (_, i) => String(101 + i)));
    expect(rows[0]).toEqual({ links: [], id: '101', companyname: 'Customer 1 Ltd', email: 'billing1@example.com', modified: '2024-01-01T00:13:00' });
    expect(rows[24]).not.toHaveProperty('email'); // SuiteQL leaves empty values out
    expect(ns.state.requests['POST /services/rest/query/v1/suiteql']).toBe(5);

    const recent = (await (await suiteql(`SELECT id, lastmodifieddate FROM customer WHERE lastmodifieddate > TO_TIMESTAMP('2024-01-02 00:00:00', 'YYYY-MM-DD HH24:MI:SS')`, 1000)).json()) as Page;
    expect(recent.totalResults).toBe(250 - Math.floor((24 * 60) / 13));
    expect(recent.items[0]).toMatchObject({ lastmodifieddate: '1/2/2024' });

    const bad = await suiteql('SELECT nope FROM customer', 10);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'INVALID_PARAMETER' }] });
    expect((await suiteql(q, 10, 0, {})).status).toBe(400); // no Prefer: transient
    expect((await suiteql(q, 1001)).status).toBe(400);
  });

  it('verifies the TBA signature and refuses bad ones with NetSuite 401 INVALID_LOGIN', async () => {
    const url = `${ns.url}/services/rest/record/v1/customer?limit=5`;
    expect((await call(url)).status).toBe(200);
    const refused = async (res: Response) => {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('OAuth realm="1234567_SB1", error="token_rejected", error_description="Invalid login attempt."');
      expect(await res.json()).toEqual(INVALID_LOGIN);
    };
    await refused(await call(url, { credentials: { ...NETSUITE_TEST_CREDENTIALS, tokenSecret: 'wrong-token-secret' } }));
    await refused(await call(url, { credentials: { ...NETSUITE_TEST_CREDENTIALS, consumerSecret: 'wrong' } }));
    await refused(await call(url, { credentials: { ...NETSUITE_TEST_CREDENTIALS, realm: '7654321' } }));
    await refused(await call(url, { signUrl: `${ns.url}/services/rest/record/v1/customer?limit=6` })); // query is signed
    await refused(await fetch(url));
    expect((await call(url, { nonce: 'once' })).status).toBe(200);
    await refused(await call(url, { nonce: 'once' })); // a replayed nonce
    // The realm is not part of the signature: NetSuite's base string and ours agree without it.
    const signed = providerAuth.signOAuth1({ method: 'GET', url }, { ...NETSUITE_TEST_CREDENTIALS, realm: undefined });
    const withRealm = signed.authorization.replace('OAuth ', 'OAuth realm="1234567_SB1", ');
    expect((await fetch(url, { headers: { authorization: withRealm } })).status).toBe(200);
  });

  it('throttleNext answers the documented 429 exactly, without Retry-After', async () => {
    ns.state.throttleNext(1);
    const res = await call(`${ns.url}/services/rest/record/v1/customer/101`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual(TOO_MANY);
    expect((await call(`${ns.url}/services/rest/record/v1/customer/101`)).status).toBe(200);
  });

  it('refuses requests beyond maxConcurrent in flight and reports peak concurrency', async () => {
    ns.state.maxConcurrent = 3;
    ns.state.latencyMs = 300;
    const results = await Promise.all(Array.from({ length: 8 }, () => call(`${ns.url}/services/rest/record/v1/customer/101`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    for (const r of results.filter((x) => x.status === 429)) expect(await r.json()).toEqual(TOO_MANY);
    expect(ns.state.peakConcurrency).toBe(3);
    expect(ns.state.concurrencyRejections).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the sockets report 'close'
    expect(ns.state.inFlight).toBe(0);
    // Within the cap nothing is refused.
    const again = await Promise.all(Array.from({ length: 3 }, () => call(`${ns.url}/services/rest/record/v1/customer/102`)));
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});
