import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { readStream } from '../harness/streams.js';
import { createTenant } from '../harness/tenant.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

/**
 * The README's curl story, through the public HTTP API of a hub on a real nats-server, delivering to
 * a real HTTP endpoint on loopback.
 */
describe('curl story: BambooHR webhook → signed delivery', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];

  const rawCount = async () => (await hub.runtime.bus.jsm.streams.info('RAW')).state.messages;
  const receiver = async (respond?: (n: number) => number) => {
    const r = await startReceiver(respond);
    receivers.push(r);
    return r;
  };
  const deliveredRecords = (r: Receiver) => r.delivered().map((d) => JSON.parse(d.body).record_id as string);

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150,150', SWITCHYARD_BODY_LIMIT_BYTES: '65536' });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  it('delivers the normalized event with Standard Webhooks headers that a standard verifier accepts', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    expect(tenant.webhookUrl).toBe(`${hub.url}/webhooks/bamboohr/${tenant.accountId}`);
    expect(tenant.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);

    const response = await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', '67890')));
    expect(response).toEqual({ status: 200, body: { status: 'accepted', duplicate: false } });

    const [delivery] = await eventually('the delivery', () => endpoint.delivered().length === 1 && endpoint.delivered());
    const verified = new Webhook(tenant.signingSecret).verify(delivery!.body, {
      'webhook-id': String(delivery!.headers['webhook-id']),
      'webhook-timestamp': String(delivery!.headers['webhook-timestamp']),
      'webhook-signature': String(delivery!.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      type: 'hris/employees:updated',
      environment_id: tenant.environmentId,
      integrated_account_id: tenant.accountId,
      provider: 'bamboohr',
      category: 'hris',
      resource: 'employees',
      action: 'updated',
      record_id: '67890',
      origin: 'webhook',
      data: { remote_id: '67890' },
    });
    expect(delivery!.headers['webhook-id']).toBe((verified as { id: string }).id);
    expect(delivery!.headers['content-type']).toBe('application/json');
  });

  it('maps created and deleted events to their actions', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.created', 'c-1')));
    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.deleted', 'd-1')));
    const types = await eventually('two deliveries', () => endpoint.delivered().length === 2 && endpoint.delivered().map((d) => JSON.parse(d.body).type));
    expect(types.sort()).toEqual(['hris/employees:created', 'hris/employees:deleted']);
  });

  it('answers 401 to a wrong signature and stores and delivers nothing', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    const valid = signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'forged-1'));
    const forged = { ...valid, headers: { ...valid.headers, 'x-bamboohr-signature': signBamboo('not-the-key', valid.body).headers['x-bamboohr-signature']! } };
    const before = await rawCount();

    const response = await sendBamboo(tenant.webhookUrl, forged);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'SWY_ERR_SIGNATURE_MISMATCH', status: 401 });
    expect(await rawCount()).toBe(before);

    // A genuine webhook sent afterwards arrives alone: the forged one never entered the pipeline.
    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'genuine-1')));
    await eventually('the genuine delivery', () => endpoint.delivered().length >= 1);
    expect(deliveredRecords(endpoint)).toEqual(['genuine-1']);
  });

  it('refuses a stale timestamp, a missing signature and an unknown account, each with its code', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    const body = bambooEvent('employee.updated', 'x-1');
    const stale = await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, body, Math.floor(Date.now() / 1000) - 3600));
    expect(stale).toMatchObject({ status: 401, body: { code: 'SWY_ERR_TIMESTAMP_SKEW' } });

    const valid = signBamboo(tenant.privateKey, body);
    const { 'x-bamboohr-signature': _dropped, ...unsigned } = valid.headers;
    expect(await sendBamboo(tenant.webhookUrl, { ...valid, headers: unsigned })).toMatchObject({ status: 401, body: { code: 'SWY_ERR_SIGNATURE_MISSING' } });

    const unknown = await sendBamboo(`${hub.url}/webhooks/bamboohr/acc_000000000000000000000000`, valid);
    expect(unknown).toMatchObject({ status: 404, body: { code: 'SWY_ERR_ACCOUNT_UNKNOWN' } });

    const wrongType = await fetch(tenant.webhookUrl, { method: 'POST', headers: { ...valid.headers, 'content-type': 'text/xml' }, body: valid.body });
    expect(wrongType.status).toBe(415);

    // A body over SWITCHYARD_BODY_LIMIT_BYTES (64 KiB here) is refused before anything is read into RAW.
    const before = await rawCount();
    const huge = signBamboo(tenant.privateKey, JSON.stringify({ type: 'employee.updated', data: { employeeId: '1', pad: 'x'.repeat(70_000) } }));
    const tooLarge = await sendBamboo(tenant.webhookUrl, huge);
    expect(tooLarge).toMatchObject({ status: 413, body: { code: 'SWY_ERR_PAYLOAD_TOO_LARGE' } });
    expect(await rawCount()).toBe(before);
    expect(endpoint.received).toHaveLength(0);
  });

  it('delivers a delivery posted twice only once', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    const request = signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'dup-1'));

    expect(await sendBamboo(tenant.webhookUrl, request)).toEqual({ status: 200, body: { status: 'accepted', duplicate: false } });
    expect(await sendBamboo(tenant.webhookUrl, request)).toEqual({ status: 200, body: { status: 'accepted', duplicate: true } });

    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'after-dup')));
    await eventually('both records', () => endpoint.delivered().length >= 2);
    expect(deliveredRecords(endpoint).sort()).toEqual(['after-dup', 'dup-1']);
  });

  it('retries an endpoint that answers 500, then delivers with the same webhook-id and a fresh signature', async () => {
    const endpoint = await receiver((n) => (n === 1 ? 500 : 200));
    const tenant = await createTenant(hub, endpoint);
    await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, bambooEvent('employee.updated', 'retry-1')));

    await eventually('a successful retry', () => endpoint.delivered().length === 1);
    expect(endpoint.received.map((r) => r.status)).toEqual([500, 200]);
    const [first, second] = endpoint.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    for (const attempt of endpoint.received) {
      const headers = { 'webhook-id': String(attempt.headers['webhook-id']), 'webhook-timestamp': String(attempt.headers['webhook-timestamp']), 'webhook-signature': String(attempt.headers['webhook-signature']) };
      expect(() => new Webhook(tenant.signingSecret).verify(attempt.body, headers)).not.toThrow();
    }
  });

  it('keeps a verified body that cannot be mapped in DEAD with a coded error, and delivers nothing for it', async () => {
    const endpoint = await receiver();
    const tenant = await createTenant(hub, endpoint);
    const unsupported = JSON.stringify({ type: 'employee.promoted', timestamp: '2026-01-31T18:42:00+0000', data: { employeeId: '1' } });
    const malformed = '{"type": "employee.updated", "data": ';
    expect((await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, unsupported))).status).toBe(200);
    expect((await sendBamboo(tenant.webhookUrl, signBamboo(tenant.privateKey, malformed))).status).toBe(200);

    const dead = await eventually('two dead letters', async () => {
      const found = await readStream(hub.runtime.bus, 'DEAD', `dead.normalizer.bamboohr.${tenant.accountId}`);
      return found.length === 2 && found.map((m) => ({ code: m.headers['swy-error-code'], body: m.body }));
    });
    expect(dead.map((d) => d.code).sort()).toEqual(['SWY_ERR_BODY_UNPARSABLE', 'SWY_ERR_MAPPING_FAILED']);
    expect(dead.map((d) => d.body).sort()).toEqual([malformed, unsupported].sort());
    expect(endpoint.received).toHaveLength(0);
  });
});
