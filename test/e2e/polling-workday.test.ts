import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort } from '@switchyard/nats-server';
import { rawSubject } from '@switchyard/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startChildHub, type ChildHub } from '../harness/child-hub.js';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { startWorkdayApi, type WorkdayApi } from '../simulators/workday-api.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const SLUG = 'workday';
const TENANT = 'acme_preview';
const ISU = { username: `ISU_Switchyard@${TENANT}`, password: 'wd-isu-password&<1' };

/**
 * Polling Workday's SOAP `Get_Workers` transaction log (docs/polling.md, mappings/workday) through a
 * real hub on a real nats-server, against a simulator that answers SOAP envelopes: a worker hired,
 * changed and terminated is one created, one updated and one deleted event; windows spanning several
 * pages survive a hub killed with SIGKILL mid-window and a second hub polling the same account; a
 * SOAP fault or refused credentials leave the cursor where it was.
 */
describe('polling: Workday Get_Workers transaction log', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let receiver: Receiver;
  let wd: WorkdayApi;
  let dir: string;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  let accounts: string[] = [];
  let seq = 0;
  /** True while the kill test has the in-process hub stopped (afterEach starts it again if the test failed there). */
  let hubStopped = false;
  const hubEnv = (): Record<string, string> => ({
    SWITCHYARD_MAPPINGS_DIR: dir,
    SWITCHYARD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    SWITCHYARD_POLL_TICK_MS: '100',
    SWITCHYARD_POLL_INTERVAL_MS: '150',
    SWITCHYARD_POLL_BACKOFF_MS: '150',
    SWITCHYARD_POLL_BACKOFF_MAX_MS: '300',
    // A hub killed holding the poller lease or an account's lock keeps them this long.
    SWITCHYARD_POLL_LEASE_MS: '3000',
    SWITCHYARD_POLL_LOCK_MS: '3000',
    SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150',
  });
  const connectAccount = async (password = ISU.password) => {
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: env.apiKey,
      body: {
        provider: SLUG,
        credentials: { username: ISU.username, password },
        config: { host: 'wd2-impl-services1.workday.com', tenant: TENANT, report_owner: 'ISU_Switchyard', workers_report: 'Switchyard_Workers', base_url: `${wd.url}/ccx` },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    accounts.push(created.body.id);
    return created.body.id as string;
  };
  const events = () => receiver.delivered().map((d) => JSON.parse(d.body));
  const delivered = (recordId: string) => events().filter((e) => e.record_id === recordId);
  /** Distinct events (by id) per record: a delivery retried after a crash is the same event. */
  const distinct = (recordId: string) => [...new Map(delivered(recordId).map((e) => [e.id, e])).values()];
  /** The account's state as kept in the `polls` bucket (undefined before its first run ends). */
  const pollState = async (accountId: string) => {
    const message = await jsm.streams.getMessage('KV_polls', { last_by_subj: `$KV.polls.${accountId}_hris_employees` }).catch(() => null);
    return message && message.data.length > 0 ? message.json<any>() : undefined;
  };
  const pollView = async (accountId: string) => (await hub.call('GET', `/v1/integrated-accounts/${accountId}/polling`, { token: env.apiKey })).body.resources?.[0];
  const morePolls = async (n: number) => {
    const target = wd.calls.length + n;
    await eventually(`${n} more Get_Workers calls`, () => wd.calls.length >= target);
  };
  const hire = (first: string, last: string, id = String(21000 + ++seq)) => {
    wd.hire({ id, firstName: first, lastName: last, email: `${first}.${last}@acme.example`, title: 'Analyst', hireDate: '2026-02-01' });
    return id;
  };

  beforeAll(async () => {
    wd = await startWorkdayApi({ tenant: TENANT, ...ISU, reportOwner: 'ISU_Switchyard', report: 'Switchyard_Workers' });
    rememberSecret('Workday ISU password', ISU.password);
    dir = await mkdtemp(join(tmpdir(), 'swy-wd-'));
    await cp(join(MAPPINGS, SLUG), join(dir, SLUG), { recursive: true });
    // Two workers a page, so a handful of changes spans several pages of one window.
    const definition = JSON.parse(await readFile(join(dir, SLUG, 'provider.json'), 'utf8'));
    definition.polling.resources['hris/employees'].source.page_size = 2;
    // A 1 s overlap: a window holds the changes since the last run, not every test's workers.
    definition.polling.resources['hris/employees'].source.overlap_s = 1;
    // Same clock as the simulator: no need to stay behind it (changes show up at once).
    definition.polling.resources['hris/employees'].source.lag_s = 0;
    await writeFile(join(dir, SLUG, 'provider.json'), JSON.stringify(definition));
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    receiver = await startReceiver();
    hub = await startTestHub(nats.url, hubEnv());
    env = await hub.createEnvironment('wd');
    expect((await hub.call('POST', '/v1/subscriptions', { token: env.apiKey, body: { url: receiver.url, event_types: ['hris/employees:*'] } })).status).toBe(201);
  });

  afterEach(async () => {
    wd.beforePage = undefined;
    if (hubStopped) hub = await startTestHub(nats.url, hubEnv());
    hubStopped = false;
    for (const id of accounts) await hub.call('DELETE', `/v1/integrated-accounts/${id}`, { token: env.apiKey });
    accounts = [];
  });

  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
    await nc?.close();
    await nats?.stop();
    await wd?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a worker hired, changed and terminated is one created, one updated and one deleted event, origin poll; the unified read agrees', async () => {
    const accountId = await connectAccount();
    const id = hire('Logan', 'McNeil');
    const [created] = await eventually('the created event', () => delivered(id).length > 0 && delivered(id));
    expect(created).toMatchObject({
      type: 'hris/employees:created',
      origin: 'poll',
      provider: SLUG,
      integrated_account_id: accountId,
      data: { remote_id: id, first_name: 'Logan', last_name: 'McNeil', work_email: 'logan.mcneil@acme.example', job_title: 'Analyst', employment_status: 'active', hire_date: '2026-02-01' },
    });
    wd.change(id, { title: 'Senior Analyst' });
    await eventually('the updated event', () => delivered(id).length >= 2);
    wd.terminate(id, '2026-11-30');
    await eventually('the deleted event', () => delivered(id).length >= 3);
    // Overlapping windows read the worker again: nothing more comes of it.
    await morePolls(3);
    expect(delivered(id).map((e) => [e.type, e.data.job_title, e.data.employment_status])).toEqual([
      ['hris/employees:created', 'Analyst', 'active'],
      ['hris/employees:updated', 'Senior Analyst', 'active'],
      ['hris/employees:deleted', 'Senior Analyst', 'terminated'],
    ]);
    expect(delivered(id)[2].data.termination_date).toBe('2026-11-30');
    const view = await pollView(accountId);
    expect(view).toMatchObject({ resource: 'hris/employees', source: 'modified_since', events_emitted: 3, last_error: null });
    expect(Date.parse(view.cursor)).toBeGreaterThan(Date.parse(created.timestamp) - 1);

    // The unified read (a RaaS report) shows the same worker, terminated.
    const one = await hub.call('GET', `/unified/hris/employees/${id}?integrated_account_id=${accountId}`, { token: env.apiKey });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toMatchObject({ remote_id: id, first_name: 'Logan', job_title: 'Senior Analyst', employment_status: 'terminated', termination_date: '2026-11-30' });
    const list = await hub.call('GET', `/unified/hris/employees?integrated_account_id=${accountId}`, { token: env.apiKey });
    expect(list.body.result.map((r: { remote_id: string }) => r.remote_id)).toContain(id);
  });

  it('a hub killed with SIGKILL in the middle of a multi-page window: a second hub finishes it, no event missing, none doubled', async () => {
    const accountId = await connectAccount();
    await eventually('a first clean run', async () => (await pollState(accountId))?.cursor);
    const rawCount = async () => (await jsm.streams.info('RAW', { subjects_filter: rawSubject({ provider: SLUG, account: accountId }) })).state.subjects?.[rawSubject({ provider: SLUG, account: accountId })] ?? 0;
    // The first run, from the epoch, published the workers of earlier tests for this account.
    const backfilled = await rawCount();
    // The in-process hub steps aside so the child process is the one polling.
    await hub.close();
    hubStopped = true;
    // Read only now: the in-process hub could still finish a (quiet) window until it stopped.
    const before = (await pollState(accountId)).cursor;
    // Ids that sort before earlier tests' workers (pages are in id order), which a window's overlap may
    // read again: page 1 is two of these hires.
    const hired = ['Ana', 'Ben', 'Cai', 'Dov', 'Eda'].map((name, i) => hire(name, 'Kill', String(10001 + i)));
    const port = await freePort();
    const childEnv = {
      ...hubEnv(),
      NATS_URL: nats.url,
      SWITCHYARD_DATA_DIR: await mkdtemp(join(tmpdir(), 'swy-wd-child-')),
      SWITCHYARD_RAW_MAX_BYTES: String(64 * 2 ** 20),
      SWITCHYARD_EVENTS_MAX_BYTES: String(64 * 2 ** 20),
      SWITCHYARD_DELIVERIES_MAX_BYTES: String(32 * 2 ** 20),
      SWITCHYARD_ATTEMPTS_MAX_BYTES: String(32 * 2 ** 20),
      SWITCHYARD_DEAD_MAX_BYTES: String(32 * 2 ** 20),
    };
    let child: ChildHub | undefined;
    let killedAt: number | undefined;
    wd.beforePage = async (page) => {
      // Page 1 was answered and its workers published; the child dies asking for page 2.
      if (page !== 2 || killedAt !== undefined || !child) return;
      killedAt = wd.calls.length;
      await child.stop('SIGKILL');
    };
    try {
      child = await startChildHub(port, childEnv);
      await eventually('the child hub killed mid-window', () => killedAt !== undefined, 30_000);
    } finally {
      await child?.stop('SIGKILL');
      wd.beforePage = undefined;
    }
    // The window is not finished: the cursor did not move.
    expect((await pollState(accountId)).cursor).toBe(before);
    // What the killed hub got durable before it died: page 1's two workers, on RAW.
    expect(await rawCount()).toBe(backfilled + 2);
    hub = await startTestHub(nats.url, hubEnv());
    hubStopped = false;
    await eventually('every hire delivered', () => hired.every((id) => delivered(id).length > 0), 30_000);
    await eventually('the window finished', async () => (await pollState(accountId))?.cursor !== before, 30_000);
    await morePolls(2);
    for (const id of hired) expect(distinct(id).map((e) => e.type), id).toEqual(['hris/employees:created']);
    // The second hub published only the three it had not seen: page 1's were fingerprinted already.
    expect(await rawCount()).toBe(backfilled + 5);
    // The second hub read the window again from page 1 (its records were already fingerprinted).
    expect(wd.calls.slice(killedAt).some((c) => c.page === 1 && c.status === 200)).toBe(true);
  });

  it('with two hubs polling the same account, each change of a multi-page window is delivered once', async () => {
    const second = await startTestHub(nats.url, hubEnv());
    try {
      await connectAccount();
      const hired = ['Fay', 'Gus', 'Hal', 'Ivy', 'Jon'].map((name) => hire(name, 'Twin'));
      await eventually('every hire delivered', () => hired.every((id) => delivered(id).length > 0));
      wd.change(hired[4]!, { lastName: 'Twin-Moss' });
      await eventually('the change delivered', () => delivered(hired[4]!).length >= 2);
      await morePolls(4);
      for (const id of hired.slice(0, 4)) expect(delivered(id).map((e) => e.type), id).toEqual(['hris/employees:created']);
      expect(delivered(hired[4]!).map((e) => [e.type, e.data.last_name])).toEqual([['hris/employees:created', 'Twin'], ['hris/employees:updated', 'Twin-Moss']]);
    } finally {
      await second.close();
    }
  });

  it('a SOAP fault is SWY_ERR_POLL_PROVIDER_FAULT in the poll state with the cursor unchanged, and the change still arrives once', async () => {
    const accountId = await connectAccount();
    await eventually('a first clean run', async () => (await pollState(accountId))?.cursor);
    const before = (await pollState(accountId)).cursor;
    wd.serverFaults = 1;
    const id = hire('Kim', 'Fault');
    const failed = await eventually('the fault recorded', async () => {
      const view = await pollView(accountId);
      return view?.last_error ? view : undefined;
    });
    expect(failed).toMatchObject({ cursor: before, last_error: { code: 'SWY_ERR_POLL_PROVIDER_FAULT', provider_status: 500, detail: expect.stringContaining('SOAP-ENV:Server') } });
    await eventually('the created event', () => delivered(id).length > 0);
    await morePolls(2);
    expect(delivered(id).map((e) => e.type)).toEqual(['hris/employees:created']);
  });

  it('a truncated page is SWY_ERR_POLL_ANSWER_INVALID with the cursor unchanged, and the change still arrives once', async () => {
    const accountId = await connectAccount();
    await eventually('a first clean run', async () => (await pollState(accountId))?.cursor);
    const before = (await pollState(accountId)).cursor;
    wd.garbage = 1;
    const id = hire('Noa', 'Cut');
    const failed = await eventually('the failure recorded', async () => {
      const state = await pollState(accountId);
      return state?.last_error ? state : undefined;
    });
    expect(failed).toMatchObject({ cursor: before, last_error: { code: 'SWY_ERR_POLL_ANSWER_INVALID', provider_status: 200 } });
    await eventually('the created event', () => delivered(id).length > 0);
    await morePolls(2);
    expect(delivered(id).map((e) => e.type)).toEqual(['hris/employees:created']);
  });

  it('a throttled poll (429, Retry-After) is SWY_ERR_PROVIDER_RATE_LIMITED, then the change arrives once', async () => {
    const accountId = await connectAccount();
    await eventually('a first clean run', async () => (await pollState(accountId))?.cursor);
    wd.throttle = 1;
    const id = hire('Lu', 'Slow');
    const failed = await eventually('the throttle recorded', async () => {
      const view = await pollView(accountId);
      return view?.last_error ? view : undefined;
    });
    expect(failed.last_error).toMatchObject({ code: 'SWY_ERR_PROVIDER_RATE_LIMITED', provider_status: 429 });
    await eventually('the created event', () => delivered(id).length > 0);
    expect(delivered(id).map((e) => e.type)).toEqual(['hris/employees:created']);
  });

  it('a refused ISU password: SWY_ERR_PROVIDER_UNAUTHORIZED in the poll state, the cursor not moved, nothing published', async () => {
    hire('Mo', 'Locked');
    const accountId = await connectAccount('not-the-password');
    const view = await eventually('the failure recorded', async () => {
      const v = await pollView(accountId);
      return v?.last_error ? v : undefined;
    });
    expect(view).toMatchObject({ cursor: null, events_emitted: 0, last_error: { code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 500 } });
  });
});
