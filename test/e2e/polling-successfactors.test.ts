import { cp, mkdtemp, rm } from 'node:fs/promises';
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
import { eventually } from '../harness/wait.js';
import { startSuccessFactorsApi, type SuccessFactorsApi } from '../simulators/successfactors-api.js';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const SLUG = 'sap-successfactors';

/**
 * Polling SAP SuccessFactors' OData v2 `lastModifiedDateTime` window (docs/polling.md) through a real
 * hub on a real nats-server: a user created and then changed is one `created` and one `updated` event,
 * however often the overlapping windows re-read it and however many hubs run.
 */
describe('polling: SAP SuccessFactors modified-since', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let receiver: Receiver;
  let sf: SuccessFactorsApi;
  let dir: string;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  let accounts: string[] = [];
  const hubEnv = (): Record<string, string> => ({
    SWITCHYARD_MAPPINGS_DIR: dir,
    SWITCHYARD_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    SWITCHYARD_POLL_TICK_MS: '100',
    SWITCHYARD_POLL_INTERVAL_MS: '150',
    SWITCHYARD_POLL_BACKOFF_MS: '150',
    SWITCHYARD_POLL_BACKOFF_MAX_MS: '300',
    SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150',
  });
  const connectAccount = async (password = 'sf-password') => {
    const created = await hub.call('POST', '/v1/integrated-accounts', {
      token: env.apiKey,
      body: { provider: SLUG, credentials: { username: 'apiuser@acmeco', password }, config: { api_host: 'api4.successfactors.com', base_url: `${sf.url}/odata/v2` } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    accounts.push(created.body.id);
    return created.body.id as string;
  };
  const delivered = (recordId: string) => receiver.delivered().map((d) => JSON.parse(d.body)).filter((e) => e.record_id === recordId);
  const pollState = async (accountId: string) => {
    const message = await jsm.streams.getMessage('KV_polls', { last_by_subj: `$KV.polls.${accountId}_hris_employees` }).catch(() => null);
    // A deleted entry ends in an empty marker.
    return message && message.data.length > 0 ? message.json<any>() : undefined;
  };
  /** Waits until the simulator has answered `n` more list calls. */
  const morePolls = async (n: number) => {
    const target = sf.filters.length + n;
    await eventually(`${n} more polls`, () => sf.filters.length >= target);
  };

  beforeAll(async () => {
    sf = await startSuccessFactorsApi({ username: 'apiuser@acmeco', password: 'sf-password' });
    rememberSecret('SuccessFactors password', 'sf-password');
    dir = await mkdtemp(join(tmpdir(), 'swy-sf-'));
    await cp(join(MAPPINGS, SLUG), join(dir, SLUG), { recursive: true });
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    receiver = await startReceiver();
    hub = await startTestHub(nats.url, hubEnv());
    env = await hub.createEnvironment('sf');
    expect((await hub.call('POST', '/v1/subscriptions', { token: env.apiKey, body: { url: receiver.url, event_types: ['hris/employees:*', 'hris/employments:*'] } })).status).toBe(201);
  });

  afterEach(async () => {
    for (const id of accounts) await hub.call('DELETE', `/v1/integrated-accounts/${id}`, { token: env.apiKey });
    accounts = [];
  });

  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
    await nc?.close();
    await nats?.stop();
    await sf?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a user created, then changed, is one created and one updated event across overlapping windows', async () => {
    sf.upsert({ userId: 'lbrandt', firstName: 'Lea', lastName: 'Brandt', email: 'Lea.Brandt@example.com', status: 't' });
    const accountId = await connectAccount();
    const [created] = await eventually('the created event', () => delivered('lbrandt').length > 0 && delivered('lbrandt'));
    expect(created).toMatchObject({ type: 'hris/employees:created', origin: 'poll', provider: SLUG, integrated_account_id: accountId, data: { remote_id: 'lbrandt', first_name: 'Lea', work_email: 'lea.brandt@example.com', employment_status: 'active' } });
    await morePolls(3);
    expect(delivered('lbrandt')).toHaveLength(1);

    sf.upsert({ userId: 'lbrandt', firstName: 'Lea', lastName: 'Brandt-Ott', email: 'Lea.Brandt@example.com', status: 't' });
    await eventually('the updated event', () => delivered('lbrandt').length === 2);
    await morePolls(3);
    expect(delivered('lbrandt').map((e) => [e.type, e.data.last_name])).toEqual([['hris/employees:created', 'Brandt'], ['hris/employees:updated', 'Brandt-Ott']]);

    // Each window starts overlap_s (300 s) before the previous one ended, so the change was read again, and dropped.
    const windows = sf.filters.slice(-2).map((f) => [...f.matchAll(/datetimeoffset'([^']+)'/g)].map((m) => Date.parse(m[1]!)));
    expect(windows[1]![0]).toBeLessThan(windows[0]![1]!);
    const state = await pollState(accountId);
    expect(state).toMatchObject({ events_emitted: 2, last_error: null });
    expect(Date.parse(state.cursor)).toBeGreaterThan(Date.parse(created.timestamp) - 1);
    const view = await hub.call('GET', `/v1/integrated-accounts/${accountId}/polling`, { token: env.apiKey });
    expect(view.body.resources).toEqual([
      expect.objectContaining({ resource: 'hris/employees', source: 'modified_since', events_emitted: 2, last_error: null, lag_seconds: expect.any(Number), paused: false, missed: null }),
      expect.objectContaining({ resource: 'hris/employments', source: 'modified_since' }),
    ]);
    expect(Date.parse(view.body.resources[0].cursor)).toBeGreaterThan(Date.parse(created.timestamp) - 1);
  });

  it('EmpJob: a future-dated job change is one created segment, and the segment it ends one update, across overlapping windows', async () => {
    const day = (offsetDays: number) => new Date(Math.floor(Date.now() / 86_400_000 + offsetDays) * 86_400_000).toISOString().slice(0, 10);
    const segment = (start: string) => `mnagel|${Date.parse(`${start}T00:00:00Z`)}|1`;
    const [current, future] = [day(-400), day(30)];
    sf.upsertJob({ userId: 'mnagel', startDate: current, jobTitle: 'Analyst', employmentType: 'FT' });
    await connectAccount();
    const [hired] = await eventually('the current segment', () => delivered(segment(current)).length > 0 && delivered(segment(current)));
    expect(hired).toMatchObject({ type: 'hris/employments:created', origin: 'poll', data: { employee_id: 'mnagel', job_title: 'Analyst', employment_type: 'full_time', effective_date: current, end_date: null } });

    // A promotion effective in 30 days, entered today.
    sf.upsertJob({ userId: 'mnagel', startDate: future, jobTitle: 'Team Lead', employmentType: 'FT' });
    const [promoted] = await eventually('the future segment', () => delivered(segment(future)).length > 0 && delivered(segment(future)));
    expect(promoted).toMatchObject({ type: 'hris/employments:created', data: { job_title: 'Team Lead', effective_date: future, end_date: null } });
    await eventually('the ended segment', () => delivered(segment(current)).length === 2);
    await morePolls(3);
    expect(delivered(segment(future))).toHaveLength(1);
    expect(delivered(segment(current)).map((e) => [e.type, e.data.end_date])).toEqual([['hris/employments:created', null], ['hris/employments:updated', day(29)]]);
    expect(sf.empJobs.calls.at(-1)).toMatchObject({ fromDate: '1900-01-01', toDate: '9999-12-31' });

    // Why the date range: asked as of today (OData's default), the same window answers only today's unchanged segment.
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const auth = `Basic ${Buffer.from('apiuser@acmeco:sf-password').toString('base64')}`;
    const asOfToday = await fetch(`${sf.url}/odata/v2/EmpJob?$format=json&$filter=${encodeURIComponent(`lastModifiedDateTime gt datetimeoffset'${since}'`)}`, { headers: { authorization: auth } });
    expect(((await asOfToday.json()) as { d: { results: Array<{ jobTitle: string }> } }).d.results.map((r) => r.jobTitle)).toEqual(['Analyst']);
  });

  it('a pause holds across a hub restart; resume delivers what changed meanwhile, once', async () => {
    const paused = await connectAccount();
    const clock = await connectAccount(); // keeps polling: its runs show the poller is working
    const to = (accountId: string) => delivered('qpause').filter((e) => e.integrated_account_id === accountId);
    await eventually('both polled once', async () => (await pollState(paused))?.cursor && (await pollState(clock))?.cursor);
    const answer = await hub.call('POST', `/v1/integrated-accounts/${paused}/polling/pause`, { token: env.apiKey });
    expect(answer.body.resources.map((r: { paused: boolean }) => r.paused)).toEqual([true, true]);
    await hub.close();
    hub = await startTestHub(nats.url, hubEnv());

    sf.upsert({ userId: 'qpause', firstName: 'Quinn', lastName: 'Pause', email: 'q.pause@example.com', status: 't' });
    await eventually('the unpaused account gets it', () => to(clock).length === 1);
    await morePolls(3);
    expect(to(paused)).toHaveLength(0);
    expect((await hub.call('GET', `/v1/integrated-accounts/${paused}/polling`, { token: env.apiKey })).body.resources[0]).toMatchObject({ paused: true });

    await hub.call('POST', `/v1/integrated-accounts/${paused}/polling/resume`, { token: env.apiKey });
    const [event] = await eventually('delivered after the resume', () => to(paused).length > 0 && to(paused));
    expect(event).toMatchObject({ type: 'hris/employees:created', origin: 'poll', data: { first_name: 'Quinn' } });
    await morePolls(2);
    expect(to(paused)).toHaveLength(1);
  });

  it('with two hubs polling the same account, a change is delivered once', async () => {
    const second = await startTestHub(nats.url, hubEnv());
    try {
      await connectAccount();
      sf.upsert({ userId: 'okim', firstName: 'Ok', lastName: 'Kim', email: 'ok.kim@example.com', status: 't' });
      await eventually('the created event', () => delivered('okim').length > 0);
      sf.upsert({ userId: 'okim', firstName: 'Ok', lastName: 'Kim', email: 'ok.kim@example.com', status: 'f' });
      await eventually('the updated event', () => delivered('okim').length >= 2);
      await morePolls(4);
      expect(delivered('okim').map((e) => [e.type, e.data.employment_status])).toEqual([['hris/employees:created', 'active'], ['hris/employees:updated', 'inactive']]);
    } finally {
      await second.close();
    }
  });

  it('a malformed page is SWY_ERR_POLL_ANSWER_INVALID with the cursor unchanged, and the change still arrives once', async () => {
    const accountId = await connectAccount();
    await eventually('a first clean run', async () => (await pollState(accountId))?.cursor);
    const before = (await pollState(accountId)).cursor;
    sf.garbage = 1;
    sf.upsert({ userId: 'pvoss', firstName: 'Pia', lastName: 'Voss', email: 'pia.voss@example.com', status: 't' });
    const failed = await eventually('the failure recorded', async () => {
      const s = await pollState(accountId);
      return s?.last_error ? s : undefined;
    });
    expect(failed).toMatchObject({ cursor: before, last_error: { code: 'SWY_ERR_POLL_ANSWER_INVALID', provider_status: 200 } });
    await eventually('the created event', () => delivered('pvoss').length > 0);
    await morePolls(2);
    expect(delivered('pvoss').map((e) => e.type)).toEqual(['hris/employees:created']);
  });

  it('reads hris/employees through the unified API: every user across $top/$skip pages, and one by id', async () => {
    for (let i = 0; i < 7; i++) sf.upsert({ userId: `ureader${i}`, firstName: `U${i}`, lastName: 'Reader', email: `U${i}.Reader@example.com`, status: i === 6 ? 'f' : 't' });
    const accountId = await connectAccount();
    const seen: Array<{ remote_id: string; work_email: string; employment_status: string }> = [];
    let cursor: string | null = null;
    do {
      const page = await hub.call('GET', `/unified/hris/employees?integrated_account_id=${accountId}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: env.apiKey });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...page.body.result);
      cursor = page.body.next_cursor;
    } while (cursor);
    const readers = seen.filter((u) => u.remote_id.startsWith('ureader'));
    expect(readers.map((u) => u.remote_id).sort()).toEqual([...Array(7).keys()].map((i) => `ureader${i}`));
    expect(new Set(seen.map((u) => u.remote_id)).size).toBe(seen.length);
    expect(readers.find((u) => u.remote_id === 'ureader2')).toMatchObject({ work_email: 'u2.reader@example.com', employment_status: 'active' });
    const one = await hub.call('GET', `/unified/hris/employees/ureader6?integrated_account_id=${accountId}`, { token: env.apiKey });
    expect(one.body).toMatchObject({ remote_id: 'ureader6', first_name: 'U6', employment_status: 'inactive' });
    expect((await hub.call('GET', `/unified/hris/employees/nobody?integrated_account_id=${accountId}`, { token: env.apiKey })).body.code).toBe('SWY_ERR_NOT_FOUND');
  });

  it('reads hris/employments through the unified API: every EmpJob segment over $top/$skip, one by its key, by employee, and updated_after', async () => {
    const auth = { token: env.apiKey };
    const list = async (accountId: string, query: string) => {
      const seen: Array<Record<string, unknown> & { remote_id: string }> = [];
      let cursor: string | null = null;
      do {
        const page = await hub.call('GET', `/unified/hris/employments?integrated_account_id=${accountId}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auth);
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        seen.push(...page.body.result);
        cursor = page.body.next_cursor;
      } while (cursor);
      return seen;
    };
    const ms = (date: string) => Date.parse(`${date}T00:00:00Z`);
    for (let i = 0; i < 4; i++) {
      sf.upsertJob({ userId: `ejread${i}`, startDate: '2023-01-01', jobTitle: 'Analyst', employmentType: 'FT' });
      sf.upsertJob({ userId: `ejread${i}`, startDate: '2025-07-01', jobTitle: 'Senior Analyst', employmentType: i === 3 ? 'PT' : 'FT' });
    }
    sf.upsertJob({ userId: "o'brien", startDate: '2024-02-01', jobTitle: 'Counsel', employmentType: 'FT' });
    const accountId = await connectAccount();

    const readers = (await list(accountId, '&limit=3')).filter((r) => r.remote_id.startsWith('ejread'));
    expect(readers.map((r) => r.remote_id)).toEqual([0, 1, 2, 3].flatMap((i) => [`ejread${i}|${ms('2023-01-01')}|1`, `ejread${i}|${ms('2025-07-01')}|1`]));
    // History and current segment: the first ends the day before the second starts, the second is open-ended.
    expect(readers[0]).toEqual({ id: expect.stringMatching(/^rec_/), remote_id: `ejread0|${ms('2023-01-01')}|1`, employee_id: 'ejread0', job_title: 'Analyst', employment_type: 'full_time', effective_date: '2023-01-01', end_date: '2025-06-30' });
    expect(readers[7]).toMatchObject({ job_title: 'Senior Analyst', employment_type: 'part_time', effective_date: '2025-07-01', end_date: null });
    expect(sf.empJobs.calls.at(-1)).toMatchObject({ fromDate: '1900-01-01', toDate: '9999-12-31', $orderby: 'userId asc,startDate asc,seqNumber asc' });

    const one = await hub.call('GET', `/unified/hris/employments/${encodeURIComponent(readers[7]!.remote_id)}?integrated_account_id=${accountId}&include_remote_data=true`, auth);
    expect(one.body).toMatchObject({ ...readers[7], remote_data: { userId: 'ejread3', seqNumber: 1, jobTitle: 'Senior Analyst' } });
    const missing = await hub.call('GET', `/unified/hris/employments/${encodeURIComponent(`ejread3|${ms('2024-01-01')}|1`)}?integrated_account_id=${accountId}`, auth);
    expect(missing.body).toMatchObject({ status: 404, code: 'SWY_ERR_NOT_FOUND' });
    expect((await hub.call('GET', `/unified/hris/employments/ejread3?integrated_account_id=${accountId}`, auth)).body).toMatchObject({ status: 422, code: 'SWY_ERR_MAPPING_FAILED' });

    // A quote in the employee id stays inside the OData literal, both in a filter and in a key.
    const counsel = await list(accountId, `&employee_id=${encodeURIComponent("o'brien")}&include_remote_data=true`);
    expect(counsel.map((r) => [r.employee_id, r.job_title])).toEqual([["o'brien", 'Counsel']]);
    // The last change stamped so far; the simulator stamps every later change after it.
    const lastStamp = Number(/-?\d+/.exec((counsel[0]!.remote_data as { lastModifiedDateTime: string }).lastModifiedDateTime)![0]);
    expect((await hub.call('GET', `/unified/hris/employments/${encodeURIComponent(counsel[0]!.remote_id)}?integrated_account_id=${accountId}`, auth)).body).toMatchObject({ employee_id: "o'brien", job_title: 'Counsel' });
    expect((await list(accountId, '&employee_id=ejread1')).map((r) => r.effective_date)).toEqual(['2023-01-01', '2025-07-01']);

    // updated_after matches a user on any changed segment, and every segment of that user comes back (KBA 2554717).
    const since = new Date(lastStamp).toISOString();
    sf.upsertJob({ userId: 'ejread2', startDate: '2025-07-01', jobTitle: 'Lead Analyst', employmentType: 'FT' });
    const changed = await list(accountId, `&updated_after=${encodeURIComponent(since)}`);
    expect(changed.map((r) => [r.employee_id, r.job_title])).toEqual([['ejread2', 'Analyst'], ['ejread2', 'Lead Analyst']]);
  });

  it('deleting the account removes its poll state and fingerprints', async () => {
    sf.upsert({ userId: 'rgone', firstName: 'Ro', lastName: 'Gone', email: 'ro.gone@example.com', status: 't' });
    const accountId = await connectAccount();
    await eventually('the created event', () => delivered('rgone').length > 0);
    const fingerprints = async () => {
      // Live fingerprints: subjects whose last message is a value, not a purge marker.
      const info = await jsm.streams.info('KV_poll_fingerprints', { subjects_filter: `$KV.poll_fingerprints.${accountId}.>` });
      let live = 0;
      for (const subject of Object.keys(info.state.subjects ?? {})) if (((await jsm.streams.getMessage('KV_poll_fingerprints', { last_by_subj: subject }))?.data.length ?? 0) > 0) live++;
      return live;
    };
    expect(await fingerprints()).toBeGreaterThan(0);
    expect((await hub.call('DELETE', `/v1/integrated-accounts/${accountId}`, { token: env.apiKey })).status).toBe(204);
    accounts = accounts.filter((id) => id !== accountId);
    await eventually('the poll state removed', async () => (await pollState(accountId)) === undefined);
    await eventually('the fingerprints purged', async () => (await fingerprints()) === 0);
  });

  it('the poll state of an account that does not exist is SWY_ERR_NOT_FOUND', async () => {
    const unknown = await hub.call('GET', '/v1/integrated-accounts/acc_missing/polling', { token: env.apiKey });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'SWY_ERR_NOT_FOUND' } });
  });

  it('refused credentials: SWY_ERR_PROVIDER_UNAUTHORIZED in the poll state, the cursor not moved, nothing published', async () => {
    const accountId = await connectAccount('wrong-password');
    const state = await eventually('the failure recorded', async () => {
      const s = await pollState(accountId);
      return s?.last_error ? s : undefined;
    });
    expect(state).toMatchObject({ cursor: null, events_emitted: 0, last_error: { code: 'SWY_ERR_PROVIDER_UNAUTHORIZED', provider_status: 401 } });
  });
});
