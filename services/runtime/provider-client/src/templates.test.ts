import { describe, expect, it } from 'vitest';
import { renderHeaders, renderTemplate } from './templates.js';

describe('renderHeaders: request values in declared headers', () => {
  const values = { config: { tenant: 'acme' }, input: { limit: 50, updated_after: '2026-05-01T00:00:00+02:00' }, id: '7' };

  it('fills {limit}, {updated_after}, {id} and {config.*} as given, unencoded', () => {
    const headers = renderHeaders({ Prefer: 'odata.maxpagesize={limit}', 'If-Modified-Since': '{updated_after}', 'X-Record': '{id}@{config.tenant}', Accept: 'application/json' }, values);
    expect(headers).toEqual({ Prefer: 'odata.maxpagesize=50', 'If-Modified-Since': '2026-05-01T00:00:00+02:00', 'X-Record': '7@acme', Accept: 'application/json' });
  });

  it('leaves out a header whose value this request does not have', () => {
    expect(renderHeaders({ 'If-Modified-Since': '{updated_after}', Prefer: 'odata.maxpagesize={limit}' }, { config: {}, input: { limit: 10 } })).toEqual({ Prefer: 'odata.maxpagesize=10' });
  });

  it('refuses a value that would split the header', () => {
    expect(() => renderHeaders({ 'X-Tenant': '{config.tenant}' }, { config: { tenant: 'a\r\nX-Evil: 1' }, input: {} })).toThrow(expect.objectContaining({ code: 'SWY_ERR_VALIDATION' }));
  });
});

describe('renderTemplate: path placeholders', () => {
  const config = { realm_id: '9341' };

  it('fills path_params placeholders, a params id replacing the record id, each value encoded as one segment', () => {
    expect(renderTemplate('/v3/company/{config.realm_id}/{module}/{id}', { config, id: 'Calls:57', params: { module: 'Calls', id: '57' } })).toBe('/v3/company/9341/Calls/57');
    expect(renderTemplate('/crm/v8/{module}/{id}', { config, id: '57', params: { module: '../admin' } })).toBe('/crm/v8/..%2Fadmin/57');
  });

  it('names the placeholder path_params did not give, and leaves other braces alone without params', () => {
    expect(() => renderTemplate('/crm/v8/{module}', { config, params: {} })).toThrow(expect.objectContaining({ code: 'SWY_ERR_MAPPING_FAILED', message: expect.stringContaining("'module'") }));
    expect(renderTemplate('/x/{module}/{id}', { config, id: '7' })).toBe('/x/{module}/7');
  });
});
