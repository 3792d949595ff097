import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanos } from '@nats-io/transport-node';
import { BUCKETS, connectBus, STREAMS } from './bus.js';
import { publishDurable } from './publish.js';
import { natsAuthFrom } from './config.js';
import { createLogger } from '@switchyard/kernel';
import { natsServerVersion, startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { AckPolicy, RetentionPolicy } from '@nats-io/jetstream';
import { deleteMatching } from './stream-reader.js';
import { terminate } from './consumer.js';
import { compareVersions } from './server-features.js';

describe('bus bootstrap against a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  const logger = createLogger({ level: 'silent' });
  const options = (rawRetentionHours: number) => ({ servers: server.url, name: 'test', logger, replicas: 1, rawRetentionHours, eventsRetentionHours: 72 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-bus-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates every stream and bucket, and running it again changes nothing but the limits it was given', async () => {
    const first = await connectBus(options(24));
    const streams = new Set<string>();
    for await (const info of first.jsm.streams.list()) streams.add(info.config.name);
    for (const name of Object.values(STREAMS)) expect(streams).toContain(name);
    for (const bucket of BUCKETS) expect(streams).toContain(`KV_${bucket}`);
    await first.kv.accounts.put('kept', '1');
    const rawBefore = await first.jsm.streams.info(STREAMS.RAW);
    expect(rawBefore.config.max_age).toBe(nanos(24 * 3_600_000));
    await first.close();

    const second = await connectBus(options(48));
    expect((await second.kv.accounts.get('kept'))?.string()).toBe('1');
    const rawAfter = await second.jsm.streams.info(STREAMS.RAW);
    expect(rawAfter.config.max_age).toBe(nanos(48 * 3_600_000));
    expect(rawAfter.config.retention).toBe(rawBefore.config.retention);
    expect((await second.jsm.streams.info(STREAMS.DELIVERIES)).config.retention).toBe('workqueue');
    await second.close();
  });

  it('terminates a message for good on the nats-server setup installs (which ignores term with a reason)', async () => {
    const bus = await connectBus(options(24));
    try {
      await bus.jsm.streams.add({ name: 'TERM_TEST', subjects: ['termtest.>'] });
      await bus.jsm.consumers.add('TERM_TEST', { durable_name: 'c', ack_policy: AckPolicy.Explicit, ack_wait: nanos(1_000), filter_subject: 'termtest.>' });
      const consumer = await bus.js.consumers.get('TERM_TEST', 'c');
      const ackPending = async () => (await bus.jsm.consumers.info('TERM_TEST', 'c')).num_ack_pending;
      const settled = async (expected: number) => {
        for (let i = 0; i < 30 && (await ackPending()) !== expected; i++) await new Promise((r) => setTimeout(r, 50));
        return ackPending();
      };
      await bus.js.publish('termtest.a', 'a');
      await bus.js.publish('termtest.b', 'b');

      const first = (await consumer.next({ expires: 2_000 }))!;
      terminate(first, 'no more attempts');
      expect(await settled(0)).toBe(0);
      if (compareVersions(await natsServerVersion(), '2.10.0') < 0) {
        // The premise, on this server: `+TERM <reason>` is not understood, so the message stays pending.
        const second = (await consumer.next({ expires: 2_000 }))!;
        second.term('with a reason');
        await bus.nc.flush();
        expect(await settled(0)).toBe(1);
        // ...and comes back after ack_wait, as the exhausted delivery tasks did. Now end it properly.
        const again = (await consumer.next({ expires: 3_000 }))!;
        expect(again.string()).toBe('b');
        expect(again.info.deliveryCount).toBe(2);
        terminate(again, 'no more attempts');
        expect(await settled(0)).toBe(0);
      }
      // Past ack_wait nothing comes back.
      expect(await consumer.next({ expires: 1_500 })).toBeNull();
      await bus.jsm.streams.delete('TERM_TEST');
    } finally {
      await bus.close();
    }
  });

  it('deletes one subject’s messages without making a consumer skip the others’ (a filtered purge does, on this server)', async () => {
    const bus = await connectBus(options(24));
    try {
      await bus.jsm.streams.add({ name: 'DEL_TEST', subjects: ['deltest.>'], retention: RetentionPolicy.Workqueue });
      await bus.jsm.consumers.add('DEL_TEST', { durable_name: 'c', ack_policy: AckPolicy.Explicit, filter_subject: 'deltest.>' });
      const pending = async () => (await bus.jsm.consumers.info('DEL_TEST', 'c')).num_pending;
      for (const subject of ['gone', 'kept', 'gone', 'kept']) await bus.js.publish(`deltest.${subject}.x`, subject);
      expect(await deleteMatching(bus.jsm, 'DEL_TEST', 'deltest.gone.*')).toBe(2);
      expect(await pending()).toBe(2);
      const consumer = await bus.js.consumers.get('DEL_TEST', 'c');
      const left: string[] = [];
      for (let message = await consumer.next({ expires: 1_000 }); message; message = await consumer.next({ expires: 1_000 })) {
        left.push(message.string());
        await message.ackAck();
      }
      expect(left).toEqual(['kept', 'kept']);
      if (compareVersions(await natsServerVersion(), '2.9.12') < 0) {
        // The premise: on this server a filtered purge moves the consumer past the kept messages too.
        for (const subject of ['gone', 'kept']) await bus.js.publish(`deltest.${subject}.y`, subject);
        await bus.jsm.streams.purge('DEL_TEST', { filter: 'deltest.gone.*' });
        expect(await pending()).toBe(0);
        expect((await bus.jsm.streams.info('DEL_TEST')).state.messages).toBe(1);
      }
      await bus.jsm.streams.delete('DEL_TEST');
    } finally {
      await bus.close();
    }
  });

  it('bounds every stream in bytes, and a full RAW refuses new deliveries instead of dropping verified ones', async () => {
    const bus = await connectBus({ ...options(24), streamMaxBytes: { RAW: 16 * 1024 } });
    try {
      for (const name of Object.values(STREAMS)) expect((await bus.jsm.streams.info(name)).config.max_bytes, name).toBeGreaterThan(0);
      const raw = await bus.jsm.streams.info(STREAMS.RAW);
      expect(raw.config).toMatchObject({ max_bytes: 16 * 1024, discard: 'new' });
      expect((await bus.jsm.streams.info(STREAMS.EVENTS)).config.discard).toBe('old');
      await bus.jsm.streams.purge(STREAMS.RAW);
      const body = new Uint8Array(1024).fill(97);
      const first = await bus.js.publish('raw.bounded.acc_1', body, { msgID: 'bounded-0' });
      let refused: unknown;
      for (let i = 1; i < 64 && !refused; i++) {
        await bus.js.publish('raw.bounded.acc_1', body, { msgID: `bounded-${i}` }).catch((error: unknown) => (refused = error));
      }
      expect(String(refused)).toMatch(/maximum bytes/i);
      // The durable publish the edge uses says the stream is full (503 to the provider) rather than retrying it.
      await expect(publishDurable(bus.js, 'raw.bounded.acc_1', body, { msgID: 'bounded-full' }, 20_000)).rejects.toMatchObject({
        code: 'SWY_ERR_BUS_UNAVAILABLE',
        message: expect.stringContaining('raw stream is full'),
      });
      // The oldest verified delivery is still there: nothing was dropped to make room.
      expect((await bus.jsm.streams.getMessage(STREAMS.RAW, { seq: first.seq }))?.data).toEqual(body);
      await bus.jsm.streams.purge(STREAMS.RAW);
    } finally {
      await bus.close();
    }
  });
});

describe('bus credentials', () => {
  const logger = createLogger({ level: 'silent' });

  it('connects with NATS_TOKEN to a server that requires a token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swy-bus-auth-'));
    const server = await startNatsServer({ storeDir: dir, port: 0, extraConfig: 'authorization { token: "bus-test-token-0123456789" }' });
    try {
      const auth = natsAuthFrom({ NATS_TOKEN: 'bus-test-token-0123456789' });
      const bus = await connectBus({ servers: server.url, name: 'test', logger, replicas: 1, rawRetentionHours: 24, eventsRetentionHours: 72, auth });
      expect(bus.isConnected()).toBe(true);
      await bus.close();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses half a user/password pair and a token mixed with a user', () => {
    expect(() => natsAuthFrom({ NATS_USER: 'edge' })).toThrow(/NATS_USER and NATS_PASSWORD/);
    expect(() => natsAuthFrom({ NATS_PASSWORD: 'p' })).toThrow(/NATS_USER and NATS_PASSWORD/);
    expect(() => natsAuthFrom({ NATS_USER: 'edge', NATS_PASSWORD: 'p', NATS_TOKEN: 't' })).toThrow(/NATS_TOKEN/);
    expect(natsAuthFrom({ NATS_USER: 'edge', NATS_PASSWORD: 'p' })).toMatchObject({ user: 'edge', pass: 'p' });
  });
});
