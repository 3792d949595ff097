import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMappingsDir } from '@switchyard/mapping';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { readStream } from '../harness/streams.js';
import { eventually } from '../harness/wait.js';

/**
 * The providers whose first call is a handshake rather than an event (Microsoft Graph, Gusto) and the
 * one that expects a SOAP answer to every delivery (Salesforce Outbound Messaging), through the real
 * HTTP edge of a hub on a real nats-server. Every reply is checked byte for byte, and every handshake
 * stores nothing in RAW.
 */

/** The exact answer Salesforce Outbound Messaging needs to stop retrying a message. */
const SALESFORCE_ACK =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>';

/** A request as the test sends it; the answer with its raw text and, when it is JSON, the parsed body. */
interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** The body's exact bytes. */
  bytes: Buffer;
  json: Record<string, unknown> | undefined;
}

async function post(url: string, contentType: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, bytes, json };
}

const withQuery = (url: string, query: Record<string, string>) => {
  const u = new URL(url);
  for (const [name, value] of Object.entries(query)) u.searchParams.set(name, value);
  return u.toString();
};

const secret = (label: string) => `${label}-${randomBytes(18).toString('hex')}`;

describe('handshake providers through the real edge', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  const receivers: Receiver[] = [];

  const rawCount = async () => (await hub.runtime.bus.jsm.streams.info('RAW')).state.messages;

  /** An environment, one account of `provider` and a subscription to `eventTypes` at a fresh receiver. */
  const connect = async (provider: string, account: Record<string, unknown>, eventTypes: string[]) => {
    const environment = await hub.createEnvironment(provider);
    const created = await hub.call('POST', '/v1/integrated-accounts', { token: environment.apiKey, body: { provider, ...account } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const endpoint = await startReceiver();
    receivers.push(endpoint);
    const subscription = await hub.call('POST', '/v1/subscriptions', { token: environment.apiKey, body: { url: endpoint.url, event_types: eventTypes } });
    expect(subscription.status, JSON.stringify(subscription.body)).toBe(201);
    return { apiKey: environment.apiKey, accountId: created.body.id as string, url: created.body.webhook_url as string, endpoint };
  };
  const delivered = (endpoint: Receiver) => endpoint.delivered().map((d) => JSON.parse(d.body) as Record<string, any>);

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url, { SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150,150' });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await hub?.close();
    await nats?.stop();
  });

  describe('Microsoft Graph', () => {
    /** The account's secret is both the URL token (`?token=`) and the subscription's clientState. */
    const clientState = secret('graph');
    let graph: Awaited<ReturnType<typeof connect>>;
    let notificationUrl: string;
    const notification = (state: string, userId: string, changeType = 'updated') => ({
      subscriptionId: '7f105c7d-2dc5-4530-97cd-4e7ae6534c07',
      subscriptionExpirationDateTime: '2026-03-20T11:00:00.0000000Z',
      clientState: state,
      changeType,
      resource: `Users/${userId}`,
      tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
      resourceData: { '@odata.type': '#Microsoft.Graph.User', '@odata.id': `Users/${userId}`, id: userId },
    });

    beforeAll(async () => {
      graph = await connect('microsoft-graph', { webhook_secret: clientState }, ['hris/*']);
      notificationUrl = withQuery(graph.url, { token: clientState });
    });

    it('echoes the URL-decoded validationToken as text/plain, byte for byte, and stores nothing', async () => {
      const token = 'Validation: Testing client application reachability for subscription Request-Id: 3b3f9821-ce3f-4d4c-a2a1-f2a5e7b3e3f8 +&=é';
      const before = await rawCount();
      const started = Date.now();
      const answer = await post(withQuery(notificationUrl, { validationToken: token }), 'text/plain; charset=utf-8', '');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(answer.status).toBe(200);
      expect(answer.contentType).toBe('text/plain');
      expect(answer.bytes.equals(Buffer.from(token, 'utf8'))).toBe(true);
      expect(await rawCount()).toBe(before);
      expect(graph.endpoint.received).toHaveLength(0);
    });

    it('delivers a notification whose clientState is the account secret, without the clientState', async () => {
      const userId = '4c1d3ae4-1c2b-4b5e-9d37-2f0a6b1c9e01';
      const answer = await post(notificationUrl, 'application/json', JSON.stringify({ value: [notification(clientState, userId, 'created')] }));
      expect(answer.status, answer.text).toBe(200);
      const [event] = await eventually('the Graph event', () => graph.endpoint.delivered().length === 1 && delivered(graph.endpoint));
      expect(event).toMatchObject({
        type: 'hris/employees:created',
        provider: 'microsoft-graph',
        integrated_account_id: graph.accountId,
        record_id: userId,
        data: { remote_id: userId },
      });
      expect(JSON.stringify(event)).not.toContain(clientState);
    });

    it('refuses a wrong clientState with 401, even with the right URL token, and stores nothing', async () => {
      const before = await rawCount();
      const wrong = await post(notificationUrl, 'application/json', JSON.stringify({ value: [notification(secret('guess'), 'u-wrong')] }));
      expect(wrong.status).toBe(401);
      expect(wrong.contentType.split(';')[0]).toBe('application/problem+json');
      expect(wrong.json).toMatchObject({ status: 401, code: 'SWY_ERR_TOKEN_INVALID' });

      // One foreign item spoils the batch: nothing of it is kept.
      const mixed = await post(notificationUrl, 'application/json', JSON.stringify({ value: [notification(clientState, 'u-good'), notification('', 'u-empty')] }));
      expect(mixed.status).toBe(401);
      const { clientState: _dropped, ...stateless } = notification(clientState, 'u-none');
      expect((await post(notificationUrl, 'application/json', JSON.stringify({ value: [stateless] }))).status).toBe(401);
      // text/plain is accepted for validation requests only: a text body cannot smuggle a notification past the check.
      expect((await post(notificationUrl, 'text/plain', JSON.stringify({ value: [notification('wrong', 'u-text')] }))).status).toBe(401);
      expect(await rawCount()).toBe(before);
    });

    it('refuses a notification without the URL token, or with another one, before looking at clientState', async () => {
      const before = await rawCount();
      const body = JSON.stringify({ value: [notification(clientState, 'u-forged')] });
      expect((await post(graph.url, 'application/json', body)).json).toMatchObject({ status: 401, code: 'SWY_ERR_TOKEN_MISSING' });
      const other = secret('other');
      const foreign = JSON.stringify({ value: [notification(other, 'u-forged')] });
      expect((await post(withQuery(graph.url, { token: other }), 'application/json', foreign)).json).toMatchObject({ status: 401, code: 'SWY_ERR_TOKEN_INVALID' });
      expect(await rawCount()).toBe(before);
    });
  });

  describe('verify first: nothing big is parsed before the signature check', () => {
    let graph: Awaited<ReturnType<typeof connect>>;
    const clientState = secret('graph-first');
    /** A valid notification batch padded to ~1 MB of JSON. */
    const big = () => JSON.stringify({ value: Array.from({ length: 1_900 }, (_, i) => ({ clientState, changeType: 'updated', resource: `Users/u-${i}`, pad: 'x'.repeat(380) })) });

    beforeAll(async () => {
      graph = await connect('microsoft-graph', { webhook_secret: clientState }, ['hris/*']);
    });

    it('refuses a 1 MB notification with a wrong URL token with the token code and stores nothing', async () => {
      const before = await rawCount();
      const body = big();
      expect(body.length).toBeGreaterThan(900_000);
      const answer = await post(withQuery(graph.url, { token: secret('wrong') }), 'application/json', body);
      expect(answer.json).toMatchObject({ status: 401, code: 'SWY_ERR_TOKEN_INVALID' });
      expect(await rawCount()).toBe(before);
    });

    it('refuses a validation request whose body exceeds the unsigned handshake budget, echoing nothing', async () => {
      const before = await rawCount();
      const answer = await post(withQuery(graph.url, { validationToken: 'echo-me' }), 'text/plain', 'x'.repeat(5_000));
      expect(answer.json).toMatchObject({ status: 413, code: 'SWY_ERR_HANDSHAKE_TOO_LARGE' });
      expect(answer.text).not.toContain('echo-me');
      expect(await rawCount()).toBe(before);
    });

    it("still answers HiBob's unsigned ping test before verification, storing nothing", async () => {
      const hibob = await connect('hibob', { webhook_secret: secret('hibob') }, ['hris/*']);
      const before = await rawCount();
      expect((await post(hibob.url, 'text/plain', 'Ping test')).status).toBe(200);
      expect((await post(hibob.url, 'application/json', JSON.stringify({ text: 'Ping test' }))).status).toBe(200);
      expect(await rawCount()).toBe(before);
    });

    it('refuses a verified notification nested too deeply with 400 and stores nothing', async () => {
      const before = await rawCount();
      const deep = `{"value":[{"clientState":${JSON.stringify(clientState)},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
      const answer = await post(withQuery(graph.url, { token: clientState }), 'application/json', deep);
      expect(answer.json).toMatchObject({ status: 400, code: 'SWY_ERR_BODY_TOO_DEEP' });
      expect(await rawCount()).toBe(before);
      expect(graph.endpoint.received).toHaveLength(0);
    });
  });

  describe('Gusto', () => {
    const tokenA = '6590f590-3dba-495e-9bea-c361e1e2efc0';
    const tokenB = 'b7c1a2d3-0000-4000-8000-00000000beef';
    let gusto: Awaited<ReturnType<typeof connect>>;
    const sign = (key: string, body: string) => ({ 'x-gusto-signature': createHmac('sha256', key).update(body, 'utf8').digest('hex') });
    const event = (entityUuid: string, eventType = 'employee.updated') =>
      JSON.stringify({
        uuid: `${randomBytes(4).toString('hex')}-48a9-4f1c-932a-546413a26ad1`,
        event_type: eventType,
        resource_type: 'Company',
        resource_uuid: '7779b433-56d4-4729-9fba-7ccbcc2b094e',
        entity_type: 'Employee',
        entity_uuid: entityUuid,
        timestamp: 1_790_000_000,
      });
    const hasSecret = async () => (await hub.call('GET', `/v1/integrated-accounts/${gusto.accountId}`, { token: gusto.apiKey })).body.has_webhook_secret as boolean;

    beforeAll(async () => {
      gusto = await connect('gusto', {}, ['hris/employees:*']);
    });

    it('refuses events while the account has no secret yet', async () => {
      expect(await hasSecret()).toBe(false);
      const body = event('e-too-early');
      expect((await post(gusto.url, 'application/json', body, sign(tokenA, body))).json).toMatchObject({ status: 401, code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
    });

    const tokenPost = (token: string) => post(gusto.url, 'application/json', JSON.stringify({ verification_token: token, webhook_subscription_uuid: 'c5fdae57-5483-4529-9aae-f0edceed92d4' }));
    const account = async () => (await hub.call('GET', `/v1/integrated-accounts/${gusto.accountId}`, { token: gusto.apiKey })).body as Record<string, any>;
    const confirm = (token: string) => hub.call('POST', `/v1/integrated-accounts/${gusto.accountId}/verification/confirm`, { token: gusto.apiKey, body: { token } });

    it('refuses a token POST while no verification window is open, and a webhook signed with that token', async () => {
      const before = await rawCount();
      expect((await tokenPost(tokenB)).json).toMatchObject({ status: 403, code: 'SWY_ERR_CAPTURE_CLOSED' });
      expect(await account()).toMatchObject({ has_webhook_secret: false, verification: { open_until: null, token_pending: false } });
      const forged = event('e-forged-outside-window');
      expect((await post(gusto.url, 'application/json', forged, sign(tokenB, forged))).json).toMatchObject({ status: 401, code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
      expect(await rawCount()).toBe(before);
    });

    it('keeps a token POSTed inside the opened window as pending: it signs nothing yet', async () => {
      const opened = await hub.call('POST', `/v1/integrated-accounts/${gusto.accountId}/verification`, { token: gusto.apiKey, body: {} });
      expect(opened.status, JSON.stringify(opened.body)).toBe(200);
      const until = Date.parse(opened.body.verification.open_until as string);
      expect(until - Date.now()).toBeGreaterThan(9 * 60_000);
      expect(until - Date.now()).toBeLessThanOrEqual(10 * 60_000);
      const before = await rawCount();
      const answer = await tokenPost(tokenA);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
      expect(await account()).toMatchObject({ has_webhook_secret: false, verification: { token_pending: true } });
      expect(JSON.stringify(await account())).not.toContain(tokenA);
      const early = event('e-pending-token');
      expect((await post(gusto.url, 'application/json', early, sign(tokenA, early))).json).toMatchObject({ status: 401, code: 'SWY_ERR_WEBHOOK_SECRET_UNSET' });
      expect(await rawCount()).toBe(before);
    });

    it('refuses a different second token in the window without replacing the pending one; a retry is fine', async () => {
      expect((await tokenPost(tokenB)).json).toMatchObject({ status: 409, code: 'SWY_ERR_CAPTURE_CONFLICT' });
      expect((await tokenPost(tokenA)).status).toBe(200);
    });

    it('confirms only the pending token; then it is the webhook secret and the window closes', async () => {
      expect(await confirm(tokenB)).toMatchObject({ status: 422, body: { code: 'SWY_ERR_CAPTURE_MISMATCH' } });
      expect(await account()).toMatchObject({ has_webhook_secret: false, verification: { token_pending: true } });
      const confirmed = await confirm(tokenA);
      expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
      expect(confirmed.body).toMatchObject({ has_webhook_secret: true, verification: { open_until: null, token_pending: false } });
    });

    it('delivers an event signed with the confirmed token', async () => {
      const body = event('1b2c3d4e-0000-4000-8000-000000000001', 'employee.created');
      const answer = await post(gusto.url, 'application/json', body, sign(tokenA, body));
      expect(answer.status, answer.text).toBe(200);
      const [delivery] = await eventually('the Gusto event', () => gusto.endpoint.delivered().length === 1 && delivered(gusto.endpoint));
      expect(delivery).toMatchObject({
        type: 'hris/employees:created',
        provider: 'gusto',
        integrated_account_id: gusto.accountId,
        record_id: '1b2c3d4e-0000-4000-8000-000000000001',
        timestamp: '2026-09-21T14:13:20.000Z',
      });
    });

    it('refuses a later token POST once confirmed: the confirmed token keeps signing, the new one signs nothing', async () => {
      expect((await tokenPost(tokenB)).json).toMatchObject({ status: 403, code: 'SWY_ERR_CAPTURE_CLOSED' });
      const before = await rawCount();
      const body = event('e-second-token');
      expect((await post(gusto.url, 'application/json', body, sign(tokenB, body))).json).toMatchObject({ status: 401, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
      expect(await rawCount()).toBe(before);
      const genuine = event('e-still-first-token');
      expect((await post(gusto.url, 'application/json', genuine, sign(tokenA, genuine))).status).toBe(200);
      await eventually('the event signed with the first token', () => delivered(gusto.endpoint).some((e) => e.record_id === 'e-still-first-token'));
      expect(delivered(gusto.endpoint).map((e) => e.record_id)).not.toContain('e-second-token');
    });

    it('drops a replay of an accepted event after JetStream forgot it: the replay key outlives the 1 h window', async () => {
      const replayKeys = hub.runtime.bus.kv.replay_keys;
      const keyOf = (uuid: string) => `${gusto.accountId}.${createHash('sha256').update(uuid).digest('hex').slice(0, 40)}`;
      // Accepting an event keeps its key (Gusto signs no timestamp: the body verifies forever).
      const first = event('e-replay-first');
      expect((await post(gusto.url, 'application/json', first, sign(tokenA, first))).status).toBe(200);
      expect(await replayKeys.get(keyOf(JSON.parse(first).uuid as string))).not.toBeNull();
      // An event accepted two hours ago is out of RAW's duplicate window but still has its key.
      const old = event('e-replayed-later');
      await replayKeys.put(keyOf(JSON.parse(old).uuid as string), new Date(Date.now() - 2 * 3_600_000).toISOString());
      const before = await rawCount();
      const replay = await post(gusto.url, 'application/json', old, sign(tokenA, old));
      expect(replay.status).toBe(200);
      expect(replay.json).toMatchObject({ duplicate: true });
      expect(await rawCount()).toBe(before);
      await eventually('the first event', () => delivered(gusto.endpoint).some((e) => e.record_id === 'e-replay-first'));
      expect(delivered(gusto.endpoint).map((e) => e.record_id)).not.toContain('e-replayed-later');
    });

    it('refuses a wrong or missing signature', async () => {
      const before = await rawCount();
      const body = event('e-forged');
      expect((await post(gusto.url, 'application/json', body, sign(secret('not-the-token'), body))).json).toMatchObject({ status: 401, code: 'SWY_ERR_SIGNATURE_MISMATCH' });
      expect((await post(gusto.url, 'application/json', body)).json).toMatchObject({ status: 401, code: 'SWY_ERR_SIGNATURE_MISSING' });
      const signed = sign(tokenA, body);
      expect((await post(gusto.url, 'application/json', body.replace('employee.updated', 'employee.deleted'), signed)).status).toBe(401);
      expect(await rawCount()).toBe(before);
    });
  });

  describe('Salesforce Outbound Messaging', () => {
    const token = secret('sf');
    const organizationId = '00D5e000000AAAAEAA';
    let salesforce: Awaited<ReturnType<typeof connect>>;
    let soap: string;
    /** The fixture message with fresh notification ids (the delivery key), so each test sends a new message. */
    const message = (organizationIdInMessage = organizationId) => {
      const n = randomBytes(3).toString('hex').toUpperCase();
      return soap
        .replace('<Id>04l5e00000CCCCCAAJ</Id>', `<Id>04l5e00${n}CAAJ</Id>`)
        .replace('<Id>04l5e00000CCCCDAAJ</Id>', `<Id>04l5e00${n}DAAJ</Id>`)
        .replace(`<OrganizationId>${organizationId}</OrganizationId>`, `<OrganizationId>${organizationIdInMessage}</OrganizationId>`);
    };
    const deadLetters = () => readStream(hub.runtime.bus, 'DEAD', `dead.normalizer.salesforce.${salesforce.accountId}`);

    beforeAll(async () => {
      const fixture = JSON.parse(await readFile(`${defaultMappingsDir()}/salesforce/fixtures/request.json`, 'utf8')) as { body: string };
      soap = fixture.body;
      salesforce = await connect('salesforce', { webhook_secret: token, config: { organization_id: organizationId } }, ['crm/*']);
    });

    it('answers the exact SOAP Ack as text/xml and delivers one event per Notification', async () => {
      const url = withQuery(salesforce.url, { token });
      const body = message();
      const answer = await post(url, 'text/xml; charset=utf-8', body);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.contentType).toBe('text/xml; charset=utf-8');
      expect(answer.bytes.equals(Buffer.from(SALESFORCE_ACK, 'utf8'))).toBe(true);

      const events = await eventually('two Salesforce events', () => salesforce.endpoint.delivered().length === 2 && delivered(salesforce.endpoint));
      expect(events.map((e) => `${e.type} ${e.record_id}`).sort()).toEqual(['crm/accounts:updated 0015e00000EEEEEAAA', 'crm/contacts:updated 0035e00000DDDDDAAA']);
      const contact = events.find((e) => e.resource === 'contacts')!;
      expect(contact).toMatchObject({ provider: 'salesforce', integrated_account_id: salesforce.accountId, data: { first_name: 'Ana', last_name: 'Ruiz' } });
      expect(contact.data.email_addresses).toEqual([{ email_address: 'ana.ruiz@example.com', email_address_type: 'work' }]);

      // Salesforce retries the same message until it sees the Ack: the retry is acked again and delivers nothing new.
      const before = await rawCount();
      const retry = await post(url, 'text/xml; charset=utf-8', body);
      expect(retry.text).toBe(SALESFORCE_ACK);
      expect(await rawCount()).toBe(before);
    });

    it('refuses a wrong or missing URL token with 401 and stores nothing', async () => {
      const before = await rawCount();
      const wrong = await post(withQuery(salesforce.url, { token: secret('sf') }), 'text/xml', message());
      expect(wrong).toMatchObject({ status: 401, json: { code: 'SWY_ERR_TOKEN_INVALID' } });
      expect((await post(salesforce.url, 'text/xml', message())).json).toMatchObject({ status: 401, code: 'SWY_ERR_TOKEN_MISSING' });
      expect(await rawCount()).toBe(before);
    });

    it('acks malformed XML with the right token, keeps it, and the normalizer dead-letters it as unparsable', async () => {
      const malformed = '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope><soapenv:Body><notifications><OrganizationId>00D';
      const answer = await post(withQuery(salesforce.url, { token }), 'text/xml', malformed);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(SALESFORCE_ACK);
      const dead = await eventually('the unparsable dead letter', async () => {
        const found = (await deadLetters()).filter((m) => m.headers['swy-error-code'] === 'SWY_ERR_BODY_UNPARSABLE');
        return found.length === 1 && found;
      });
      expect(dead[0]!.body).toBe(malformed);
    });

    it('acks a message from another organization but dead-letters it instead of delivering it', async () => {
      const delivered = salesforce.endpoint.delivered().length;
      const answer = await post(withQuery(salesforce.url, { token }), 'text/xml', message('00D7f000000ZZZZEAA'));
      expect(answer.text).toBe(SALESFORCE_ACK);
      const dead = await eventually('the foreign-org dead letter', async () => {
        const found = (await deadLetters()).filter((m) => m.headers['swy-error-code'] === 'SWY_ERR_MAPPING_FAILED');
        return found.length === 1 && found;
      });
      expect(dead[0]!.headers['swy-error-message']).toContain("OrganizationId '00D7f000000ZZZZEAA' is not this account's organization_id");
      expect(salesforce.endpoint.delivered()).toHaveLength(delivered);
    });
  });
});
