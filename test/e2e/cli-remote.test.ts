import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../harness/hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../services/hub/dist/cli.js', import.meta.url));

/**
 * The CLI's remote commands (`events tail`, `subscriptions list|create|test`, `mappings preview`) against
 * a real hub: they go through @switchyard/client, the client generated from the hub's OpenAPI document.
 */
describe('switchyard CLI against a running hub', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let hub: TestHub;
  let endpoint: Receiver;
  let apiKey: string;
  let dir: string;

  const switchyard = async (args: string[], key: string | null = apiKey) => {
    const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_URL: hub.url };
    if (key === null) delete env.SWITCHYARD_API_KEY;
    else env.SWITCHYARD_API_KEY = key;
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    nats = await startTestNats();
    hub = await startTestHub(nats.url);
    endpoint = await startReceiver();
    apiKey = (await hub.createEnvironment('cli-remote')).apiKey;
    dir = await mkdtemp(join(tmpdir(), 'swy-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await endpoint?.close();
    await hub?.close();
    await nats?.stop();
  });

  it('subscriptions create prints the secret once; list shows the subscription; test reports the delivered attempt', async () => {
    const created = await switchyard(['subscriptions', 'create', endpoint.url, '--events', 'hris/employees:*,webhook/endpoint:test', '--description', 'from the CLI']);
    expect(created.code, created.stderr).toBe(0);
    const subscription = JSON.parse(created.stdout) as { id: string; secret: string; description: string };
    expect(subscription).toMatchObject({ id: expect.stringMatching(/^sub_/), secret: expect.stringMatching(/^whsec_/), description: 'from the CLI' });

    const listed = await switchyard(['subscriptions', 'list']);
    expect(listed.stdout).toContain(subscription.id);
    expect(listed.stdout).toContain(endpoint.url);
    expect(listed.stdout).not.toContain(subscription.secret);

    const tested = await switchyard(['subscriptions', 'test', subscription.id]);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/delivered {2}HTTP 200/);
    expect(endpoint.delivered().some((d) => JSON.parse(d.body).type === 'webhook/endpoint:test')).toBe(true);
  });

  it('events tail prints each new event once, and stops on Ctrl-C', async () => {
    const account = (await hub.call('POST', '/v1/integrated-accounts', { token: apiKey, body: { provider: 'bamboohr', credentials: { api_key: 'x' }, config: { subdomain: 'acme' }, webhook_secret: 'tail-secret' } })).body;
    // From a moment before the events: a CLI slow to start on a loaded machine must not begin after them.
    const since = new Date(Date.now() - 1_000).toISOString();
    const tail = spawn(process.execPath, [CLI, 'events', 'tail', '--type', 'hris/employees:*', '--since', since], { env: { ...process.env, SWITCHYARD_URL: hub.url, SWITCHYARD_API_KEY: apiKey } });
    let out = '';
    tail.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => tail.on('exit', (code) => resolve(code)));
    try {
      for (const id of ['tail-1', 'tail-2']) await sendBamboo(account.webhook_url, signBamboo('tail-secret', bambooEvent('employee.updated', id)));
      await eventually('both events tailed', () => out.includes('tail-1') && out.includes('tail-2'));
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/hris\/employees:updated +tail-1 +acc_\w+ +webhook +evt_/);
    } finally {
      tail.kill('SIGINT');
    }
    expect(await exited).toBe(0);

    const once = await switchyard(['events', 'tail', '--once', '--since', new Date(Date.now() - 600_000).toISOString(), '--type', 'hris/employees:updated']);
    expect(once.code).toBe(0);
    expect(once.stdout.match(/tail-\d/g)).toEqual(['tail-1', 'tail-2']);
  });

  it('mappings preview shows the events of a payload with the mapping the hub resolves, publishing nothing', async () => {
    const payload = join(dir, 'payload.json');
    await writeFile(payload, bambooEvent('employee.created', 'preview-1'));
    const before = (await hub.runtime.bus.jsm.streams.info('EVENTS')).state.messages;
    const previewed = await switchyard(['mappings', 'preview', 'bamboohr', payload]);
    expect(previewed.code, previewed.stderr).toBe(0);
    expect(JSON.parse(previewed.stdout)).toMatchObject({ mapping_version: expect.stringMatching(/^bamboohr@/), events: [expect.objectContaining({ type: 'hris/employees:created', record_id: 'preview-1' })] });
    expect((await hub.runtime.bus.jsm.streams.info('EVENTS')).state.messages).toBe(before);
  });

  it('says which key is missing or refused, with the code, and exits 1', async () => {
    const none = await switchyard(['subscriptions', 'list'], null);
    expect(none).toMatchObject({ code: 1, stderr: expect.stringContaining('SWY_ERR_UNAUTHORIZED') });
    const wrong = await switchyard(['subscriptions', 'list'], 'swy_not_a_key');
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining('SWY_ERR_UNAUTHORIZED') });
    const unknown = await switchyard(['subscriptions', 'test', 'sub_000000000000000000000000']);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('SWY_ERR_NOT_FOUND') });
  });
});
