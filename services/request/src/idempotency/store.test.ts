import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { IdempotencyStore, requestFingerprint } from './index.js';

describe('IdempotencyStore against a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  const connections: NatsConnection[] = [];
  /** Two connections stand for two replicas of the request service. */
  let kvA: KV;
  let kvB: KV;
  let clock = Date.parse('2026-06-01T12:00:00Z');
  const store = (kv: KV) => new IdempotencyStore(kv, { clock: () => clock, leaseMs: 60_000 });
  let keys = 0;
  const freshKey = () => `key-${++keys}`;

  const body = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' };
  const fp = requestFingerprint({ method: 'POST', path: '/unified/crm/contacts', accountId: 'acc_1', body });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-idem-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
    for (let i = 0; i < 2; i++) connections.push(await connect({ servers: server.url }));
    // Created as the bus creates it (bus.ts): same name, same history.
    kvA = await new Kvm(jetstream(connections[0] as NatsConnection)).create('idempotency', { history: 10 });
    kvB = await new Kvm(jetstream(connections[1] as NatsConnection)).open('idempotency');
  });
  afterAll(async () => {
    for (const nc of connections) await nc.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a first call is new; a repeat after completion replays the first outcome', async () => {
    const key = freshKey();
    const first = await store(kvA).begin('env_1', key, fp);
    expect(first.state).toBe('new');
    if (first.state !== 'new') return;
    expect(await store(kvA).complete(first.lease, { status: 201, remote_id: '51' })).toBe(true);
    expect(await store(kvB).begin('env_1', key, fp)).toEqual({ state: 'replay', outcome: { status: 201, remote_id: '51' } });
  });

  it('concurrent duplicates across two replicas: exactly one runs, the rest are in progress', async () => {
    const key = freshKey();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store(i % 2 ? kvA : kvB).begin('env_1', key, fp)));
    expect(results.filter((r) => r.state === 'new')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'in_progress')).toHaveLength(19);
  });

  it('the same key with a different body is a mismatch, in progress or done', async () => {
    const key = freshKey();
    const other = requestFingerprint({ method: 'POST', path: '/unified/crm/contacts', accountId: 'acc_1', body: { ...body, email: 'x@example.com' } });
    const first = await store(kvA).begin('env_1', key, fp);
    expect(await store(kvA).begin('env_1', key, other)).toEqual({ state: 'mismatch' });
    if (first.state === 'new') await store(kvA).complete(first.lease, { status: 201, remote_id: '52' });
    expect(await store(kvB).begin('env_1', key, other)).toEqual({ state: 'mismatch' });
  });

  it('keys are per environment', async () => {
    const key = freshKey();
    expect((await store(kvA).begin('env_1', key, fp)).state).toBe('new');
    expect((await store(kvA).begin('env_2', key, fp)).state).toBe('new');
  });

  it('an abandoned lease becomes takeable after its timeout, and the late owner learns it lost', async () => {
    const key = freshKey();
    const crashed = await store(kvA).begin('env_1', key, fp);
    expect(await store(kvB).begin('env_1', key, fp)).toEqual({ state: 'in_progress' });
    clock += 60_001;
    const retry = await store(kvB).begin('env_1', key, fp);
    expect(retry.state).toBe('new');
    if (crashed.state !== 'new' || retry.state !== 'new') return;
    expect(await store(kvA).complete(crashed.lease, { status: 201, remote_id: 'late' })).toBe(false);
    expect(await store(kvB).complete(retry.lease, { status: 201, remote_id: '53' })).toBe(true);
    expect(await store(kvA).begin('env_1', key, fp)).toEqual({ state: 'replay', outcome: { status: 201, remote_id: '53' } });
  });

  it('a released key can be retried at once', async () => {
    const key = freshKey();
    const first = await store(kvA).begin('env_1', key, fp);
    if (first.state !== 'new') throw new Error('expected new');
    await store(kvA).release(first.lease);
    expect((await store(kvB).begin('env_1', key, fp)).state).toBe('new');
  });

  it('entries older than 24 h count as absent, even for another body', async () => {
    const key = freshKey();
    const first = await store(kvA).begin('env_1', key, fp);
    if (first.state !== 'new') throw new Error('expected new');
    await store(kvA).complete(first.lease, { status: 200, remote_id: null });
    clock += 86_400_000;
    const other = requestFingerprint({ method: 'PATCH', path: '/unified/crm/contacts/1', accountId: 'acc_1', body });
    expect((await store(kvB).begin('env_1', key, other)).state).toBe('new');
  });

  it('stores a digest, a status and a remote id — never the payload or the raw key', async () => {
    const key = 'client key with spaces & ünïcode';
    const first = await store(kvA).begin('env_1', key, fp);
    if (first.state !== 'new') throw new Error('expected new');
    await store(kvA).complete(first.lease, { status: 201, remote_id: '54' });
    const kvKey = IdempotencyStore.kvKey('env_1', key);
    expect(kvKey).toMatch(/^env_1\.[A-Za-z0-9_-]{43}$/);
    const stored = (await kvA.get(kvKey))?.string() ?? '';
    expect(Object.keys(JSON.parse(stored)).sort()).toEqual(['expires_at', 'fingerprint', 'lease_until', 'remote_id', 'state', 'status', 'v']);
    expect(stored).not.toContain('Ada');
  });
});

describe('requestFingerprint', () => {
  const base = { method: 'post', path: '/unified/crm/contacts', accountId: 'acc_1', body: { a: 1, b: { c: [1, 2], d: null } } };

  it('ignores key order and method case, and sees every other difference', () => {
    const same = requestFingerprint({ ...base, method: 'POST', body: { b: { d: null, c: [1, 2] }, a: 1 } });
    expect(same).toBe(requestFingerprint(base));
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
    for (const changed of [
      { ...base, method: 'PATCH' },
      { ...base, path: '/unified/crm/accounts' },
      { ...base, accountId: 'acc_2' },
      { ...base, body: { a: 1, b: { c: [2, 1], d: null } } },
      { ...base, body: JSON.stringify(base.body) },
    ]) {
      expect(requestFingerprint(changed)).not.toBe(requestFingerprint(base));
    }
  });
});
