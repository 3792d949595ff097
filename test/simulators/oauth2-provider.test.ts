import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from './oauth2-provider.js';

describe('OAuth2 provider simulator', () => {
  let sim: OAuth2ProviderSimulator;
  beforeEach(async () => {
    sim = await startOAuth2Provider({ clientId: 'id', clientSecret: 'secret', accessTokenTtlS: 1_800 });
  });
  afterEach(() => sim.close());

  const refresh = (refreshToken: string, auth: 'basic' | 'body' = 'basic', secret = 'secret') =>
    fetch(sim.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(auth === 'basic' ? { authorization: `Basic ${Buffer.from(`id:${secret}`).toString('base64')}` } : {}),
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...(auth === 'body' ? { client_id: 'id', client_secret: secret } : {}) }),
    });

  it('rotates single-use refresh tokens: the old one answers invalid_grant', async () => {
    const grant = sim.issue();
    const first = await refresh(grant.refresh_token);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const body = (await first.json()) as { access_token: string; refresh_token: string; expires_in: number };
    expect(body.expires_in).toBe(1_800);
    expect(body.refresh_token).not.toBe(grant.refresh_token);
    const reuse = await refresh(grant.refresh_token, 'body');
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    expect(sim.reusedRefreshTokens).toBe(1);
    expect((await refresh(body.refresh_token, 'body')).status).toBe(200);
    expect(sim.refreshes).toBe(2);
  });

  it('authenticates the client and honours revocation', async () => {
    const grant = sim.issue();
    expect((await refresh(grant.refresh_token, 'basic', 'wrong')).status).toBe(401);
    sim.revoke();
    const revoked = await refresh(grant.refresh_token);
    expect(revoked.status).toBe(400);
    expect(await revoked.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('protects /me with the access token', async () => {
    const grant = sim.issue();
    const me = (token: string) => fetch(sim.meUrl, { headers: { authorization: `Bearer ${token}` } });
    expect((await me(grant.access_token)).status).toBe(200);
    expect((await me('unknown')).status).toBe(401);
    sim.expireAccessTokens();
    const expired = await me(grant.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
  });
});
