import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { createVia } from '../harness/api.js';
import { startSplitServices, type ChildHub } from '../harness/child-hub.js';
import { startReceiver, type Receiver } from '../harness/receiver.js';
import { eventually } from '../harness/wait.js';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';

const SERVICES = ['edge', 'normalizer', 'delivery', 'request'] as const;
type Service = (typeof SERVICES)[number];
/** The same file docker-compose mounts into every nats container. */
const PERMISSIONS = fileURLToPath(new URL('../../infra/nats/permissions.conf', import.meta.url));

/**
 * The production shape with authentication: each service runs alone as its own NATS user, with the
 * permissions of infra/nats/permissions.conf, against a real nats-server.
 */
describe('split services with per-service NATS users', () => {
  let dir: string;
  let nats: NatsServerHandle;
  let receiver: Receiver;
  const services: Partial<Record<Service, ChildHub>> = {};
  const passwords = Object.fromEntries(SERVICES.map((s) => [s, randomBytes(16).toString('hex')])) as Record<Service, string>;
  const adminToken = randomBytes(24).toString('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-nats-perm-'));
    // nats-server reads $SWITCHYARD_NATS_<SERVICE>_PASSWORD from its environment in compose; here we
    // substitute the values so the server needs no special environment.
    const conf = (await readFile(PERMISSIONS, 'utf8')).replace(/\$SWITCHYARD_NATS_([A-Z]+)_PASSWORD/g, (_, s: string) => `"${passwords[s.toLowerCase() as Service]}"`);
    nats = await startNatsServer({ storeDir: join(dir, 'js'), port: 0, extraConfig: conf });
    receiver = await startReceiver();
    Object.assign(
      services,
      await startSplitServices(nats.url, { adminToken, env: (service) => ({ SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8', NATS_USER: service, NATS_PASSWORD: passwords[service] }) }),
    );
  });

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s?.stop('SIGTERM')));
    await receiver?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('carries a webhook end to end with every service as its own user', async () => {
    const post = (path: string, token: string, body: unknown) => createVia(services.request!.url, path, token, body);
    const environment = await post('/v1/environments', adminToken, { name: 'split-auth' });
    const account = await post('/v1/integrated-accounts', environment.api_key!, { provider: 'bamboohr', credentials: {}, webhook_secret: 'perm-key' });
    const subscription = await post('/v1/subscriptions', environment.api_key!, { url: receiver.url, event_types: ['hris/employees:*'] });

    const response = await sendBamboo(account.webhook_url!, signBamboo('perm-key', bambooEvent('employee.created', 'perm-1')));
    expect(response.status).toBe(200);
    const [delivery] = await eventually('the delivery', () => receiver.delivered().length === 1 && receiver.delivered());
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(delivery!.headers[h])]));
    expect(new Webhook(subscription.secret!).verify(delivery!.body, headers)).toMatchObject({ type: 'hris/employees:created', record_id: 'perm-1' });
  });

  it('dead-letters, lists, replays and reads events and attempts with every service as its own user', async () => {
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${services.request!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, any> };
    };
    const environment = await createVia(services.request!.url, '/v1/environments', adminToken, { name: 'split-auth-replay' });
    const key = environment.api_key!;
    const account = await createVia(services.request!.url, '/v1/integrated-accounts', key, { provider: 'bamboohr', credentials: {}, webhook_secret: 'replay-key' });
    await createVia(services.request!.url, '/v1/subscriptions', key, { url: receiver.url, event_types: ['hris/employees:*'] });
    const delivered = () => receiver.delivered().filter((d) => JSON.parse(d.body).record_id === 'perm-replay');

    // The normalizer dead-letters under its own user; request lists it from DEAD.
    expect((await call('PUT', '/v1/mappings/bamboohr', key, { webhook: { mapping: '$error("under repair")' } })).status).toBe(200);
    expect((await sendBamboo(account.webhook_url!, signBamboo('replay-key', bambooEvent('employee.created', 'perm-replay')))).status).toBe(200);
    await eventually('the dead letter', async () => (await call('GET', '/v1/dead-letters', key)).body.data?.length === 1);

    // Request replays it (reads and deletes from DEAD, republishes) and the fixed mapping delivers it.
    await call('DELETE', '/v1/mappings/bamboohr', key);
    const job = await call('POST', '/v1/dead-letters/replay', key, { filter: { provider: 'bamboohr' } });
    expect(job.status).toBe(202);
    await eventually('the replay job', async () => (await call('GET', `/v1/replays/${job.body.id}`, key)).body.status === 'done');
    await eventually('the replayed delivery', () => delivered().length === 1);
    expect((await call('GET', '/v1/dead-letters', key)).body.data).toEqual([]);

    // Request reads EVENTS and the attempt log the other users wrote.
    const events = (await call('GET', '/v1/events', key)).body.data as Array<{ id: string; record_id: string }>;
    const event = events.find((e) => e.record_id === 'perm-replay');
    expect(event).toBeDefined();
    expect((await call('GET', `/v1/events/${event!.id}`, key)).body).toMatchObject({ id: event!.id });
    await eventually('the attempt record', async () => (await call('GET', `/v1/events/${event!.id}/attempts`, key)).body.data?.length >= 1);
  });

  it('refuses the edge user events, RAW, API keys and environments; refuses a user without a password', async () => {
    const nc = await connect({ servers: nats.url, user: 'edge', pass: passwords.edge, inboxPrefix: '_INBOX_switchyard-edge', reconnect: false });
    try {
      const events = nc.subscribe('events.>');
      expect(String(await events.closed)).toMatch(/Permissions Violation for Subscription to "events\.>"/);
      // Another service's reply inbox (where its KV watches deliver) is not the edge's to read.
      const inbox = nc.subscribe('_INBOX_switchyard-request.>');
      expect(String(await inbox.closed)).toMatch(/Permissions Violation for Subscription/);
      const jsm = await jetstreamManager(nc);
      for (const stream of ['RAW', 'KV_api_keys', 'KV_environments', 'KV_subscriptions']) {
        await expect(jsm.consumers.add(stream, { ack_policy: 'none' as never }), stream).rejects.toThrow(/Permissions Violation for Publish/);
      }
      // It may not forge normalized events (the edge publishes raw.> and its own dead letters only).
      await expect(nc.request('events.env_x.hris.employees.created', 'forged')).rejects.toThrow(/Permissions Violation for Publish/);
    } finally {
      await nc.close();
    }
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: nats.url, user: 'edge', pass: passwords.request, reconnect: false })).rejects.toThrow(/authorization/i);
  });
});
