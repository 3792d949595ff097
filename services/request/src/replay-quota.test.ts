import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, STREAMS, type Bus } from '@switchyard/bus';
import { createLogger } from '@switchyard/kernel';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { startReplay, type ReplaySource } from './replay.js';
import { claimReplaySlot } from './replay-quota.js';

describe('replay quota against a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  let bus: Bus;
  const logger = createLogger({ level: 'silent' });
  /** A job record as startReplay writes it, still running (its process is busy scanning). */
  const running = (id: string, environmentId: string) =>
    bus.kv.jobs.put(id, JSON.stringify({ id, environment_id: environmentId, kind: 'raw', status: 'running', matched: 0, republished: 0, started_at: new Date().toISOString(), finished_at: null, error: null }));
  const emptyRaw: ReplaySource = { kind: 'raw', stream: STREAMS.RAW, subject: 'raw.>', match: () => true, deleteAfter: false };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-quota-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
    bus = await connectBus({ servers: server.url, name: 'test', logger, replicas: 1, rawRetentionHours: 1, eventsRetentionHours: 1 });
  });
  afterAll(async () => {
    await bus?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a third replay of an environment while two run, with 429 SWY_ERR_REPLAY_LIMIT, and not another environment', async () => {
    await running('job_a1', 'env_a');
    await running('job_a2', 'env_a');
    const first = await claimReplaySlot(bus, 'env_a', 'job_a1', 2);
    const second = await claimReplaySlot(bus, 'env_a', 'job_a2', 2);
    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    await expect(startReplay(bus, logger, 'env_a', emptyRaw, { publishTimeoutMs: 1000, maxRunning: 2 })).rejects.toMatchObject({ code: 'SWY_ERR_REPLAY_LIMIT', status: 429 });
    // Another tenant's replays are not held up by env_a's.
    const other = await startReplay(bus, logger, 'env_b', emptyRaw, { publishTimeoutMs: 1000, maxRunning: 2 });
    expect(other.status).toBe('running');
    // Once one of env_a's replays finishes, the next one starts.
    await first!();
    const next = await startReplay(bus, logger, 'env_a', emptyRaw, { publishTimeoutMs: 1000, maxRunning: 2 });
    expect(next.status).toBe('running');
    await second!();
  });

  it('gives the slot of a replay that ended without releasing it (its job is done) to the next one', async () => {
    await running('job_c1', 'env_c');
    expect(await claimReplaySlot(bus, 'env_c', 'job_c1', 1)).toBeTypeOf('function');
    expect(await claimReplaySlot(bus, 'env_c', 'job_c2', 1)).toBeUndefined();
    await bus.kv.jobs.put('job_c1', JSON.stringify({ id: 'job_c1', environment_id: 'env_c', status: 'failed' }));
    expect(await claimReplaySlot(bus, 'env_c', 'job_c2', 1)).toBeTypeOf('function');
  });
});
