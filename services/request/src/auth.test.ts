import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardError } from '@switchyard/contracts';
import { bearerToken, requireAdmin } from './auth.js';

/** The admin check through a real Fastify request: a valid call, then the same call minus one thing. */
const app = Fastify();
app.setErrorHandler((error, _request, reply) => {
  const code = error instanceof SwitchyardError ? error.code : 'other';
  return reply.status(error instanceof SwitchyardError ? error.status : 500).send({ code });
});
app.get('/token', async (request) => ({ token: bearerToken(request) ?? null }));
app.get('/admin', async (request) => {
  requireAdmin(request, 'adm_correct-horse-battery');
  return { ok: true };
});

beforeAll(() => app.ready());
afterAll(() => app.close());

const get = (url: string, authorization?: string) => app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

describe('bearerToken', () => {
  it('reads the token of a Bearer header, whatever the scheme’s case', async () => {
    expect((await get('/token', 'Bearer abc.def')).json()).toEqual({ token: 'abc.def' });
    expect((await get('/token', 'bearer abc')).json()).toEqual({ token: 'abc' });
  });

  it('has no token without the header, with another scheme, or with two words', async () => {
    expect((await get('/token')).json()).toEqual({ token: null });
    expect((await get('/token', 'Basic YWxhZGRpbjpvcGVu')).json()).toEqual({ token: null });
    expect((await get('/token', 'Bearer two words')).json()).toEqual({ token: null });
  });
});

describe('requireAdmin', () => {
  it('lets the operator’s admin token through', async () => {
    const response = await get('/admin', 'Bearer adm_correct-horse-battery');
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer adm_correct-horse-batterz'],
    ['a prefix of the token', 'Bearer adm_correct-horse'],
    ['the token under another scheme', 'Token adm_correct-horse-battery'],
  ])('refuses %s with SWY_ERR_UNAUTHORIZED', async (_what, authorization) => {
    const response = await get('/admin', authorization);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ code: 'SWY_ERR_UNAUTHORIZED' });
  });
});
