import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceApi, type SalesforceApi } from './salesforce-api.js';

type QueryPage = { totalSize: number; done: boolean; nextRecordsUrl?: string; records: Array<Record<string, unknown> & { attributes: { type: string; url: string } }> };

describe('Salesforce REST simulator', () => {
  let sf: SalesforceApi;
  beforeEach(async () => {
    sf = await startSalesforceApi();
  });
  afterEach(() => sf.close());

  // The single valid request builder: negative cases change one thing.
  const call = (path: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${sf.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? 'sf-access-token'}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
  const query = (soql: string, headers?: Record<string, string>) => call(`/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, headers ? { headers } : {});
  const usage = (res: Response) => Number(/api-usage=(\d+)\/15000/.exec(res.headers.get('sforce-limit-info') ?? '')?.[1]);

  async function walk(first: Response): Promise<{ ids: string[]; pages: QueryPage[]; usages: number[] }> {
    const pages: QueryPage[] = [];
    const usages: number[] = [];
    let res = first;
    for (;;) {
      expect(res.status).toBe(200);
      usages.push(usage(res));
      const page = (await res.json()) as QueryPage;
      pages.push(page);
      if (page.done) break;
      expect(page.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w+-\d+$/);
      res = await call(page.nextRecordsUrl!);
    }
    return { ids: pages.flatMap((p) => p.records.map((r) => String(r.Id))), pages, usages };
  }

  it('walks a SOQL query to the end through nextRecordsUrl with no gaps or repeats', async () => {
    const soql = 'SELECT Id, FirstName, LastName, Email, AccountId, Tier__c, LastModifiedDate FROM Contact ORDER BY Id';
    const { ids, pages, usages } = await walk(await query(soql));
    expect(pages).toHaveLength(3);
    expect(pages.every((p) => p.totalSize === 250 && p.records.length <= 100)).toBe(true);
    expect(pages.at(-1)).not.toHaveProperty('nextRecordsUrl');
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual([...sf.state.records.values()].filter((r) => r.type === 'Contact').map((r) => r.fields.Id).sort());
    const record = pages[0]!.records[0]!;
    expect(Object.keys(record)).toEqual(['attributes', 'Id', 'FirstName', 'LastName', 'Email', 'AccountId', 'Tier__c', 'LastModifiedDate']);
    expect(record.attributes).toEqual({ type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${String(record.Id)}` });
    expect(record.LastModifiedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
    expect(usages).toEqual([1, 2, 3]); // Sforce-Limit-Info counts every call
    expect(sf.state.requests).toMatchObject({ 'GET /services/data/:version/query': 1, 'GET /services/data/:version/query/:locator': 2 });
  });

  it('honours Sforce-Query-Options batchSize and SOQL filters', async () => {
    const big = await walk(await query('SELECT Id FROM Contact', { 'Sforce-Query-Options': 'batchSize=200' }));
    expect(big.pages.map((p) => p.records.length)).toEqual([200, 50]);
    const cut = [...sf.state.records.values()].find((r) => r.fields.LastName === 'Contact200')!.fields.LastModifiedDate as string;
    const recent = await walk(await query(`SELECT Id, LastName FROM contact WHERE LastModifiedDate > ${cut.replace('.000+0000', 'Z')} ORDER BY LastModifiedDate`));
    expect(recent.pages[0]!.totalSize).toBe(50);
    expect(recent.pages.flatMap((p) => p.records.map((r) => r.LastName))[0]).toBe('Contact201');
  });

  it('answers bad queries and locators with Salesforce error arrays', async () => {
    expect(await (await query('SELECT Nope FROM Contact')).json()).toEqual([expect.objectContaining({ errorCode: 'INVALID_FIELD' })]);
    expect(await (await query('SELECT Id FROM Widget')).json()).toEqual([expect.objectContaining({ errorCode: 'INVALID_TYPE' })]);
    expect(await (await query('DELETE Contact')).json()).toEqual([expect.objectContaining({ errorCode: 'MALFORMED_QUERY' })]);
    const locator = await call('/services/data/v62.0/query/01gDn0000000000000099-100');
    expect(locator.status).toBe(400);
    expect(await locator.json()).toEqual([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
  });

  it('refuses a missing or expired bearer token with 401 INVALID_SESSION_ID', async () => {
    const expected = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
    const bad = await call('/services/data/v62.0/sobjects/Contact/003Dn0000000001AAA', { token: 'not-a-token' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual(expected);
    sf.state.accessTokens.delete('sf-access-token'); // the session expires
    const expired = await query('SELECT Id FROM Contact');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual(expected);
  });

  it('throttleNext answers 403 REQUEST_LIMIT_EXCEEDED exactly, then recovers; reaching the allowance does too', async () => {
    sf.state.throttleNext(2);
    for (let i = 0; i < 2; i += 1) {
      const res = await query('SELECT Id FROM Contact');
      expect(res.status).toBe(403);
      expect(res.headers.get('sforce-limit-info')).toBe('api-usage=0/15000');
      expect(await res.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    }
    const ok = await query('SELECT Id FROM Contact');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('sforce-limit-info')).toBe('api-usage=1/15000');
    sf.state.apiUsage = 15_000;
    const spent = await query('SELECT Id FROM Contact');
    expect(spent.status).toBe(403);
    expect(await spent.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  });

  it('creates, reads, updates and deletes a Contact, validating as Salesforce does', async () => {
    const accountId = [...sf.state.records.values()].find((r) => r.type === 'Account')!.fields.Id as string;
    const path = '/services/data/v62.0/sobjects/Contact';
    const created = await call(path, { method: 'POST', body: { FirstName: 'Zoë', LastName: 'Quill', Email: 'zoe@example.com', AccountId: accountId, Tier__c: 'Gold' } });
    expect(created.status).toBe(201);
    const { id, success, errors } = (await created.json()) as { id: string; success: boolean; errors: unknown[] };
    expect({ success, errors }).toEqual({ success: true, errors: [] });
    expect(id).toMatch(/^003\w{15}$/);

    const read = (await (await call(`${path}/${id}`)).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ attributes: { type: 'Contact' }, Id: id, FirstName: 'Zoë', LastName: 'Quill', AccountId: accountId, Tier__c: 'Gold' });
    expect((await call(`${path}/${id}`, { method: 'PATCH', body: { Email: 'zoe.quill@example.com' } })).status).toBe(204);
    const updated = (await (await call(`${path}/${id}`)).json()) as Record<string, unknown>;
    expect(updated.Email).toBe('zoe.quill@example.com');
    expect(updated.LastModifiedDate! >= read.LastModifiedDate!).toBe(true);
    const found = (await (await query(`SELECT Id, Email FROM Contact WHERE Id = '${id}'`)).json()) as QueryPage;
    expect(found.records.map((r) => r.Email)).toEqual(['zoe.quill@example.com']);

    expect((await call(`${path}/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await call(`${path}/${id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual([{ message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED' }]);
    expect((await call(`${path}/003Dn0000999999AAA`)).status).toBe(404);

    const invalid = async (body: unknown, method = 'POST', target = path) => {
      const res = await call(target, { method, body });
      expect(res.status).toBe(400);
      return (await res.json()) as Array<{ errorCode: string; fields?: string[] }>;
    };
    expect(await invalid({ FirstName: 'No' })).toEqual([{ message: 'Required fields are missing: [LastName]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }]);
    expect((await invalid({ LastName: 'X', Shoe__c: 1 }))[0]!.errorCode).toBe('INVALID_FIELD');
    expect((await invalid({ LastName: 'X', Id: id }))[0]!.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect((await invalid({ LastName: 'X', Email: 'nope' }))[0]).toMatchObject({ errorCode: 'INVALID_EMAIL_ADDRESS', fields: ['Email'] });
    const seeded = [...sf.state.records.keys()].find((k) => k.startsWith('003'))!;
    expect((await invalid({ LastName: null }, 'PATCH', `${path}/${seeded}`))[0]!.errorCode).toBe('REQUIRED_FIELD_MISSING');

    const account = await call('/services/data/v62.0/sobjects/Account', { method: 'POST', body: { Name: 'Initech', Industry: 'Technology' } });
    expect(account.status).toBe(201);
    expect(((await account.json()) as { id: string }).id).toMatch(/^001/);
  });
});
