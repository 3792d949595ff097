import { describe, expect, it } from 'vitest';
import type { ObservedResponse } from '@switchyard/kernel';
import { checkResponse } from '../harness/contract-audit.js';

const subscription = {
  id: 'sub_1',
  url: 'https://example.com/hook',
  event_types: ['hris/employees:*'],
  filter: null,
  description: null,
  metadata: {},
  headers: {},
  rate_limit: null,
  ordering: 'none',
  key_type: 'hmac-sha256',
  status: 'active',
  disabled_reason: null,
  failing_since: null,
  created_at: '2026-12-04T00:00:00.000Z',
  updated_at: '2026-12-04T00:00:00.000Z',
};
const answer = (overrides: Partial<ObservedResponse>): ObservedResponse => ({
  method: 'POST',
  route: '/v1/subscriptions',
  path: '/v1/subscriptions',
  status: 201,
  contentType: 'application/json',
  body: JSON.stringify({ ...subscription, secret: 'whsec_x' }),
  streamed: false,
  ...overrides,
});

describe('contract audit of answers against the OpenAPI document', () => {
  it('accepts an answer the document describes, the one-time secret included', () => {
    expect(checkResponse(answer({}))).toBeUndefined();
  });

  it('names the missing field of an answer minus one required field', () => {
    const { status: _drop, ...withoutStatus } = subscription;
    expect(checkResponse(answer({ body: JSON.stringify(withoutStatus) }))).toMatch(/POST \/v1\/subscriptions 201: .*status/);
  });

  it('refuses a field the schema does not have, naming the field and never its value', () => {
    const problem = checkResponse(answer({ route: '/v1/subscriptions/:id', path: '/v1/subscriptions/sub_1', method: 'GET', status: 200, body: JSON.stringify({ ...subscription, secret: 'whsec_leak' }) }));
    expect(problem).toMatch(/additional properties \(secret\)/);
    expect(problem).not.toContain('whsec_leak');
  });

  it('refuses an undocumented route, status and media type', () => {
    expect(checkResponse(answer({ route: '/v1/not-here', path: '/v1/not-here', method: 'GET' }))).toMatch(/not in the document/);
    // 201 is documented; any other status falls to the `default` answer, which is a problem, not JSON.
    expect(checkResponse(answer({ status: 200 }))).toMatch(/POST \/v1\/subscriptions 200: media type application\/json/);
    expect(checkResponse(answer({ contentType: 'text/html', body: '<p>hi</p>' }))).toMatch(/media type text\/html/);
  });

  it('matches concrete unified paths to the resource the document lists, and errors to the problem schema', () => {
    const unified = { route: '/unified/:category/:resource', path: '/unified/hris/employees', method: 'GET', status: 400, contentType: 'application/problem+json' };
    const problem = { type: 'about:blank', title: 'Bad cursor', status: 400, code: 'SWY_ERR_CURSOR_INVALID', detail: 'list again' };
    expect(checkResponse(answer({ ...unified, body: JSON.stringify(problem) }))).toBeUndefined();
    const { code: _drop, ...uncoded } = problem;
    expect(checkResponse(answer({ ...unified, body: JSON.stringify(uncoded) }))).toMatch(/GET \/unified\/hris\/employees 400: .*code/);
  });
});
