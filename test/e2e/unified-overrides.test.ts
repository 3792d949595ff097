/**
 * Overrides of API mappings (issue 16): a tenant reshapes what the unified API answers — the `map`,
 * `query`, `records`, `body` expressions and the list filters of a resource — base ▸ environment ▸
 * account, with history, rollback and preview, exactly as webhook mappings are overridden. Through two
 * real hubs (replicas on one nats-server) against the BambooHR simulator.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { eventually } from '../harness/wait.js';
import { startBambooHrApi, type BambooHrApi } from '../simulators/bamboohr-api.js';

/** Adds `custom_fields.team` (from BambooHR's department) and drops `department`; display name reordered. */
const ENV_MAP = `{ "remote_id": $string(id), "first_name": firstName, "last_name": lastName, "display_name": lastName & ", " & firstName, "custom_fields": { "team": department } }`;
/** An account's own list map on top. */
const ACCOUNT_MAP = `{ "remote_id": $string(id), "first_name": $uppercase(firstName) }`;
/** One native step no evaluation budget can interrupt (twenty million regex replacements): only the sandbox stops it. */
const ONE_LONG_STEP = `$length($replace($pad('', 20000000, 'a'), /a/, 'b'))`;

describe('overrides of API mappings', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let replica: TestHub;
  let bamboo: BambooHrApi;

  interface Tenant {
    apiKey: string;
    accounts: string[];
  }
  const tenant = async (accounts = 1): Promise<Tenant> => {
    const { apiKey } = await hub.createEnvironment('overrides');
    const ids: string[] = [];
    for (let i = 0; i < accounts; i++) {
      const created = await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: 'bamboohr', credentials: { api_key: 'bamboo-key' }, config: { subdomain: 'acme', base_url: `${bamboo.url}/api` } } });
      expect(created.status).toBe(201);
      ids.push(created.body.id as string);
    }
    return { apiKey, accounts: ids };
  };
  const call = (t: Tenant, method: string, path: string, body?: unknown, on: TestHub = hub) => on.call(method, path, { token: t.apiKey, body });
  const list = (t: Tenant, account: string, on: TestHub = hub, extra = '') => call(t, 'GET', `/unified/hris/employees?integrated_account_id=${account}&limit=3${extra}`, undefined, on);
  const getOne = (t: Tenant, account: string, id: string) => call(t, 'GET', `/unified/hris/employees/${id}?integrated_account_id=${account}`);
  const override = (t: Tenant, api: unknown, path = '/v1/mappings/bamboohr') => call(t, 'PUT', path, { api: { resources: { 'hris/employees': api } } });
  const first = () => bamboo.state.employees[0]!;

  beforeAll(async () => {
    nats = await startTestNats();
    const shared = { SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SWITCHYARD_ADMIN_TOKEN: randomBytes(24).toString('hex'), SWITCHYARD_TENANT_MAPPING_TIMEOUT_MS: '1000' };
    hub = await startTestHub(nats.url, shared);
    replica = await startTestHub(nats.url, shared);
    bamboo = await startBambooHrApi({ employees: 12, today: new Date('2026-11-22T00:00:00Z') });
  });
  afterAll(async () => {
    await bamboo?.close();
    await replica?.close();
    await hub?.close();
    await nats?.stop();
  });

  it("an environment's override of the list and get maps shows in the next list and get, on every replica", async () => {
    const t = await tenant();
    const [account] = t.accounts as [string];
    const before = await list(t, account);
    expect(before.body.result[0]).toMatchObject({ remote_id: first().id, department: first().department, display_name: first().displayName });
    expect(before.body.result[0].custom_fields).not.toHaveProperty('team');

    const put = await override(t, { list: { map: ENV_MAP }, get: { map: ENV_MAP } });
    expect(put.status).toBe(200);
    expect(put.body.api.resources['hris/employees'].list.map).toBe(ENV_MAP);
    const expected = { remote_id: first().id, first_name: first().firstName, display_name: `${first().lastName}, ${first().firstName}`, custom_fields: { team: first().department } };
    const after = await list(t, account);
    expect(after.status).toBe(200);
    expect(after.body.result[0]).toMatchObject(expected);
    expect(after.body.result[0]).not.toHaveProperty('department');
    // The stable id does not depend on the mapping: the same record keeps its id.
    expect(after.body.result[0].id).toBe(before.body.result[0].id);
    const one = await getOne(t, account, first().id);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject(expected);
    // The other replica learns of the change through the KV watch, without a restart.
    await eventually('the replica to apply the override', async () => (await list(t, account, replica)).body.result?.[0]?.custom_fields?.team === first().department);
  });

  it("an account's override wins for that account only; another account of the environment keeps the environment's, another environment the base", async () => {
    const t = await tenant(2);
    const [mine, sibling] = t.accounts as [string, string];
    const stranger = await tenant();
    expect((await override(t, { list: { map: ENV_MAP }, get: { map: ENV_MAP } })).status).toBe(200);
    const own = await override(t, { list: { map: ACCOUNT_MAP } }, `/v1/mappings/bamboohr/accounts/${mine}`);
    expect(own.status).toBe(200);
    expect(own.body.level).toBe('account');

    const mineList = (await list(t, mine)).body.result[0];
    expect(mineList).toMatchObject({ remote_id: first().id, first_name: first().firstName!.toUpperCase() });
    expect(mineList).not.toHaveProperty('custom_fields');
    // Only its list map was overridden: its get still follows the environment.
    expect((await getOne(t, mine, first().id)).body).toMatchObject({ custom_fields: { team: first().department } });
    expect((await list(t, sibling)).body.result[0]).toMatchObject({ first_name: first().firstName, custom_fields: { team: first().department } });
    expect((await list(stranger, stranger.accounts[0]!)).body.result[0]).toMatchObject({ first_name: first().firstName, department: first().department });
  });

  it('history and rollback restore an earlier revision and the unified answer follows; DELETE brings the base back', async () => {
    const t = await tenant();
    const [account] = t.accounts as [string];
    const r1 = (await override(t, { list: { map: ENV_MAP } })).body.revision as number;
    const r2 = (await override(t, { list: { map: ACCOUNT_MAP } })).body.revision as number;
    expect(r2).toBeGreaterThan(r1);
    expect((await list(t, account)).body.result[0].first_name).toBe(first().firstName!.toUpperCase());

    const history = await call(t, 'GET', '/v1/mappings/bamboohr/history');
    expect(history.body.data.map((r: { revision: number }) => r.revision)).toEqual([r1, r2]);
    expect(history.body.data[0].document.api.resources['hris/employees'].list.map).toBe(ENV_MAP);

    const rolled = await call(t, 'POST', '/v1/mappings/bamboohr/rollback', { revision: r1 });
    expect(rolled.status).toBe(200);
    expect(rolled.body.rolled_back_to).toBe(r1);
    expect((await list(t, account)).body.result[0]).toMatchObject({ first_name: first().firstName, custom_fields: { team: first().department } });

    expect((await call(t, 'DELETE', '/v1/mappings/bamboohr')).status).toBe(204);
    const base = (await list(t, account)).body.result[0];
    expect(base).toMatchObject({ first_name: first().firstName, department: first().department, display_name: first().displayName });
    expect((await call(t, 'GET', '/v1/mappings/bamboohr?level=override')).status).toBe(404);
  });

  it('null in an api override removes that part of the override, never the base expression', async () => {
    const t = await tenant();
    const [account] = t.accounts as [string];
    expect((await override(t, { list: { map: ENV_MAP }, get: { map: ENV_MAP } })).status).toBe(200);
    const cleared = await override(t, { list: { map: null } });
    expect(cleared.status).toBe(200);
    expect((await call(t, 'GET', '/v1/mappings/bamboohr?level=override')).body.api.resources['hris/employees']).toEqual({ get: { map: ENV_MAP } });
    expect((await list(t, account)).body.result[0]).toMatchObject({ department: first().department });
    expect((await getOne(t, account, first().id)).body).toMatchObject({ custom_fields: { team: first().department } });
  });

  it('overridden filters and query: a declared filter reaches the provider, an undeclared one does not', async () => {
    const t = await tenant();
    const [account] = t.accounts as [string];
    const route = 'GET /v1/employees/directory';
    await list(t, account, hub, '&status=Active');
    expect(bamboo.state.lastQuery[route]).not.toHaveProperty('status');
    expect((await override(t, { list: { query: '{"status": input.filters.status}' }, filters: ['status'] })).status).toBe(200);
    expect((await list(t, account, hub, '&status=Active')).status).toBe(200);
    expect(bamboo.state.lastQuery[route]).toMatchObject({ status: 'Active' });
  });

  it("a hostile override fails that tenant's calls with the sandbox's code; other tenants and its other operations are answered", async () => {
    const hostile = await tenant();
    const other = await tenant();
    // It compiles, so it is stored: what it costs shows only when it runs.
    expect((await override(hostile, { list: { map: ONE_LONG_STEP } })).status).toBe(200);
    const stuck = list(hostile, hostile.accounts[0]!);
    const meanwhile = await list(other, other.accounts[0]!);
    expect(meanwhile.status).toBe(200);
    expect(meanwhile.body.result[0]).toMatchObject({ remote_id: first().id, department: first().department });
    const failed = await stuck;
    expect(failed.status).toBe(422);
    expect(failed.body.code).toBe('SWY_ERR_MAPPING_TIMEOUT');
    // Its get map is the shipped one, evaluated in-process as before.
    expect((await getOne(hostile, hostile.accounts[0]!, first().id)).body).toMatchObject({ remote_id: first().id, department: first().department });
    // The hub itself keeps answering.
    expect((await fetch(`${hub.url}/healthz`)).status).toBeLessThan(500);
  });

  it('refuses an override naming path, method, headers or auth, an unknown resource or operation, and an expression that does not compile — storing nothing', async () => {
    const t = await tenant();
    const [account] = t.accounts as [string];
    const refusals: Array<[unknown, string]> = [
      [{ api: { resources: { 'hris/employees': { list: { path: '/v1/meta/users' } } } } }, 'api.resources.hris/employees.list.path'],
      [{ api: { resources: { 'hris/employees': { get: { method: 'DELETE' } } } } }, 'api.resources.hris/employees.get.method'],
      [{ api: { resources: { 'hris/employees': { list: { headers: { authorization: 'Basic x' } } } } } }, 'api.resources.hris/employees.list.headers'],
      [{ api: { resources: { 'hris/employees': { auth: { type: 'basic' } } } } }, 'api.resources.hris/employees.auth'],
      [{ api: { base_url: 'https://attacker.example', resources: {} } }, 'api.base_url'],
      [{ api: { resources: { 'hris/employees': { delete: { map: '{}' } } } } }, 'api.resources.hris/employees.delete'],
      [{ api: { resources: { 'crm/contacts': { list: { map: '{}' } } } } }, 'api.resources.crm/contacts'],
    ];
    for (const [body, path] of refusals) {
      const refused = await call(t, 'PUT', '/v1/mappings/bamboohr', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.code).toBe('SWY_ERR_VALIDATION');
      expect(refused.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const broken = await override(t, { list: { map: '{"remote_id": ' } });
    expect(broken.status).toBe(422);
    expect(broken.body.code).toBe('SWY_ERR_MAPPING_FAILED');
    expect(broken.body.detail).toContain('api.resources.hris/employees.list.map');
    expect((await call(t, 'GET', '/v1/mappings/bamboohr?level=override')).status).toBe(404);
    expect((await list(t, account)).body.result[0]).toMatchObject({ department: first().department });
  });

  it('overrides the API mapping of a provider that has no webhooks (SAP S/4HANA), and refuses a webhook section for it', async () => {
    const t = await tenant(0);
    const map = '{"remote_id": BusinessPartner, "name": BusinessPartnerFullName}';
    const put = await call(t, 'PUT', '/v1/mappings/sap-s4hana', { api: { resources: { 'accounting/contacts': { get: { map } } } } });
    expect(put.status).toBe(200);
    expect(put.body).not.toHaveProperty('webhook');
    expect(put.body.api.resources['accounting/contacts'].get.map).toBe(map);
    expect(put.body.revisions.environment).toBe(put.body.revision);
    const webhook = await call(t, 'PUT', '/v1/mappings/sap-s4hana', { webhook: { mapping: '[]' } });
    expect(webhook.body.code).toBe('SWY_ERR_MAPPING_MISSING');
    expect((await call(t, 'GET', '/v1/mappings/sap-s4hana?level=override')).body.api.resources['accounting/contacts']).toEqual({ get: { map } });
  });

  it('previews an API mapping: the unified record a provider record becomes, resolved or given, calling and publishing nothing', async () => {
    const t = await tenant(2);
    const [mine, sibling] = t.accounts as [string, string];
    expect((await override(t, { list: { map: ENV_MAP } })).status).toBe(200);
    expect((await override(t, { list: { map: ACCOUNT_MAP } }, `/v1/mappings/bamboohr/accounts/${mine}`)).status).toBe(200);
    const record = { id: '777', firstName: 'Zoe', lastName: 'Quinn', displayName: 'Zoe Quinn', department: 'Research' };
    const calls = JSON.stringify(bamboo.state.requests);
    const preview = (body: Record<string, unknown>) => call(t, 'POST', '/v1/mappings/preview/api', { provider: 'bamboohr', resource: 'hris/employees', operation: 'list', record, ...body });

    const envLevel = await preview({});
    expect(envLevel.status).toBe(200);
    expect(envLevel.body.result).toMatchObject({ remote_id: '777', display_name: 'Quinn, Zoe', custom_fields: { team: 'Research' }, id: expect.stringMatching(/^rec_/) });
    expect((await preview({ integrated_account_id: mine })).body.result).toMatchObject({ remote_id: '777', first_name: 'ZOE' });
    expect((await preview({ integrated_account_id: sibling })).body.result).toMatchObject({ custom_fields: { team: 'Research' } });
    // The get operation has no override here: the shipped map.
    expect((await preview({ operation: 'get' })).body.result).toMatchObject({ department: 'Research', display_name: 'Zoe Quinn' });
    expect((await preview({ mapping: '{"remote_id": id, "job_title": "Dr. " & lastName}' })).body.result).toMatchObject({ remote_id: '777', job_title: 'Dr. Quinn' });
    // A mapping whose record lacks a remote_id, and a hostile one, are answered with their codes.
    expect((await preview({ mapping: '{"first_name": firstName}' })).body.code).toBe('SWY_ERR_MAPPING_FAILED');
    expect((await preview({ mapping: ONE_LONG_STEP })).body.code).toBe('SWY_ERR_MAPPING_TIMEOUT');
    expect((await preview({ resource: 'crm/contacts' })).body.code).toBe('SWY_ERR_RESOURCE_UNSUPPORTED');
    expect((await preview({ record: undefined })).status).toBe(400);
    // The existing webhook preview keeps its body and answer.
    const webhook = await call(t, 'POST', '/v1/mappings/preview', { provider: 'bamboohr', payload: { type: 'employee.updated', timestamp: '2026-01-31T18:42:00+0000', data: { companyId: '1', employeeId: '9', changedFields: [] } } });
    expect(webhook.status).toBe(200);
    expect(webhook.body.events[0]).toMatchObject({ record_id: '9' });

    expect(JSON.stringify(bamboo.state.requests)).toBe(calls);
    // Only the accounts' own lifecycle events: no unified record was published.
    expect((await call(t, 'GET', '/v1/events')).body.data.map((e: { type: string }) => e.type)).toEqual(['integrated_account:created', 'integrated_account:created']);
  });
});
