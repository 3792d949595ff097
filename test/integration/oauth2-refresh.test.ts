import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../harness/wait.js';
import { startOAuth2Provider, type OAuth2ProviderSimulator } from '../simulators/oauth2-provider.js';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { KvTokenStore, refreshLockKey, TokenManager, type OAuth2ClientConfig, type TokenManagerOptions } from '@switchyard/provider-auth';

const CLIENT = { clientId: 'client id/1', clientSecret: 's3cr:et' };

/** A pino logger writing into an array, so tests can read every line a manager logged. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** One "process" worth of state: its own NATS connection, buckets and TokenManager. */
interface Node {
  nc: NatsConnection;
  locks: KV;
  store: KvTokenStore;
}

describe('TokenManager against a real nats-server and an OAuth2 provider on loopback', () => {
  let dir: string;
  let server: NatsServerHandle;
  let nodes: Node[];
  let sim: OAuth2ProviderSimulator;
  let seq = 0;
  let accountId: string;
  const log = capturedLogger();

  const client = (auth: 'basic' | 'body' = 'basic'): OAuth2ClientConfig => ({ token_url: sim.tokenUrl, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, auth });
  const manager = (node: Node, extra: Partial<TokenManagerOptions> = {}) =>
    new TokenManager({ store: node.store, locks: node.locks, client: client(), logger: log.logger, ...extra });
  /** Stores a fresh grant as the connect flow would, expiring `expiresInMs` from now. */
  const seed = async (expiresInMs: number) => {
    const grant = sim.issue();
    await nodes[0]!.store.put(accountId, { access_token: grant.access_token, refresh_token: grant.refresh_token, expires_at: Date.now() + expiresInMs });
    return grant;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-oauth2-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
    nodes = [];
    for (let i = 0; i < 2; i += 1) {
      const nc = await connect({ servers: server.url, name: `node-${i}` });
      const kvm = new Kvm(jetstream(nc));
      nodes.push({ nc, locks: await kvm.create('locks'), store: new KvTokenStore(await kvm.create('tokens')) });
    }
  });
  afterAll(async () => {
    for (const node of nodes ?? []) await node.nc.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    sim = await startOAuth2Provider(CLIENT);
    accountId = `acc_test${++seq}`;
  });
  afterEach(async () => {
    // Whatever the test did, the provider never saw a rotated-out refresh token presented again.
    expect(sim.reusedRefreshTokens).toBe(0);
    await sim.close();
  });

  it('50 concurrent calls from two processes cause exactly one refresh', async () => {
    const old = await seed(-1_000);
    const release = sim.pauseRefreshes();
    const child = startChild({ natsUrl: server.url, tokenUrl: sim.tokenUrl, accountId, calls: 25 });
    try {
      await eventually('the child to connect', () => child.messages().some((m) => m.ready));
      child.go();
      const local = Promise.all(Array.from({ length: 25 }, () => manager(nodes[0]!).getAccessToken(accountId)));
      // Hold the provider's answer until one process refreshes and the other is seen waiting on the lock.
      const engaged = (a: string, b: string) => a.includes('"refreshing access token"') && b.includes('waiting for a refresh held by another process');
      await eventually('both processes to contend for the refresh', () => {
        const parent = log.lines.join('');
        return sim.heldRefreshes === 1 && (engaged(parent, child.output()) || engaged(child.output(), parent));
      });
      release();
      const mine = await local;
      const theirs = (await eventually('the child results', () => child.messages().find((m) => m.results)))!.results!;
      const all = [...mine, ...theirs];
      expect(all).toHaveLength(50);
      const stored = await nodes[1]!.store.get(accountId);
      for (const result of all) expect(result).toMatchObject({ ok: true, access_token: stored!.access_token });
      expect(stored!.access_token).not.toBe(old.access_token);
      expect(sim.refreshRequests).toBe(1);
      expect(sim.refreshes).toBe(1);
      const childLogLines = child.output().split('\n').filter((line) => line.includes('"level":'));
      expect(childLogLines.length).toBeGreaterThan(0);
      for (const token of sim.issuedTokens()) for (const line of childLogLines) expect(line).not.toContain(token);
    } finally {
      release();
      await child.exited;
    }
  });

  it('persists the rotated refresh token, refreshes ahead of expiry, and never reuses the old one', async () => {
    const old = await seed(30_000); // inside the default 60 s skew: refreshed before it expires
    const tm = manager(nodes[0]!, { client: client('body') });
    const first = await tm.getAccessToken(accountId);
    expect(first.ok && first.access_token).not.toBe(old.access_token);
    const afterFirst = await nodes[1]!.store.get(accountId);
    expect(afterFirst!.refresh_token).not.toBe(old.refresh_token);
    expect(afterFirst!.expires_at).toBeGreaterThan(Date.now() + 1_700_000);
    // A fresh token is served from the store without another provider call, by any process.
    expect(await manager(nodes[1]!).getAccessToken(accountId)).toEqual(first);
    expect(sim.refreshes).toBe(1);
    // The next refresh (from the other process) must present the rotated token: the provider would refuse the old one.
    const second = await manager(nodes[1]!).forceRefresh(accountId);
    expect(second.ok).toBe(true);
    expect((await nodes[0]!.store.get(accountId))!.refresh_token).not.toBe(afterFirst!.refresh_token);
    expect(sim.refreshes).toBe(2);
  });

  it('invalid_grant: needs_reauth once across processes, and no retry storm', async () => {
    await seed(-1_000);
    sim.revoke();
    const hooked: string[] = [];
    const onNeedsReauth = (id: string) => void hooked.push(id);
    const managers = [manager(nodes[0]!, { onNeedsReauth }), manager(nodes[1]!, { onNeedsReauth })];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => managers[i % 2]!.getAccessToken(accountId)));
    for (const result of results) expect(result).toEqual({ ok: false, reason: 'needs_reauth' });
    expect(hooked).toEqual([accountId]);
    expect(sim.refreshRequests).toBe(1);
    // Later callers are answered from the store's needs_reauth flag; the provider is not asked again.
    expect(await managers[1]!.forceRefresh(accountId)).toEqual({ ok: false, reason: 'needs_reauth' });
    expect(await managers[0]!.withAccessToken(accountId, async () => 'never called')).toEqual({ ok: false, reason: 'needs_reauth' });
    expect(sim.refreshRequests).toBe(1);
    expect(hooked).toHaveLength(1);
    expect((await nodes[0]!.store.get(accountId))!.needs_reauth).toBe(true);
  });

  it('takes over a lock whose holder died, at once when expired and after expiry when still live', async () => {
    await seed(-1_000);
    const lockKey = refreshLockKey(accountId);
    await nodes[0]!.locks.put(lockKey, JSON.stringify({ owner: 'crashed-process', expires_at: Date.now() - 1 }));
    expect(await manager(nodes[1]!).getAccessToken(accountId)).toMatchObject({ ok: true });
    expect(sim.refreshes).toBe(1);
    expect((await nodes[0]!.locks.get(lockKey))?.operation).toBe('DEL');

    // A holder that died mid-refresh leaves a live lease: everyone waits for it to lapse, then one process refreshes.
    await nodes[0]!.store.put(accountId, { ...(await nodes[0]!.store.get(accountId))!, expires_at: Date.now() - 1_000 });
    await nodes[0]!.locks.put(lockKey, JSON.stringify({ owner: 'crashed-process', expires_at: Date.now() + 500 }));
    const managers = [manager(nodes[0]!), manager(nodes[1]!)];
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => managers[i % 2]!.getAccessToken(accountId)));
    for (const result of results) expect(result).toMatchObject({ ok: true });
    expect(new Set(results.map((r) => r.ok && r.access_token)).size).toBe(1);
    expect(sim.refreshes).toBe(2);
  });

  it('a 401 from the provider forces exactly one refresh and one retry', async () => {
    await seed(1_800_000);
    sim.expireAccessTokens(); // revoked early: the stored expiry still looks fine
    const me = (token: string) => request(sim.meUrl, { headers: { authorization: `Bearer ${token}` } });
    const outcome = await manager(nodes[0]!).withAccessToken(accountId, me);
    expect(outcome.ok && outcome.value.statusCode).toBe(200);
    expect(sim.refreshes).toBe(1);
    expect(sim.resourceRequests).toBe(2);

    // Ten callers in two processes all refused at once still cause one refresh.
    sim.expireAccessTokens();
    const managers = [manager(nodes[0]!), manager(nodes[1]!)];
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => managers[i % 2]!.withAccessToken(accountId, me)));
    for (const o of outcomes) expect(o.ok && o.value.statusCode).toBe(200);
    expect(sim.refreshes).toBe(2);

    // A resource that keeps refusing gets one retry, not a loop.
    sim.expireAccessTokens();
    const refusing = await managers[0]!.withAccessToken(accountId, async (token) => ({ status: 401, token }));
    expect(refusing.ok && refusing.value.status).toBe(401);
    expect(sim.refreshes).toBe(3);
  });

  it('a failing token endpoint: the still-valid token is served, an expired one is refused, and retries back off', async () => {
    await seed(30_000);
    const broken = manager(nodes[0]!, { client: { ...client(), client_secret: 'wrong' } });
    const early = await broken.getAccessToken(accountId);
    expect(early.ok).toBe(true);
    expect(sim.refreshRequests).toBe(1);
    await nodes[0]!.store.put(accountId, { ...(await nodes[0]!.store.get(accountId))!, expires_at: Date.now() - 1_000 });
    expect(await broken.getAccessToken(accountId)).toEqual({ ok: false, reason: 'refresh_failed', status: undefined });
    expect(sim.refreshRequests).toBe(1); // inside the back-off window: the provider is not asked again
    const fresh = manager(nodes[0]!, { client: { ...client(), client_secret: 'wrong' }, failureBackoffMs: 0 });
    expect(await fresh.getAccessToken(accountId)).toEqual({ ok: false, reason: 'refresh_failed', status: 401 });
    expect(sim.refreshRequests).toBe(2);
  });

  it('never writes a token to a log line', async () => {
    // Every earlier test logged into the same array at debug level: refreshes, waits, 401s, failures, invalid_grant.
    const text = log.lines.join('');
    expect(text).toContain('access token refreshed');
    expect(text).toContain('account needs re-authorization');
    expect(text).toContain('token refresh failed');
    const seeded = await seed(-1_000);
    await manager(nodes[0]!).getAccessToken(accountId);
    const tokens = [...sim.issuedTokens(), seeded.refresh_token];
    for (const line of log.lines) for (const token of tokens) expect(line).not.toContain(token);
    expect(text).not.toMatch(/(at|rt)_[A-Za-z0-9_-]{24}/);
  });
});

/** A TokenManager in a real child process with its own NATS connection, driven over stdin/stdout. */
function startChild(input: { natsUrl: string; tokenUrl: string; accountId: string; calls: number }) {
  const script = `
    import { connect } from '@nats-io/transport-node';
    import { jetstream } from '@nats-io/jetstream';
    import { Kvm } from '@nats-io/kv';
    import { pino } from 'pino';
    import { KvTokenStore, TokenManager } from '@switchyard/provider-auth';
    const input = JSON.parse(process.env.CHILD_INPUT);
    const nc = await connect({ servers: input.natsUrl, name: 'child' });
    const kvm = new Kvm(jetstream(nc));
    const manager = new TokenManager({
      store: new KvTokenStore(await kvm.open('tokens')),
      locks: await kvm.open('locks'),
      client: { token_url: input.tokenUrl, client_id: ${JSON.stringify(CLIENT.clientId)}, client_secret: ${JSON.stringify(CLIENT.clientSecret)}, auth: 'basic' },
      logger: pino({ level: 'debug' }),
    });
    console.log(JSON.stringify({ ready: true }));
    process.stdin.once('data', async () => {
      const results = await Promise.all(Array.from({ length: input.calls }, () => manager.getAccessToken(input.accountId)));
      console.log(JSON.stringify({ results }));
      await nc.drain();
      process.exit(0);
    });
  `;
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, CHILD_INPUT: JSON.stringify(input) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  type Message = { ready?: boolean; results?: Array<{ ok: boolean; access_token?: string }> };
  return {
    exited,
    output: () => output,
    go: () => child.stdin.write('go\n'),
    messages: (): Message[] => {
      if (child.exitCode !== null && !output.includes('"results"')) throw new Error(`child exited with ${child.exitCode}: ${output}`);
      return output.split('\n').flatMap((line) => {
        try {
          const value = JSON.parse(line) as Message;
          return value.ready || value.results ? [value] : [];
        } catch {
          return [];
        }
      });
    },
  };
}
