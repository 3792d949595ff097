import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { startSuccessFactorsApi, type SuccessFactorsApi } from '../simulators/successfactors-api.js';
import { externalEventXml, sendExternalEvent, type SfSubscriptionAuth } from '../simulators/successfactors-events.js';

const SLUG = 'sap-successfactors';
const HIRE = 'com.successfactors.Employment.AssignmentInformation.Hire';
const TERMINATION = 'com.successfactors.Employment.AssignmentInformation.Termination';

/**
 * SAP SuccessFactors event notifications end to end, on a real hub and nats-server: a SOAP `ExternalEvent`
 * sent with the subscription's Basic credentials is answered with the SOAP `ExternalEventResponse` and
 * delivered to a subscription as unified events (the employee enriched through OData `User`); the same
 * request minus its credentials is refused with a coded 401 and stores nothing; a verified body that is
 * not XML is kept in DEAD; the same `externalEventId` twice is one delivery. The account is polled too
 * (its first poll is a backfill), so assertions read the `webhook` events only (push + poll:
 * mappings/sap-successfactors/README.md).
 */
describe('SAP SuccessFactors event notifications (SOAP ExternalEvent)', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let sf: SuccessFactorsApi;
  let endpoint: Receiver;
  let apiKey: string;
  let webhookUrl: string;
  const subscription = { user: 'switchyard', password: 'sf-push-8c1e5b2f9d047a36e1b4' };
  const apiPassword = 'sf-api-password-3f9a';
  const logs: string[] = [];

  const pushed = () => endpoint.delivered().map((d) => JSON.parse(d.body)).filter((e) => e.origin === 'webhook');
  const rawCount = async () => (await hub.runtime.bus.jsm.streams.info('RAW')).state.messages;
  /** A valid notification: the SOAP body with the subscription's Basic credentials. */
  const send = (body: string, auth: SfSubscriptionAuth = subscription) => sendExternalEvent(webhookUrl, body, auth);

  beforeAll(async () => {
    sf = await startSuccessFactorsApi({ username: 'apiuser@acmeco', password: apiPassword });
    rememberSecret('SuccessFactors API password', apiPassword);
    rememberSecret('SuccessFactors subscription password', subscription.password);
    nats = await startTestNats();
    hub = await startTestHub(nats.url, {}, logs);
    endpoint = await startReceiver();
    apiKey = (await hub.createEnvironment('sf-push')).apiKey;
    const account = await hub.call('POST', '/v1/integrated-accounts', {
      token: apiKey,
      body: {
        provider: SLUG,
        credentials: { username: 'apiuser@acmeco', password: apiPassword },
        webhook_secret: `${subscription.user}:${subscription.password}`,
        config: { api_host: 'api4.successfactors.com', base_url: `${sf.url}/odata/v2` },
      },
    });
    expect(account.status, JSON.stringify(account.body)).toBe(201);
    webhookUrl = account.body.webhook_url;
    expect((await hub.call('POST', '/v1/subscriptions', { token: apiKey, body: { url: endpoint.url, event_types: ['hris/*'] } })).status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([sf?.close(), endpoint?.close()]);
    await hub?.close();
    await nats?.stop();
  });

  it('answers a hire with the SOAP ExternalEventResponse and delivers the employee, enriched from User, and the employment', async () => {
    sf.upsert({ userId: 'lbrandt', firstName: 'Lea', lastName: 'Brandt', email: 'Lea.Brandt@Example.com', status: 't' });
    const body = externalEventXml({
      type: HIRE,
      events: [
        { entityType: 'EmpJob', effectiveStartDate: '2026-03-01', keys: { seqNumber: '1', startDate: '2026-03-01', userId: 'lbrandt' }, params: { eventReason: 'HIRNEW' } },
        { entityType: 'EmpEmployment', effectiveStartDate: '2026-03-01', keys: { personIdExternal: 'lbrandt', userId: 'lbrandt' } },
      ],
    });
    const answer = await send(body);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.text).toContain('<ns3:ExternalEventResponse xmlns:ns3="http://notification.event.successfactors.com"><ns3:responsePayload><ns3:status>200</ns3:status>');

    const [employee, employment] = await eventually('the hire', () => {
      const mine = pushed();
      const e = mine.find((x) => x.type === 'hris/employees:created' && x.record_id === 'lbrandt');
      const j = mine.find((x) => x.type === 'hris/employments:created' && x.record_id.startsWith('lbrandt|'));
      return e && j && ([e, j] as const);
    });
    expect(employee).toMatchObject({
      provider: SLUG,
      enrichment: { status: 'done', resource: 'hris/employees', remote_id: 'lbrandt' },
      data: { remote_id: 'lbrandt', first_name: 'Lea', last_name: 'Brandt', work_email: 'lea.brandt@example.com', employment_status: 'active' },
      remote_data: { type: HIRE, effective: 'current', repost: false },
    });
    // The poller's id of the same EmpJob segment: userId | startDate as UTC ms | seqNumber.
    expect(employment).toMatchObject({
      record_id: `lbrandt|${Date.UTC(2026, 2, 1)}|1`,
      data: { employee_id: 'lbrandt', effective_date: '2026-03-01' },
      remote_data: { event: { entityType: 'EmpJob', params: { eventReason: 'HIRNEW' } } },
    });
  });

  it('delivers a termination as hris/employees:deleted, thin, with its date', async () => {
    const body = externalEventXml({ type: TERMINATION, effective: 'future', events: [{ entityType: 'EmpJob', effectiveStartDate: '2026-04-30', keys: { seqNumber: '2', userId: 'u7', startDate: '2026-04-30' } }] });
    expect((await send(body)).status).toBe(200);
    const gone = await eventually('the termination', () => pushed().find((e) => e.type === 'hris/employees:deleted' && e.record_id === 'u7'));
    expect(gone.data).toEqual({ id: expect.stringMatching(/^rec_/), remote_id: 'u7', employment_status: 'terminated', termination_date: '2026-04-30' });
    expect(gone.enrichment).toBeUndefined();
  });

  it('refuses the notification minus its Basic credentials, or with a wrong password, with a coded 401 before anything is stored', async () => {
    const body = externalEventXml({ type: HIRE, events: [{ entityType: 'EmpJob', keys: { seqNumber: '1', startDate: '2026-05-01', userId: 'intruder' } }] });
    const before = await rawCount();
    const missing = await sendExternalEvent(webhookUrl, body, undefined);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text)).toMatchObject({ code: 'SWY_ERR_TOKEN_MISSING' });
    const wrong = await send(body, { ...subscription, password: `${subscription.password.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({ code: 'SWY_ERR_TOKEN_INVALID' });
    expect(await rawCount()).toBe(before);
  });

  it('keeps a verified body that is not well-formed XML in DEAD, coded, after acknowledging it', async () => {
    const truncated = externalEventXml({ type: HIRE, events: [{ entityType: 'EmpJob', keys: { userId: 'broken' } }] }).slice(0, -40);
    expect((await send(truncated)).status).toBe(200);
    const dead = await eventually('the dead letter', async () => {
      const list = await hub.call('GET', '/v1/dead-letters?stage=normalizer', { token: apiKey });
      return (list.body?.data ?? []).find((d: { provider?: string; code?: string }) => d.provider === SLUG && d.code === 'SWY_ERR_BODY_UNPARSABLE');
    });
    expect(dead).toMatchObject({ stage: 'normalizer', code: 'SWY_ERR_BODY_UNPARSABLE' });
    expect(pushed().some((e) => e.record_id === 'broken')).toBe(false);
  });

  it('delivers the same externalEventId once, even sent again as a repost with other bytes', async () => {
    sf.upsert({ userId: 'mkeller', firstName: 'Mia', lastName: 'Keller', email: 'mia.keller@example.com', status: 't' });
    const id = '3e7a1c90-5b2d-4f86-a0c4-9d8e7f6a5b41';
    const change = { externalEventId: id, type: 'com.successfactors.Employment.AssignmentInformation.JobTitleChange', events: [{ entityType: 'EmpJob', keys: { userId: 'mkeller' } }] };
    expect((await send(externalEventXml(change))).status).toBe(200);
    const again = await send(externalEventXml({ ...change, repost: true }));
    expect(again.status).toBe(200);
    expect(again.text).toContain('ExternalEventResponse');
    // A later notification delivered proves the repeat was handled (dropped) before it.
    expect((await send(externalEventXml({ type: TERMINATION, events: [{ entityType: 'EmpJob', effectiveStartDate: '2026-06-30', keys: { userId: 'later', seqNumber: '1', startDate: '2026-06-30' } }] }))).status).toBe(200);
    await eventually('the later event', () => pushed().find((e) => e.record_id === 'later'));
    await eventually('the change', () => pushed().find((e) => e.record_id === 'mkeller'));
    expect(pushed().filter((e) => e.record_id === 'mkeller')).toEqual([expect.objectContaining({ type: 'hris/employees:updated', data: expect.objectContaining({ first_name: 'Mia' }) })]);
  });

  it('keeps the subscription password and the API password out of the logs', () => {
    const all = logs.join('');
    for (const value of [subscription.password, apiPassword, apiKey]) expect(all).not.toContain(value);
  });
});
