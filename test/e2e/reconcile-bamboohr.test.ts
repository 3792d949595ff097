import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../harness/hub.js';
import { rememberSecret } from '../harness/log-audit.js';
import { startRegistrationRig, type RegistrationRig } from '../harness/registration.js';
import { eventually } from '../harness/wait.js';
import { startBambooHrApi, type BambooHrApi } from '../simulators/bamboohr-api.js';

/**
 * Reconciliation of a push provider (docs/polling.md#reconciliation) through a real hub on a real
 * nats-server against the BambooHR simulator: a change whose webhook never came is found by walking the
 * unified employee list, delivered once with `origin: reconcile` and counted in the poll state; a change
 * whose webhook did come is not delivered again. Walks here run only on `poll-now` (the interval is an hour).
 */
const CLI = fileURLToPath(new URL('../../services/hub/dist/cli.js', import.meta.url));
const run = promisify(execFile);

describe('reconciliation: BambooHR webhooks dropped on the floor', () => {
  let rig: RegistrationRig;
  let hub: TestHub;
  let env: { id: string; apiKey: string };
  let bamboo: BambooHrApi;
  const connect = (config: Record<string, unknown> = {}) => rig.connect({ provider: 'bamboohr', credentials: { api_key: 'bamboo-key' }, config: { subdomain: 'acme', base_url: `${bamboo.url}/api`, ...config } });
  const events = (recordId: string) => rig.delivered(recordId).map((d) => JSON.parse(d.body));
  const polling = async (id: string) => (await hub.call('GET', `/v1/integrated-accounts/${id}/polling`, { token: env.apiKey })).body.resources[0];
  const control = (id: string, action: string) => hub.call('POST', `/v1/integrated-accounts/${id}/polling/${action}`, { token: env.apiKey });
  const edit = (id: string, field: string, value: string) => {
    const employee = bamboo.state.employees.find((e) => e.id === id)!;
    employee[field] = value;
    employee.lastChanged = new Date().toISOString();
  };

  beforeAll(async () => {
    bamboo = await startBambooHrApi({ employees: 5 });
    rememberSecret('BambooHR API key', 'bamboo-key');
    rig = await startRegistrationRig(['hris/employees:*', 'webhook/source:silent'], {
      SWITCHYARD_POLL_TICK_MS: '100',
      SWITCHYARD_POLL_INTERVAL_MS: '3600000',
      SWITCHYARD_DELIVERY_SCHEDULE_MS: '150,150',
    });
    ({ hub, env } = rig);
  });

  afterAll(async () => {
    await rig?.close();
    await bamboo?.close();
  });

  it('a change without its webhook is delivered once with origin reconcile and reported; a change with its webhook is not repeated', async () => {
    const account = await connect({ reconcile: true });
    // The first walk is the baseline: fingerprints recorded, nothing reported (the hub was not watching before).
    const baseline = await eventually('the baseline walk', async () => {
      const state = await polling(account.id);
      return state?.cursor !== null && state;
    });
    expect(baseline).toMatchObject({ source: 'reconcile', paused: false, missed: { last_run: 0, total: 0, last_at: null }, last_error: null });
    expect(rig.delivered('102')).toHaveLength(0);

    // Paused while the changes happen, so no walk runs between a change and its webhook.
    expect((await control(account.id, 'pause')).body.resources[0]).toMatchObject({ paused: true });
    edit('102', 'jobTitle', 'Head of People');
    expect(await bamboo.webhooks.send('employee.updated', '102')).toEqual([200]);
    const [viaWebhook] = await eventually('the webhook delivery', () => events('102').length > 0 && events('102'));
    expect(viaWebhook).toMatchObject({ origin: 'webhook', data: { job_title: 'Head of People' } });
    edit('103', 'firstName', 'Chiara'); // BambooHR's webhook for this one never arrives
    const requested = (await control(account.id, 'poll-now')).body.resources[0];
    expect(requested).toMatchObject({ paused: true });
    expect(requested.poll_requested_at).not.toBeNull();
    expect((await polling(account.id)).missed.total).toBe(0);

    // Resumed: the poll-now asked for while paused runs now.
    await control(account.id, 'resume');
    const found = await eventually('the walk that finds the missed change', async () => {
      const state = await polling(account.id);
      return state.missed.total > 0 && state;
    });
    expect(found).toMatchObject({ paused: false, missed: { last_run: 1, total: 1 }, last_error: null });
    expect(Date.parse(found.missed.last_at)).toBeGreaterThanOrEqual(Date.parse(requested.poll_requested_at));
    const [missed] = await eventually('the reconciled delivery', () => events('103').length > 0 && events('103'));
    expect(missed).toMatchObject({ type: 'hris/employees:updated', origin: 'reconcile', integrated_account_id: account.id, data: { remote_id: '103', first_name: 'Chiara' } });
    const silent = () => rig.receiver.delivered().map((d) => JSON.parse(d.body)).filter((e) => e.type === 'webhook/source:silent' && e.data.integrated_account_id === account.id);
    const [alert] = await eventually('the operational event', () => silent().length > 0 && silent());
    expect(alert).toMatchObject({ environment_id: env.id, data: { provider: 'bamboohr', resource: 'hris/employees', missed: 1, gap: { from: baseline.cursor, to: expect.any(String) } } });
    expect(JSON.stringify(alert)).not.toContain('Chiara');

    // Another walk finds nothing new: neither change is delivered again.
    const before = found.last_run_at;
    await control(account.id, 'poll-now');
    const again = await eventually('a second walk', async () => {
      const state = await polling(account.id);
      return state.last_run_at !== before && state.poll_requested_at <= state.last_run_at && state.missed.last_run === 0 && state;
    });
    expect(again.missed.total).toBe(1);
    expect(events('103')).toHaveLength(1);
    expect(events('102')).toHaveLength(1);
    expect(silent()).toHaveLength(1);
    const metrics = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${hub.metricsToken}` } }).then((r) => r.text());
    expect(metrics).toMatch(/switchyard_reconcile_missed_total\{provider="bamboohr"\} 1/);
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('an account that did not opt in is not walked, and its poll controls are SWY_ERR_POLLING_NONE', async () => {
    const account = await connect();
    for (const action of ['pause', 'resume', 'poll-now']) {
      expect(await control(account.id, action)).toMatchObject({ status: 409, body: { code: 'SWY_ERR_POLLING_NONE' } });
    }
    expect(await hub.call('GET', `/v1/integrated-accounts/${account.id}/polling`, { token: env.apiKey })).toMatchObject({ status: 404, body: { code: 'SWY_ERR_NOT_FOUND' } });
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });

  it('switchyard polling now|pause|status: follows the run to its end and shows the state', async () => {
    const account = await connect({ reconcile: true });
    const cli = (...args: string[]) => run(process.execPath, [CLI, 'polling', ...args, account.id, '--url', hub.url], { env: { ...process.env, SWITCHYARD_API_KEY: env.apiKey } });
    await eventually('the baseline walk', async () => (await polling(account.id))?.cursor !== null);
    const now = await cli('now');
    expect(now.stdout).toMatch(/hris\/employees \(reconcile\) {2}active {2}last run 20\S+ {2}cursor 20\S+ {2}lag \d+s {2}events 0 {2}missed 0 last run, 0 total/);
    const state = await polling(account.id);
    expect(state.last_run_at >= state.poll_requested_at).toBe(true);
    expect((await cli('pause')).stdout).toContain('hris/employees (reconcile)  PAUSED');
    expect((await cli('status')).stdout).toContain('PAUSED');
    expect((await cli('resume')).stdout).toContain('hris/employees (reconcile)  active');
    await hub.call('DELETE', `/v1/integrated-accounts/${account.id}`, { token: env.apiKey });
  });
});
