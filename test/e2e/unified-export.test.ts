import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlsOf, readExport, recordsOf, type ExportLine } from '../harness/export-stream.js';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { unifiedClient } from '../harness/unified-client.js';
import { startGustoApi, type GustoApi } from '../simulators/gusto-api.js';
import { startHubSpotApi, type HubSpotApi } from '../simulators/hubspot-api.js';

const CONTACTS = 1_050; // 11 pages of 100 (HubSpot's largest page)
const EMPLOYEES = 1_000; // 20 pages of 50, more than the hub's page bound below
const MAX_PAGES = 12;
const LIST = 'GET /crm/v3/objects/contacts';

/**
 * `GET /unified/{category}/{resource}?all=true` through the real hub against the HubSpot (cursor
 * pagination) and Gusto (page/per pagination) simulators: completeness and order, throttling waited
 * out, in-band failure with a resume cursor, the page bound, a client that leaves, a foreign cursor.
 */
describe('streamed unified export (?all=true)', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let hubspot: HubSpotApi;
  let gusto: GustoApi;
  let apiKey: string;
  let hs: string;
  let hsOther: string;
  let gu: string;

  const exportOf = (resource: string, account: string, query = '', onLine?: (line: ExportLine, index: number) => 'stop' | void) =>
    readExport(`${hub.url}/unified/${resource}?all=true${query}`, { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': account }, onLine);
  const contactIds = () => [...hubspot.state.objects.contacts.values()].map((o) => o.id);
  const listCalls = () => hubspot.state.calls.filter((c) => c.route === LIST);

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_EXPORT_MAX_PAGES: String(MAX_PAGES) });
    hubspot = await startHubSpotApi({ counts: { contacts: CONTACTS }, rateLimit: { max: 10_000, intervalMs: 10_000 } });
    gusto = await startGustoApi({ employees: EMPLOYEES });
    apiKey = (await hub.createEnvironment('export')).apiKey;
    const client = unifiedClient(hub, apiKey);
    hs = (await client.connect('hubspot', { access_token: 'pat-na1-simulator' }, { base_url: hubspot.url })).id;
    hsOther = (await client.connect('hubspot', { access_token: 'pat-na1-simulator' }, { base_url: hubspot.url })).id;
    gu = (await client.connect('gusto', { access_token: gusto.oauth.issue().access_token }, { company_uuid: gusto.state.companyUuid, base_url: gusto.url })).id;
  });
  afterAll(async () => {
    await hubspot?.close();
    await gusto?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('streams every HubSpot contact exactly once, in order, page by page, ending with the done line', async () => {
    const answer = await exportOf('crm/contacts', hs);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('application/x-ndjson');
    const records = recordsOf(answer.lines);
    expect(records.map((r) => r.remote_id)).toEqual(contactIds());
    expect(records[0]).toMatchObject({ remote_id: '1001', first_name: 'Ana', last_name: 'Tester0' });
    const controls = controlsOf(answer.lines);
    // A progress line after each of the first ten pages, counting what was sent, with a cursor for the next one.
    expect(controls.slice(0, -1).map((c) => c.progress.records)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(controls.slice(0, -1).every((c) => typeof c.progress.resume_cursor === 'string')).toBe(true);
    expect(answer.lines.at(-1)).toEqual({ _switchyard: { done: { records: CONTACTS, pages: 11 } } });
    // Each progress line sits right after its page's records.
    expect(answer.lines.findIndex((l) => '_switchyard' in l)).toBe(100);
    const metrics = await (await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${hub.metricsToken}` } })).text();
    expect(metrics).toContain(`switchyard_export_records_total{provider="hubspot",resource="crm/contacts"} ${CONTACTS}`);
    expect(metrics).toContain('switchyard_export_seconds_count{outcome="done"} 1');
  });

  it('walks Gusto page/per pages, ends at the page bound with a resume cursor, and resumes to the end', async () => {
    const first = await exportOf('hris/employees', gu, '&limit=50');
    expect(first.status).toBe(200);
    const last = first.lines.at(-1)!._switchyard;
    expect(last.error).toMatchObject({ code: 'SWY_ERR_EXPORT_LIMIT', records: MAX_PAGES * 50, pages: MAX_PAGES });
    expect(typeof last.resume_cursor).toBe('string');
    const rest = await exportOf('hris/employees', gu, `&limit=50&cursor=${encodeURIComponent(last.resume_cursor)}`);
    expect(rest.lines.at(-1)).toEqual({ _switchyard: { done: { records: EMPLOYEES - MAX_PAGES * 50, pages: 20 - MAX_PAGES } } });
    const ids = [...recordsOf(first.lines), ...recordsOf(rest.lines)].map((r) => r.remote_id);
    expect(ids).toEqual(gusto.state.employees.map((e) => e.uuid));
  });

  it('waits out a 429 with Retry-After in the middle of the walk and still delivers everything', async () => {
    const before = listCalls().length;
    hubspot.state.throttleNext(1, { after: 3, retryAfterS: 1 });
    const answer = await exportOf('crm/contacts', hs);
    expect(recordsOf(answer.lines).map((r) => r.remote_id)).toEqual(contactIds());
    expect(answer.lines.at(-1)).toEqual({ _switchyard: { done: { records: CONTACTS, pages: 11 } } });
    const calls = listCalls().slice(before);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 429, ...Array(8).fill(200)]);
    // The simulator saw the hub keep to the Retry-After before asking again.
    expect(calls[4]!.at - calls[3]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('reports a provider failure in-band with a resume cursor; resuming sends exactly the rest', async () => {
    hubspot.state.failNext(1, { after: 4 });
    const broken = await exportOf('crm/contacts', hs);
    expect(broken.status).toBe(200);
    const last = broken.lines.at(-1)!._switchyard;
    expect(last.error).toMatchObject({ code: 'SWY_ERR_PROVIDER_ERROR', provider_status: 500, records: 400, pages: 4 });
    const progress = controlsOf(broken.lines).filter((c) => c.progress);
    expect(last.resume_cursor).toBe(progress.at(-1).progress.resume_cursor);

    const rest = await exportOf('crm/contacts', hs, `&cursor=${encodeURIComponent(last.resume_cursor)}`);
    expect(rest.lines.at(-1)).toEqual({ _switchyard: { done: { records: CONTACTS - 400, pages: 7 } } });
    const union = [...recordsOf(broken.lines), ...recordsOf(rest.lines)].map((r) => r.remote_id);
    expect(union).toEqual(contactIds());
    expect(new Set(union).size).toBe(CONTACTS);
  });

  it('ends in-band with the Retry-After and a resume cursor when the provider asks for a longer wait than allowed', async () => {
    hubspot.state.throttleNext(1, { after: 2, retryAfterS: 120 }); // the hub waits at most 60 s at a time
    const answer = await exportOf('crm/contacts', hs);
    const last = answer.lines.at(-1)!._switchyard;
    expect(last.error).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'hubspot', retry_after_s: 120, records: 200, pages: 2 });
    expect(last.resume_cursor).toBe(controlsOf(answer.lines).at(-2).progress.resume_cursor);
  });

  it('answers a 429 problem, not a stream, when the first page is throttled beyond the budget', async () => {
    hubspot.state.throttleNext(1, { retryAfterS: 120 });
    const answer = await exportOf('crm/contacts', hs);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.problem).toMatchObject({ status: 429, code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider: 'hubspot', retry_after_s: 120 });
  });

  it('stops calling the provider once the client has left', async () => {
    const before = listCalls().length;
    // The second page is throttled for 2 s: a hub that kept going after the client left would ask again then.
    hubspot.state.throttleNext(1, { after: 1, retryAfterS: 2 });
    const answer = await exportOf('crm/contacts', hs, '', (_line, index) => (index === 10 ? 'stop' : undefined));
    expect(recordsOf(answer.lines)).toHaveLength(11);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    hubspot.state.throttleNext(0);
    // The first page, and at most the throttled second one if the hub asked before it noticed: never a third.
    const calls = listCalls().slice(before);
    expect(calls[0]!.status).toBe(200);
    expect(calls.slice(1).map((c) => c.status)).toEqual(calls.length === 1 ? [] : [429]);
  });

  it("refuses another account's cursor with a 400 problem before streaming anything", async () => {
    const page = await unifiedClient(hub, apiKey).get('/unified/crm/contacts?limit=100', hs);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const before = listCalls().length;
    const answer = await exportOf('crm/contacts', hsOther, `&cursor=${encodeURIComponent(page.body.next_cursor)}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.problem).toMatchObject({ status: 400, code: 'SWY_ERR_CURSOR_INVALID' });
    expect(listCalls().length).toBe(before);
  });

  it('refuses all= values other than true and false', async () => {
    const answer = await readExport(`${hub.url}/unified/crm/contacts?all=yes`, { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': hs });
    expect(answer.status).toBe(400);
    expect(answer.problem).toMatchObject({ code: 'SWY_ERR_VALIDATION' });
  });
});
