import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';

/** A real nats-server with JetStream on a free loopback port in a fresh temp dir; `stop()` removes it all. */
export async function startTestNats(): Promise<NatsServerHandle & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'swy-nats-'));
  const server = await startNatsServer({ storeDir: join(dir, 'js'), port: 0 });
  return {
    ...server,
    dir,
    stop: async (graceMs?: number) => {
      await server.stop(graceMs);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
