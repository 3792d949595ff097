import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { forkServer, type ChildHandle } from './lib.js';
import type { SinkCommand, SinkStats } from './sink-server.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));


/** The delivery benches' customer endpoint (sink-server.ts in its own process), controlled over IPC. */
export interface Sink extends ChildHandle {
  readonly url: string;
  readonly origin: string;
  reset(expect?: number, options?: { failRate?: number }): Promise<void>;
  stats(options?: { latencies?: boolean; arrivals?: boolean }): Promise<SinkStats>;
}

/** Forks the sink and resolves once it listens. */
export async function startSink(): Promise<Sink> {
  const child = await forkServer(join(HERE, 'sink-server.js'));
  let nextId = 0;
  const pending = new Map<number, (message: { stats?: SinkStats }) => void>();
  child.process.on('message', (message: { id?: unknown; stats?: SinkStats }) => {
    if (typeof message?.id !== 'number') return;
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const call = (command: Omit<SinkCommand, 'id'>) =>
    new Promise<{ stats?: SinkStats }>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`sink did not answer ${command.op} in 10 s`));
      }, 10_000);
      pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.process.send({ ...command, id });
    });
  const origin = `http://127.0.0.1:${child.port}`;
  return {
    ...child,
    origin,
    url: `${origin}/hooks`,
    reset: async (expect, options = {}) => void (await call({ op: 'reset', ...(expect ? { expect } : {}), ...options })),
    stats: async (options = {}) => {
      const { stats } = await call({ op: 'stats', ...options });
      if (!stats) throw new Error('sink answered stats without stats');
      return stats;
    },
  };
}

