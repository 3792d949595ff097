import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBambooHrApi, type BambooHrApi } from './bamboohr-api.js';

const basic = (user: string, password = 'x') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('BambooHR API simulator', () => {
  let sim: BambooHrApi;
  beforeEach(async () => {
    sim = await startBambooHrApi({ companyDomain: 'acme', apiKeys: ['key-1'], today: new Date('2026-11-01T00:00:00Z') });
  });
  afterEach(() => sim.close());

  const get = (path: string, authorization: string | null = basic('key-1')) =>
    fetch(`${sim.url}${path}`, { headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) } });

  it('answers the whole directory in one response, with its field list, on both path styles', async () => {
    const response = await get('/api/v1/employees/directory');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { fields: Array<{ id: string }>; employees: Array<Record<string, unknown>> };
    const ids = body.employees.map((e) => e.id);
    // No pagination: one answer holds every employee exactly once, in seed order.
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => String(101 + i)));
    expect(body.fields.map((f) => f.id)).toContain('workEmail');
    expect(body.employees[0]).toMatchObject({ id: '101', displayName: 'Ana Adams', firstName: 'Ana', lastName: 'Adams', workEmail: 'ana.adams.0@example.com' });
    expect(Object.keys(body.employees[0]!)).toEqual(['id', ...body.fields.map((f) => f.id)]);

    const legacy = await get('/api/gateway.php/acme/v1/employees/directory');
    expect(((await legacy.json()) as { employees: unknown[] }).employees).toHaveLength(250);
    expect((await get('/api/gateway.php/other/v1/employees/directory')).status).toBe(404);
    expect(sim.state.requests['GET /v1/employees/directory']).toBe(3);
  });

  it('takes the API key as the Basic username with any password, and refuses anything else with 401', async () => {
    expect((await get('/api/v1/employees/directory', basic('key-1', 'anything-at-all'))).status).toBe(200);
    for (const authorization of [null, basic('wrong-key'), 'Bearer key-1']) {
      const refused = await get('/api/v1/employees/directory', authorization);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(refused.headers.get('x-bamboohr-error-message')).toBe('Invalid API key');
      expect(await refused.text()).toBe('');
    }
  });

  it('returns one employee with only id unless fields are named; 0 is the key owner; 403 and 404', async () => {
    expect(await (await get('/api/v1/employees/150')).json()).toEqual({ id: '150' });
    const named = await get('/api/v1/employees/151?fields=firstName,lastName,lastChanged,terminationDate,noSuchField');
    expect(await named.json()).toEqual({ id: '151', firstName: 'Lena', lastName: 'Dubois', lastChanged: '2026-01-03T02:00:00+00:00', terminationDate: '0000-00-00' });
    // BambooHR writes an empty date as 0000-00-00; employee 150 is inactive and has one.
    expect(await (await get('/api/v1/employees/150?fields=status,terminationDate')).json()).toEqual({ id: '150', status: 'Inactive', terminationDate: '2025-12-31' });
    expect(await (await get('/api/v1/employees/0?fields=firstName')).json()).toEqual({ id: '101', firstName: 'Ana' });

    const missing = await get('/api/v1/employees/99999');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-bamboohr-error-message')).toBe('Employee not found');
    sim.state.forbiddenEmployeeIds.add('150');
    expect((await get('/api/v1/employees/150')).status).toBe(403);
  });

  it('lists employees changed since a time, the one incremental read BambooHR offers', async () => {
    const response = await get(`/api/v1/employees/changed?since=${encodeURIComponent('2026-01-11T00:00:00Z')}`);
    const body = (await response.json()) as { latest: string; employees: Record<string, { id: string; action: string; lastChanged: string }> };
    // Employee i changed at 2026-01-01 + i h, so i = 241…249 are strictly after 2026-01-11T00:00Z.
    expect(Object.keys(body.employees)).toEqual(Array.from({ length: 9 }, (_, i) => String(342 + i)));
    expect(body.employees['350']).toEqual({ id: '350', action: 'Updated', lastChanged: '2026-01-11T09:00:00+00:00' });
    expect(body.latest).toBe('2026-01-11T09:00:00+00:00');
    expect((await get('/api/v1/employees/changed')).status).toBe(400);
  });

  it('throttles with 429 + Retry-After from 2026-09-16 and 503 + Retry-After before, then recovers', async () => {
    sim.state.throttleNext(2, { retryAfterS: 7 });
    for (let i = 0; i < 2; i++) {
      const throttled = await get('/api/v1/employees/directory');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('7');
      expect(await throttled.text()).toBe('');
    }
    expect((await get('/api/v1/employees/directory')).status).toBe(200);

    sim.state.today = new Date('2026-09-15T23:59:59Z');
    sim.state.throttleNext(1, { retryAfterS: 3 });
    const before = await get('/api/v1/employees/101');
    expect(before.status).toBe(503);
    expect(before.headers.get('retry-after')).toBe('3');
    expect((await get('/api/v1/employees/101')).status).toBe(200);
    // Credentials are checked before the throttle: a bad key still gets its 401.
    sim.state.throttleNext(1);
    expect((await get('/api/v1/employees/101', basic('wrong'))).status).toBe(401);
    expect(sim.state.requests['GET /v1/employees/:id']).toBe(3);
  });
});
