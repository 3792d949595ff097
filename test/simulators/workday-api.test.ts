import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWorkdayApi, type WorkdayApi } from './workday-api.js';

const TENANT = 'acme';
const ISU = { username: 'ISU_Test@acme', password: 'pw' };

describe('Workday API simulator', () => {
  let wd: WorkdayApi;
  beforeEach(async () => {
    wd = await startWorkdayApi({ tenant: TENANT, ...ISU, bearer: 'wd-bearer', reportOwner: 'ISU_Test', report: 'Workers' });
  });
  afterEach(() => wd.close());

  const getWorkers = (criteria: { from?: string; through?: string; page?: number; count?: number; user?: string; password?: string }, headers: Record<string, string> = {}) => {
    const token = criteria.user === undefined && criteria.password === undefined && headers.authorization ? '' : `<wsse:Security xmlns:wsse="s"><wsse:UsernameToken><wsse:Username>${criteria.user ?? ISU.username}</wsse:Username><wsse:Password>${criteria.password ?? ISU.password}</wsse:Password></wsse:UsernameToken></wsse:Security>`;
    const range = criteria.from ? `<bsvc:Request_Criteria><bsvc:Transaction_Log_Criteria_Data><bsvc:Transaction_Date_Range_Data><bsvc:Updated_From>${criteria.from}</bsvc:Updated_From><bsvc:Updated_Through>${criteria.through}</bsvc:Updated_Through></bsvc:Transaction_Date_Range_Data></bsvc:Transaction_Log_Criteria_Data></bsvc:Request_Criteria>` : '';
    const body = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:bsvc="urn:com.workday/bsvc"><soapenv:Header>${token}</soapenv:Header><soapenv:Body><bsvc:Get_Workers_Request>${range}<bsvc:Response_Filter><bsvc:Page>${criteria.page ?? 1}</bsvc:Page><bsvc:Count>${criteria.count ?? 100}</bsvc:Count></bsvc:Response_Filter></bsvc:Get_Workers_Request></soapenv:Body></soapenv:Envelope>`;
    return fetch(`${wd.url}/ccx/service/${TENANT}/Human_Resources/v42.0`, { method: 'POST', headers: { 'content-type': 'text/xml', ...headers }, body });
  };
  const hire = (id: string) => wd.hire({ id, firstName: 'A', lastName: id, email: `${id}@acme.example`, title: 'Analyst', hireDate: '2026-01-01' });

  it('pages the workers of a transaction-log window, with Total_Pages, and leaves out those changed outside it', async () => {
    hire('1');
    await new Promise((r) => setTimeout(r, 5));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    for (const id of ['2', '3', '4']) hire(id);
    // Entry moments are strictly increasing, so successive hires may be stamped a millisecond ahead.
    await new Promise((r) => setTimeout(r, 5));
    const through = new Date().toISOString();
    const first = await (await getWorkers({ from: between, through, count: 2 })).text();
    expect(first).toContain('<wd:Total_Results>3</wd:Total_Results><wd:Total_Pages>2</wd:Total_Pages><wd:Page_Results>2</wd:Page_Results><wd:Page>1</wd:Page>');
    expect(first).not.toContain('<wd:Worker_ID>1</wd:Worker_ID>');
    const second = await (await getWorkers({ from: between, through, page: 2, count: 2 })).text();
    expect(second).toContain('<wd:Worker_ID>4</wd:Worker_ID>');
    expect(second).toContain('<wd:Page_Results>1</wd:Page_Results>');
  });

  it('answers a fault for a refused token, a malformed request and a window ending in the future; accepts a bearer token', async () => {
    const refused = await getWorkers({ password: 'wrong' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toContain('<faultcode>SOAP-ENV:Client.authenticationError</faultcode>');
    const garbage = await fetch(`${wd.url}/ccx/service/${TENANT}/Human_Resources/v42.0`, { method: 'POST', body: '<soapenv:Envelope><oops>' });
    expect(await garbage.text()).toContain('SOAP-ENV:Client.validationError');
    const future = await getWorkers({ from: new Date().toISOString(), through: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await future.text()).toContain('Updated Through must be less than or equal to Current Moment!');
    const bearer = await getWorkers({}, { authorization: 'Bearer wd-bearer' });
    expect(bearer.status).toBe(200);
  });

  it('serves the RaaS report as JSON with Basic auth, 401 otherwise, and throttles with Retry-After', async () => {
    hire('7');
    const basic = `Basic ${Buffer.from(`${ISU.username}:${ISU.password}`).toString('base64')}`;
    const report = await fetch(`${wd.url}/ccx/service/customreport2/${TENANT}/ISU_Test/Workers?format=json&Employee_ID=7`, { headers: { authorization: basic } });
    expect(await report.json()).toMatchObject({ Report_Entry: [{ Employee_ID: '7', Active_Status: '1', Terminated: '0' }] });
    expect((await fetch(`${wd.url}/ccx/service/customreport2/${TENANT}/ISU_Test/Workers?format=json`)).status).toBe(401);
    wd.throttle = 1;
    const throttled = await getWorkers({});
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '1']);
  });
});
