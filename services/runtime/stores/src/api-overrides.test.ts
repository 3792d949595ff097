import { beforeAll, describe, expect, it } from 'vitest';
import { MappingOverride, SwitchyardError, type ApiResource } from '@switchyard/contracts';
import { MappingEngine, ProviderCatalog, type LoadedProvider } from '@switchyard/mapping';
import { pruneApiNulls, resolveApiResource, validateApiOverride, type ApiOverrideSection } from './api-overrides.js';

/** Validation and resolution of `api` overrides against the shipped BambooHR definition. */
describe('API mapping overrides', () => {
  const engine = new MappingEngine();
  let bamboo: LoadedProvider;
  let employees: ApiResource;
  const validate = (section: ApiOverrideSection) => validateApiOverride('bamboohr', bamboo.definition.api, section, (name, source) => engine.compile(name, source));
  const refusal = (section: ApiOverrideSection): SwitchyardError => {
    try {
      validate(section);
    } catch (error) {
      return error as SwitchyardError;
    }
    throw new Error('the override was accepted');
  };

  beforeAll(async () => {
    bamboo = (await ProviderCatalog.load(undefined, engine)).get('bamboohr')!;
    employees = bamboo.definition.api!.resources['hris/employees']!;
  });

  it('accepts expressions and filters of operations the provider has', () => {
    expect(() => validate({ resources: { 'hris/employees': { list: { map: '{"remote_id": $string(id)}' }, get: { query: '{}' }, update: { body: '{}' }, filters: ['status'] } } })).not.toThrow();
  });

  it('refuses a resource the provider does not back, naming its path', () => {
    const error = refusal({ resources: { 'crm/contacts': { list: { map: '{}' } } } });
    expect(error.code).toBe('SWY_ERR_VALIDATION');
    expect(error.message).toContain('api.resources.crm/contacts');
  });

  it('refuses an operation the base does not have', () => {
    // BambooHR's definition without its list: the override of list has nothing to override.
    const noList = { ...bamboo.definition.api!, resources: { 'hris/employees': { ...employees, list: undefined } } };
    let error: SwitchyardError | undefined;
    try {
      validateApiOverride('bamboohr', noList, { resources: { 'hris/employees': { list: { map: '{}' } } } }, (name, source) => engine.compile(name, source));
    } catch (caught) {
      error = caught as SwitchyardError;
    }
    expect(error?.code).toBe('SWY_ERR_VALIDATION');
    expect(error?.message).toContain('api.resources.hris/employees.list');
  });

  it('refuses an expression that does not compile with the compile error, naming the field', () => {
    const error = refusal({ resources: { 'hris/employees': { get: { map: '{"remote_id": ' } } } });
    expect(error.code).toBe('SWY_ERR_MAPPING_FAILED');
    expect(error.message).toContain('api.resources.hris/employees.get.map');
  });

  it('the contract refuses path, method, headers and auth anywhere in an api override', () => {
    for (const body of [
      { api: { resources: { 'hris/employees': { list: { path: '/steal' } } } } },
      { api: { resources: { 'hris/employees': { get: { method: 'DELETE' } } } } },
      { api: { resources: { 'hris/employees': { list: { headers: { authorization: 'x' } } } } } },
      { api: { base_url: 'https://evil.example', resources: {} } },
      { api: { resources: { 'hris/employees': { auth: { type: 'basic' } } } } },
      { api: { resources: { 'hris/employees': { create: { remote_id: '1' } } } } },
      { api: { resources: { 'hris/employees': { filters: ['cursor'] } } } },
    ]) {
      expect(MappingOverride.safeParse(body).success, JSON.stringify(body)).toBe(false);
    }
    expect(MappingOverride.safeParse({ api: { resources: { 'hris/employees': { list: { map: '{}' }, filters: ['status'] } } } }).success).toBe(true);
  });

  it('resolves base ▸ environment ▸ account, taking only expressions and filters, and says which are the tenant’s', () => {
    const env = { resources: { 'hris/employees': { list: { map: 'env', query: 'envq' }, filters: ['status'] } } };
    const account = { resources: { 'hris/employees': { list: { map: 'account' } } } };
    const resolved = resolveApiResource('hris/employees', employees, [env, account], { environment: 3, account: 5 });
    expect(resolved.resource.list).toMatchObject({ map: 'account', query: 'envq', records: employees.list!.records, path: employees.list!.path });
    expect(resolved.resource.get).toEqual(employees.get);
    expect(resolved.resource.filters).toEqual(['status']);
    expect([...resolved.tenantWritten].sort()).toEqual(['list.map', 'list.query']);
    expect(resolved.revisions).toEqual({ environment: 3, account: 5 });
    // A stored document can only ever hold what the contract allows; even if it held more, it is not taken.
    const smuggled = { resources: { 'hris/employees': { list: { path: '/elsewhere', method: 'POST', map: 'x' } } } } as unknown as ApiOverrideSection;
    expect(resolveApiResource('hris/employees', employees, [smuggled], { environment: 1, account: null }).resource.list).toMatchObject({ path: employees.list!.path, method: 'GET', map: 'x' });
    // An account that sets the base text back runs the shipped expression again.
    const back = resolveApiResource('hris/employees', employees, [env, { resources: { 'hris/employees': { list: { map: employees.list!.map! } } } }], { environment: 3, account: 6 });
    expect([...back.tenantWritten]).toEqual(['list.query']);
    expect(employees.list!.map).not.toBe('env');
  });

  it('drops nulls after a merge, so null removes part of the override and never a base expression', () => {
    expect(pruneApiNulls({ resources: { 'hris/employees': { list: { map: null, query: 'q' }, get: null } } })).toEqual({ resources: { 'hris/employees': { list: { query: 'q' } } } });
    expect(pruneApiNulls({ resources: { 'hris/employees': { list: { map: null } } } })).toBeUndefined();
  });
});
