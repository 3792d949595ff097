import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGustoApi, type GustoApi, type GustoApiOptions, type GustoEmployee } from './gusto-api.js';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';

const COMPANY = '7779b433-56d4-4729-9fba-7ccbcc2b094e';

describe('Gusto API simulator', () => {
  let sim: GustoApi;
  let token: string;
  const start = async (options: GustoApiOptions = {}) => {
    sim = await startGustoApi(options);
    token = sim.oauth.issue().access_token;
  };
  beforeEach(() => start());
  afterEach(() => sim.close());

  const get = (path: string, bearer: string | null = token) => fetch(`${sim.url}${path}`, { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } });
  const refresh = (refreshToken: string) =>
    fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('gusto-client:gusto-secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });

  it('walks the employees to the end through page/per with no gaps or repeats, totals in X-Total-*', async () => {
    for (const per of [100, 25, 7]) {
      const seen: string[] = [];
      let totalPages = Infinity;
      for (let page = 1; page <= totalPages; page++) {
        const response = await get(`/v1/companies/${COMPANY}/employees?page=${page}&per=${per}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-page')).toBe(String(page));
        expect(response.headers.get('x-per-page')).toBe(String(per));
        expect(response.headers.get('x-total-count')).toBe('250');
        totalPages = Number(response.headers.get('x-total-pages'));
        seen.push(...((await response.json()) as GustoEmployee[]).map((e) => e.uuid));
      }
      expect(totalPages).toBe(Math.ceil(250 / per));
      expect(seen).toEqual(sim.state.employees.map((e) => e.uuid));
      expect(new Set(seen).size).toBe(250);
    }
    const beyond = await get(`/v1/companies/${COMPANY}/employees?page=4&per=100`);
    expect(await beyond.json()).toEqual([]);
    // Without paging parameters: the first 25 and, as documented, no paging headers.
    const plain = await get(`/v1/companies/${COMPANY}/employees`);
    expect((await plain.json()) as unknown[]).toHaveLength(25);
    expect(plain.headers.get('x-total-count')).toBeNull();
    expect(sim.state.requests['GET /v1/companies/:company_uuid/employees']).toBe(3 + 10 + 36 + 2);
  });

  it('serves documented employee fields, the terminated filter and single reads', async () => {
    const page = (await (await get(`/v1/companies/${COMPANY}/employees?page=1&per=2`)).json()) as GustoEmployee[];
    expect(page[0]).toMatchObject({ uuid: '00000001-0000-4000-8000-000000000001', first_name: 'Soren', last_name: 'Kierkegaard', company_uuid: COMPANY, terminated: false, ssn: '' });
    expect(page[0]!.version).toMatch(/^[0-9a-f]{32}$/);
    const terminated = (await (await get(`/v1/companies/${COMPANY}/employees?terminated=true&page=1&per=100`)).json()) as GustoEmployee[];
    expect(terminated.every((e) => e.terminated)).toBe(true);
    expect(terminated).toHaveLength(20);
    expect(await (await get(`/v1/employees/${page[1]!.uuid}`)).json()).toEqual(page[1]);
    expect((await get('/v1/employees/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await get('/v1/companies/other-company/employees')).status).toBe(404);
  });

  it('answers 401 to a missing token and an expired one, and works again after a refresh', async () => {
    const missing = await get(`/v1/employees/${sim.state.employees[0]!.uuid}`, null);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('invalid_token');
    expect(missing.headers.get('x-ratelimit-remaining')).toBeNull();

    // A real expiry: a provider with one-second tokens.
    await sim.close();
    const oauth: OAuth2ProviderSimulator = await startOAuth2Provider({ clientId: 'gusto-client', clientSecret: 'gusto-secret', accessTokenTtlS: 1 });
    try {
      await start({ oauth });
      const grant = oauth.issue();
      expect((await get(`/v1/companies/${COMPANY}/employees`, grant.access_token)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await get(`/v1/companies/${COMPANY}/employees`, grant.access_token);
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid' });

      const refreshed = await refresh(grant.refresh_token);
      expect(refreshed.status).toBe(200);
      const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
      expect((await get(`/v1/companies/${COMPANY}/employees`, next.access_token)).status).toBe(200);
      // Refresh tokens are single-use: the spent one is refused.
      const reused = await refresh(grant.refresh_token);
      expect(reused.status).toBe(400);
      expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
    } finally {
      await sim.close();
      await oauth.close();
      await start();
    }
  });

  it('sends X-RateLimit-* on every answer with a falling remaining count, and enforces the window', async () => {
    const one = await get(`/v1/companies/${COMPANY}/employees`);
    const two = await get(`/v1/companies/${COMPANY}/employees`);
    expect(one.headers.get('x-ratelimit-limit')).toBe('200');
    expect(one.headers.get('x-ratelimit-remaining')).toBe('199');
    expect(two.headers.get('x-ratelimit-remaining')).toBe('198');
    expect(Date.parse(one.headers.get('x-ratelimit-reset') ?? '')).toBeGreaterThan(Date.now());
    expect(one.headers.get('retry-after')).toBeNull();

    await sim.close();
    await start({ rateLimit: { max: 2, windowMs: 60_000 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`/v1/companies/${COMPANY}/employees`)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('answers throttleNext with 429, Retry-After and remaining 0, then recovers', async () => {
    sim.state.throttleNext(2, { retryAfterS: 12 });
    for (let i = 0; i < 2; i++) {
      const throttled = await get(`/v1/companies/${COMPANY}/employees`);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('12');
      expect(throttled.headers.get('x-ratelimit-limit')).toBe('200');
      expect(throttled.headers.get('x-ratelimit-remaining')).toBe('0');
      const reset = Date.parse(throttled.headers.get('x-ratelimit-reset') ?? '');
      expect(reset - Date.now()).toBeGreaterThan(10_000);
      expect(await throttled.json()).toMatchObject({ errors: [{ category: 'rate_limit_exceeded' }] });
    }
    const after = await get(`/v1/companies/${COMPANY}/employees`);
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-remaining')).toBe('199');
  });
});
