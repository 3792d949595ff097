import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { normalizerCaughtUp } from '../harness/streams.js';
import { eventually } from '../harness/wait.js';
import { rawSubject } from '@switchyard/contracts';
import { startAdpApi, type AdpApi } from '../simulators/adp-api.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const SLUG = 'adp-workforce-now';

/**
 * Polling ADP Workforce Now's event-notification queue (docs/polling.md), through a real hub on a real
 * nats-server against the ADP simulator: a worker change at ADP becomes one event at the subscriber,
 * and a message leaves ADP's queue only after its event is durable on JetStream.
 */
describe('polling: ADP Workforce Now event notifications', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let receiver: Receiver;
  let adp: AdpApi;
  let dir: string;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  /** Accounts of the running test: all share the simulator's one client queue, so each test removes its own. */
  let accounts: string[] = [];
  const hubEnv = (): Record<string, string> => ({
    SWITCHYARD_MAPPINGS_DIR: dir,
    SWITCHYARD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    SWITCHYARD_POLL_TICK_MS: '100',
    SWITCHYARD_POLL_INTERVAL_MS: '150',
    SWITCHYARD_POLL_BACKOFF_MS: '150',
    SWITCHYARD_POLL_BACKOFF_MAX_MS: '300',
    SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150',
  });
  const connectAccount = async (secret = 'adp-secret') => {
    const created = await hub.call('POST', '/v1/integrated-accounts', { token: env.apiKey, body: { provider: SLUG, credentials: { client_id: 'adp-client', client_secret: secret }, config: { base_url: adp.url } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    accounts.push(created.body.id);
    return created.body.id as string;
  };
  const delivered = (recordId: string) => receiver.delivered().map((d) => JSON.parse(d.body)).filter((e) => e.record_id === recordId);
  /** RAW's newest message for the account, if any. */
  const rawOf = (accountId: string) => jsm.streams.getMessage('RAW', { last_by_subj: rawSubject({ provider: SLUG, account: accountId }) }).catch(() => null);
  /** The account's poll state, read from the `polls` bucket. */
  const pollState = async (accountId: string) => {
    const message = await jsm.streams.getMessage('KV_polls', { last_by_subj: `$KV.polls.${accountId}_hris_employees` }).catch(() => null);
    return message ? message.json<any>() : undefined;
  };

  beforeAll(async () => {
    adp = await startAdpApi({ clientId: 'adp-client', clientSecret: 'adp-secret' });
    rememberSecret('ADP client secret', 'adp-secret');
    // The shipped definition, with the token endpoint at the simulator instead of accounts.adp.com.
    dir = await mkdtemp(join(tmpdir(), 'swy-adp-'));
    await cp(join(MAPPINGS, SLUG), join(dir, SLUG), { recursive: true });
    const file = join(dir, SLUG, 'provider.json');
    const definition = JSON.parse(await readFile(file, 'utf8'));
    definition.api.auth.token_url = `${adp.url}/auth/oauth/v2/token`;
    await writeFile(file, JSON.stringify(definition));
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    receiver = await startReceiver();
    hub = await startTestHub(nats.url, hubEnv());
    env = await hub.createEnvironment('adp');
    const subscription = await hub.call('POST', '/v1/subscriptions', { token: env.apiKey, body: { url: receiver.url, event_types: ['hris/employees:*'] } });
    expect(subscription.status).toBe(201);
  });

  afterEach(async () => {
    adp.onDelete = undefined;
    adp.throttleReads = 0;
    for (const id of accounts) await hub.call('DELETE', `/v1/integrated-accounts/${id}`, { token: env.apiKey });
    accounts = [];
    adp.queue.length = 0;
  });

  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
    await nc?.close();
    await nats?.stop();
    await adp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a hire at ADP is delivered once as hris/employees:created with origin poll and the fetched worker; the message is deleted only after RAW stored it', async () => {
    const accountId = await connectAccount();
    const onRawAtDelete: boolean[] = [];
    adp.onDelete = async () => {
      onRawAtDelete.push((await rawOf(accountId)) !== null);
      return undefined;
    };
    const aoid = adp.hire({ givenName: 'Ana', familyName1: 'Costa' });
    const [event] = await eventually('the hire delivered', () => delivered(aoid).length > 0 && delivered(aoid));
    expect(event).toMatchObject({
      type: 'hris/employees:created',
      origin: 'poll',
      provider: SLUG,
      integrated_account_id: accountId,
      data: { remote_id: aoid, first_name: 'Ana', last_name: 'Costa', work_email: 'ana.costa@example.com', employment_status: 'active' },
      enrichment: { status: 'done' },
    });
    expect(adp.queue).toHaveLength(0);
    expect(onRawAtDelete).toEqual([true]);

    adp.terminate(aoid);
    await eventually('the termination delivered', () => delivered(aoid).length === 2);
    expect(delivered(aoid).map((e) => e.type)).toEqual(['hris/employees:created', 'hris/employees:deleted']);
    expect(delivered(aoid)[1]).toMatchObject({ origin: 'poll', data: { remote_id: aoid, employment_status: 'terminated' } });
    await eventually('the final state', async () => { const s = await pollState(accountId); return s?.events_emitted === 2 && s.head === null && s.last_error === null; });
    // The unified read of the same workers, paged with $top/$skip.
    const listed = await hub.call('GET', `/unified/hris/employees?integrated_account_id=${accountId}&limit=1`, { token: env.apiKey });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.result[0]).toMatchObject({ remote_id: aoid, first_name: 'Ana', employment_status: 'terminated', termination_date: '2026-03-10' });
  });

  it('replaying RAW runs polled messages through the poll mapping again: nothing dead-lettered, nothing delivered twice', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const accountId = await connectAccount();
    const aoid = adp.hire({ givenName: 'Fay', familyName1: 'Orr' });
    await eventually('the hire delivered', () => delivered(aoid).length === 1);
    const replay = await hub.call('POST', '/v1/raw/replay', { token: env.apiKey, body: { since, integrated_account_id: accountId } });
    expect(replay.status, JSON.stringify(replay.body)).toBe(202);
    const job = await eventually('the replay done', async () => {
      const state = (await hub.call('GET', `/v1/replays/${replay.body.id}`, { token: env.apiKey })).body;
      return state.status === 'done' && state;
    });
    expect(job.republished).toBe(1);
    // The replayed message went through the mapping (RAW → normalizer) and made the same event id.
    const replayed = await eventually('the replayed message normalized', () => normalizerCaughtUp(jsm));
    expect(replayed).toBe(true);
    expect((await hub.call('GET', '/v1/dead-letters', { token: env.apiKey })).body.data).toEqual([]);
    expect(delivered(aoid)).toHaveLength(1);
  });

  it('a DELETE ADP refuses leaves the message at the head; the next poll only deletes it, and the change is delivered once', async () => {
    const accountId = await connectAccount();
    const aoid = adp.hire({ givenName: 'Bo', familyName1: 'Lind' });
    await eventually('the hire delivered', () => delivered(aoid).length === 1);
    let refusals = 0;
    adp.onDelete = async () => (refusals++ === 0 ? 503 : undefined);
    adp.rename(aoid, 'Lindqvist');
    const [message] = adp.queue;
    await eventually('the refusal recorded', async () => (await pollState(accountId))?.last_error?.code === 'SWY_ERR_PROVIDER_ERROR' || adp.queue.length === 0);
    await eventually('the message deleted', () => adp.queue.length === 0);
    expect(adp.calls.filter((c) => c === `DELETE /core/v1/event-notification-messages/${message!.id}`)).toHaveLength(2);
    await eventually('the rename delivered', () => delivered(aoid).length === 2);
    expect(delivered(aoid).map((e) => e.type)).toEqual(['hris/employees:created', 'hris/employees:updated']);
    expect(delivered(aoid)[1]).toMatchObject({ origin: 'poll', data: { last_name: 'Lindqvist' } });
    await eventually('the final state', async () => { const s = await pollState(accountId); return s?.events_emitted === 2 && s.head === null && s.last_error === null; });
  });

  it('a hub stopped between the publish and the DELETE: another hub finds the head already published and delivers nothing twice', async () => {
    const accountId = await connectAccount();
    const aoid = adp.hire({ givenName: 'Cy', familyName1: 'Moss' });
    let stopping: Promise<void> | undefined;
    adp.onDelete = async () => {
      // The first hub goes away with the message published and not deleted.
      stopping ??= hub.close();
      return 503;
    };
    await eventually('the first hub stopped', () => stopping !== undefined);
    await stopping;
    expect(adp.queue).toHaveLength(1);
    const published = await rawOf(accountId);
    expect(published?.header.get('swy-origin')).toBe('poll');
    adp.onDelete = undefined;
    hub = await startTestHub(nats.url, hubEnv());
    await eventually('the message deleted by the second hub', () => adp.queue.length === 0);
    await eventually('the hire delivered', () => delivered(aoid).length === 1);
    // The second hub did not publish the head again: RAW still ends with the first hub's message.
    expect((await rawOf(accountId))?.seq).toBe(published?.seq);
    expect(delivered(aoid)).toHaveLength(1);
  });

  it('with two hubs on the same NATS, each message is taken by one of them and delivered once', async () => {
    const second = await startTestHub(nats.url, hubEnv());
    try {
      await connectAccount();
      const callsBefore = adp.calls.length;
      const hired = [adp.hire({ givenName: 'Gil', familyName1: 'Pratt' }), adp.hire({ givenName: 'Hal', familyName1: 'Quist' }), adp.hire({ givenName: 'Ida', familyName1: 'Roe' })];
      await eventually('every hire delivered', () => hired.every((aoid) => delivered(aoid).length >= 1));
      await eventually('the queue drained', () => adp.queue.length === 0);
      for (const aoid of hired) expect(delivered(aoid).map((e) => e.type)).toEqual(['hris/employees:created']);
      // One lock per account: no message was read and deleted by both hubs.
      expect(adp.calls.slice(callsBefore).filter((c) => c.startsWith('DELETE '))).toHaveLength(3);
    } finally {
      await second.close();
    }
  });

  it('a throttled queue read (429, Retry-After) is recorded as SWY_ERR_PROVIDER_RATE_LIMITED and the message is delivered once afterwards', async () => {
    const accountId = await connectAccount();
    adp.throttleReads = 1;
    const aoid = adp.hire({ givenName: 'Ed', familyName1: 'Holm' });
    const state = await eventually('the throttling recorded', async () => {
      const s = await pollState(accountId);
      return s?.last_error ? s : undefined;
    });
    expect(state.last_error).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider_status: 429 });
    expect(state.events_emitted).toBe(0);
    await eventually('the hire delivered after the wait', () => delivered(aoid).length === 1);
    expect(adp.queue).toHaveLength(0);
    await eventually('the final state', async () => { const s = await pollState(accountId); return s?.events_emitted === 1 && s.last_error === null; });
  });

  it('refused credentials: the poll state shows SWY_ERR_PROVIDER_UNAUTHORIZED and the queue is left as it was', async () => {
    const accountId = await connectAccount('wrong-secret');
    adp.hire({ givenName: 'Di', familyName1: 'Nash' });
    const state = await eventually('the failure recorded', async () => {
      const s = await pollState(accountId);
      return s?.last_error ? s : undefined;
    });
    expect(state.last_error).toMatchObject({ code: 'SWY_ERR_PROVIDER_UNAUTHORIZED' });
    expect(state.events_emitted).toBe(0);
    const view = await hub.call('GET', `/v1/integrated-accounts/${accountId}/polling`, { token: env.apiKey });
    expect(view.body).toMatchObject({ integrated_account_id: accountId, provider: SLUG });
    expect(view.body.resources).toEqual([
      expect.objectContaining({ resource: 'hris/employees', source: 'queue', events_emitted: 0, pending_ack: false, cursor: null, last_error: expect.objectContaining({ code: 'SWY_ERR_PROVIDER_UNAUTHORIZED' }) }),
    ]);
    expect(JSON.stringify(view.body)).not.toContain('wrong-secret');
    // Operators see it in /metrics: the error count by code, and the lag of the stuck queue.
    await eventually('the poll error in /metrics', async () => {
      const metrics = await (await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${hub.metricsToken}` } })).text();
      return /switchyard_poll_errors_total\{provider="adp-workforce-now",code="SWY_ERR_PROVIDER_UNAUTHORIZED"\} [1-9]/.test(metrics) && /switchyard_poll_lag_seconds\{provider="adp-workforce-now",resource="hris\/employees"\} \d/.test(metrics);
    });
    expect(adp.queue).toHaveLength(1);
    expect(await rawOf(accountId)).toBeNull();
  });
});
