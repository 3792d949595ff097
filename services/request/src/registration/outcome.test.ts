import { describe, expect, it } from 'vitest';
import { ApiRegistration } from '@switchyard/contracts';
import { MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer } from '@switchyard/provider-client';
import { expectSuccess, failureOf } from './outcome.js';
import { subscribedEvents } from './registrar.js';

const registration = ApiRegistration.parse({
  mode: 'api',
  events: [
    { name: 'person', yields: ['crm/contacts:created', 'crm/contacts:updated'] },
    { name: 'deal', yields: ['crm/opportunities:updated'] },
  ],
  create: { path: '/v1/webhooks' },
  answer: { id: 'body.id' },
  refusals: { url: "status = 422 and body.field = 'url'", limit: "status = 400 and $contains(body.error, 'limit')" },
});
const answer = (status: number, body: unknown, extra: Partial<RegistrationAnswer> = {}): RegistrationAnswer => ({ status, headers: {}, body, malformed: false, rateLimit: { throttled: false, policies: [], current: [], violated: [] }, ...extra }) as RegistrationAnswer;
const engine = new MappingEngine();
const codeOf = async (a: RegistrationAnswer) => failureOf(await expectSuccess(engine, 'demo', registration, 'create', a).then(() => undefined, (e: unknown) => e), 'now').failure.code;

describe('registration outcomes', () => {
  it('subscribes every event, or those yielding a type the patterns match', () => {
    expect(subscribedEvents(registration, undefined)).toEqual(['person', 'deal']);
    expect(subscribedEvents(registration, ['crm/contacts:*'])).toEqual(['person']);
    expect(subscribedEvents(registration, ['crm/*'])).toEqual(['person', 'deal']);
    expect(subscribedEvents(registration, ['hris/*'])).toEqual([]);
  });

  it('gives each kind of refusal its own code', async () => {
    expect(await codeOf(answer(422, { field: 'url' }))).toBe('SWY_ERR_REGISTRATION_URL_REFUSED');
    expect(await codeOf(answer(400, { error: 'webhook limit reached' }))).toBe('SWY_ERR_REGISTRATION_LIMIT');
    expect(await codeOf(answer(401, {}))).toBe('SWY_ERR_PROVIDER_UNAUTHORIZED');
    expect(await codeOf(answer(503, 'down'))).toBe('SWY_ERR_REGISTRATION_REFUSED');
    expect(await codeOf(answer(201, '{"id": ', { malformed: true }))).toBe('SWY_ERR_REGISTRATION_ANSWER_INVALID');
    expect(await codeOf(answer(429, {}, { rateLimit: { throttled: true, policies: [], current: [], violated: [], retryAfterS: 7 } as never }))).toBe('SWY_ERR_PROVIDER_RATE_LIMITED');
  });

  it('waits at least as long as the provider asks after a throttle', async () => {
    const error = await expectSuccess(engine, 'demo', registration, 'create', answer(429, {}, { rateLimit: { throttled: true, policies: [], current: [], violated: [], retryAfterS: 7 } as never })).catch((e: unknown) => e);
    expect(failureOf(error, 'now').retryAfterMs).toBe(7_000);
  });

  it('lets a caller take a 404 itself (gone at the provider)', async () => {
    expect((await expectSuccess(engine, 'demo', registration, 'read', answer(404, {}), [404])).status).toBe(404);
  });
});
