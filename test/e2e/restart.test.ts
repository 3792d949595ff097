import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, portInUse } from '@switchyard/nats-server';
import { createVia } from '../harness/api.js';
import { startChildHub, type ChildHub } from '../harness/child-hub.js';
import { startTestNats } from '../harness/nats.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

const COMPRESSED_SCHEDULE = Array.from({ length: 30 }, () => '250').join(',');

/** Creates an environment, a BambooHR account and a subscription through a child hub's HTTP API. */
async function setUp(url: string, adminToken: string, endpoint: string, privateKey: string) {
  const environment = await createVia(url, '/v1/environments', adminToken, { name: 'restart' });
  const account = await createVia(url, '/v1/integrated-accounts', environment.api_key!, {
    provider: 'bamboohr',
    credentials: { api_key: 'k', subdomain: 'acme' },
    webhook_secret: privateKey,
  });
  await createVia(url, '/v1/subscriptions', environment.api_key!, { url: endpoint, event_types: ['hris/*'] });
  return { accountId: account.id! };
}

/** Fires `count` distinct signed webhooks at once; calls `midway` after half were acknowledged. Returns the acknowledged record ids. */
async function fire(url: (accountId: string) => string, accountId: string, privateKey: string, count: number, midway: () => void): Promise<string[]> {
  const acknowledged: string[] = [];
  let calledMidway = false;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const record = `emp-${i}`;
      const result = await sendBamboo(url(accountId), signBamboo(privateKey, bambooEvent('employee.updated', record))).catch(() => undefined);
      if (result?.status === 200) acknowledged.push(record);
      if (!calledMidway && acknowledged.length >= count / 2) {
        calledMidway = true;
        midway();
      }
    }),
  );
  return acknowledged;
}

/** Every acknowledged record is delivered within `withinMs`; redeliveries of one event carry one webhook-id. */
async function expectNothingLost(receiver: Receiver, acknowledged: string[], withinMs = 30_000): Promise<void> {
  await eventually('every acknowledged record delivered', () => {
    const records = new Set(receiver.delivered().map((d) => JSON.parse(d.body).record_id));
    return acknowledged.every((r) => records.has(r));
  }, withinMs);
  const delivered = receiver.delivered().map((d) => ({ record: JSON.parse(d.body).record_id as string, id: String(d.headers['webhook-id']) }));
  const records = new Set(delivered.map((d) => d.record));
  for (const record of acknowledged) expect(records, `record ${record} delivered`).toContain(record);
  const idsByRecord = new Map<string, Set<string>>();
  for (const d of delivered) idsByRecord.set(d.record, (idsByRecord.get(d.record) ?? new Set()).add(d.id));
  for (const [record, ids] of idsByRecord) expect(ids.size, `webhook-ids of ${record}`).toBe(1);
}

describe('stopping the hub mid-stream and starting it again', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  });

  it('delivers every acknowledged webhook after Ctrl-C and a restart of the embedded default', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'swy-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    let endpointUp = false;
    const receiver = await startReceiver(() => (endpointUp ? 200 : 503));
    cleanups.push(() => receiver.close());
    const port = await freePort();
    // The shipped egress defaults, with the one local receiver the operator lists (as the README says).
    const receiverAllow = `127.0.0.1:${new URL(receiver.url).port}`;
    const env = { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_NATS_PORT: '0', SWITCHYARD_DELIVERY_SCHEDULE_MS: COMPRESSED_SCHEDULE, SWITCHYARD_EGRESS_ALLOW: receiverAllow, SWITCHYARD_PROVIDER_EGRESS_ALLOW: '' };

    const first: ChildHub = await startChildHub(port, env);
    cleanups.push(() => first.stop('SIGTERM'));
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    // The banner tells a person what they need: URLs, where the admin token is kept (never the token
    // itself: terminals are recorded), which local destinations are open.
    expect(first.output()).toContain(`API and webhooks  ${first.url}`);
    expect(first.output()).toContain(join(dataDir, 'admin-token'));
    expect(first.output()).not.toContain(adminToken);
    expect(first.output()).toContain(`egress allowed    deliveries: public https + ${receiverAllow}; provider calls: public https only`);
    const embeddedNatsPort = Number(/NATS\s+nats:\/\/127\.0\.0\.1:(\d+)/.exec(first.output())?.[1]);
    expect(await portInUse(embeddedNatsPort)).toBe(true);
    const { accountId } = await setUp(first.url, adminToken, receiver.url, 'restart-key');

    let stopped: Promise<number | null> | undefined;
    const acknowledged = await fire((id) => `${first.url}/webhooks/bamboohr/${id}`, accountId, 'restart-key', 40, () => {
      stopped = first.stop('SIGINT');
    });
    expect(await stopped, first.output()).toBe(0);
    // Ctrl-C also stopped the hub's own nats-server.
    expect(await portInUse(embeddedNatsPort)).toBe(false);
    expect(acknowledged.length).toBeGreaterThanOrEqual(20);

    // Same data dir: the same admin token, encryption key and JetStream store come back.
    endpointUp = true;
    const second = await startChildHub(port, env);
    cleanups.push(() => second.stop('SIGTERM'));
    expect((await readFile(join(dataDir, 'admin-token'), 'utf8')).trim()).toBe(adminToken);
    await expectNothingLost(receiver, acknowledged);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('delivers every acknowledged webhook after the hub process is killed with SIGKILL', async () => {
    const nats = await startTestNats();
    cleanups.push(() => nats.stop());
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'swy-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const env = {
      NATS_URL: nats.url,
      SWITCHYARD_DATA_DIR: dataDir,
      SWITCHYARD_ADMIN_TOKEN: 'kill-test-admin-token-0123456789',
      SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8',
      SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8',
      SWITCHYARD_DELIVERY_SCHEDULE_MS: COMPRESSED_SCHEDULE,
    };

    const first = await startChildHub(port, env);
    cleanups.push(() => first.stop('SIGTERM'));
    const { accountId } = await setUp(first.url, env.SWITCHYARD_ADMIN_TOKEN, receiver.url, 'kill-key');
    const acknowledged = await fire((id) => `${first.url}/webhooks/bamboohr/${id}`, accountId, 'kill-key', 60, () => {
      first.process.kill('SIGKILL');
    });
    await first.stop('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(30);

    const second = await startChildHub(port, env);
    cleanups.push(() => second.stop('SIGTERM'));
    await expectNothingLost(receiver, acknowledged, 45_000);
  });

  it('reclaims the nats-server orphaned when the embedded hub is killed with SIGKILL, and loses nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'swy-orphan-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const port = await freePort();
    const env = { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_NATS_PORT: '0', SWITCHYARD_DELIVERY_SCHEDULE_MS: COMPRESSED_SCHEDULE };

    const first = await startChildHub(port, env);
    cleanups.push(() => first.stop('SIGTERM'));
    const orphanPort = Number(/NATS\s+nats:\/\/127\.0\.0\.1:(\d+)/.exec(first.output())?.[1]);
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const { accountId } = await setUp(first.url, adminToken, receiver.url, 'orphan-key');
    const acknowledged = await fire((id) => `${first.url}/webhooks/bamboohr/${id}`, accountId, 'orphan-key', 30, () => first.process.kill('SIGKILL'));
    await first.stop('SIGKILL');
    expect(await portInUse(orphanPort)).toBe(true);

    const second = await startChildHub(port, env);
    cleanups.push(() => second.stop('SIGTERM'));
    expect(await portInUse(orphanPort)).toBe(false);
    await expectNothingLost(receiver, acknowledged);
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
