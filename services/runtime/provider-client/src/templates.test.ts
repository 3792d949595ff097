import { describe, expect, it } from 'vitest';
import { renderHeaders } from './templates.js';

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
