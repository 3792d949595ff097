import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionPolicy } from '@nats-io/jetstream';
import { createLogger } from '@switchyard/kernel';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { connectBus, type Bus } from './bus.js';
import { runConsumer } from './consumer.js';

/** Polls `probe` until true; for asynchronous effects, never an assertion about speed. */
async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('runConsumer when JetStream loses the consumer underneath it', () => {
  let dir: string;
  let server: NatsServerHandle;
  let bus: Bus;
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write: (chunk, _enc, done) => {
        raw.push(String(chunk));
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-consumer-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
    bus = await connectBus({ servers: server.url, name: 'consumer-test', logger: createLogger({ level: 'silent' }), replicas: 1, rawRetentionHours: 1, eventsRetentionHours: 1 });
    await bus.jsm.streams.add({ name: 'CONSUMER_TEST', subjects: ['ctest.>'], retention: RetentionPolicy.Workqueue });
  });
  afterAll(async () => {
    await bus?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('warns with stream, durable and event, re-creates a deleted consumer and keeps handling messages', async () => {
    const handled: string[] = [];
    const consumer = await runConsumer(bus, {
      stream: 'CONSUMER_TEST',
      durable: 'worker',
      filterSubject: 'ctest.>',
      concurrency: 4,
      logger,
      handle: async (message) => {
        handled.push(message.string());
        message.ack();
      },
    });
    try {
      await bus.js.publish('ctest.a', 'before-delete-payload');
      await until('the first message', () => handled.includes('before-delete-payload'));

      // An operator (or another process) deletes the durable while this process waits on a pull.
      await bus.jsm.consumers.delete('CONSUMER_TEST', 'worker');
      await until('the consumer re-created', () => lines.some((l) => l.consumer_event === 'recreated'));
      expect((await bus.jsm.consumers.info('CONSUMER_TEST', 'worker')).config.filter_subject).toBe('ctest.>');

      await bus.js.publish('ctest.b', 'after-delete-payload');
      await until('the message published after the delete', () => handled.includes('after-delete-payload'));

      const warning = lines.find((l) => l.level === 40 && (l.consumer_event === 'consumer_deleted' || l.consumer_event === 'consumer_not_found'));
      expect(warning).toMatchObject({ stream: 'CONSUMER_TEST', durable: 'worker' });
      // Codes and ids only: the log never carries a message body.
      expect(raw.join('')).not.toContain('payload');
    } finally {
      await consumer.close();
    }
  });
});
