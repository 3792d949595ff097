import type { KV } from '@nats-io/kv';
import type { Closeable, Logger } from '@switchyard/kernel';
import { KvLock } from './kv-lock.js';

/** Options for {@link startLeasedLoop}. */
export interface LeasedLoopOptions {
  /** The cluster-wide `locks` bucket. */
  kv: KV;
  /** The lease's key: one loop of this name works a round at a time, cluster-wide. */
  lease: string;
  /** This process's name for the lease (a KV-safe token). */
  owner: string;
  leaseMs: number;
  /** Pause between rounds, in ms. */
  everyMs: number;
  logger: Logger;
  /** Runs before each round whether or not this process wins the lease (e.g. gauges every replica reports). */
  always?: () => void;
  /** One round of work, under the lease; `stopped()` turns true when the loop is closing. */
  round(stopped: () => boolean): Promise<void>;
}

/**
 * A background loop that only one replica works at a time: every `everyMs` it tries the lease, runs a
 * round if it won, and releases it. A failing round is logged and the next one tries again. `close()`
 * waits for the round in progress. Used by the registration reconciler and the poller.
 */
export function startLeasedLoop(options: LeasedLoopOptions): Closeable {
  const lock = new KvLock(options.kv, { owner: options.owner, ttlMs: options.leaseMs });
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const round = async (): Promise<void> => {
    options.always?.();
    const attempt = await lock.tryAcquire(options.lease);
    if (!attempt.acquired) return;
    try {
      await options.round(() => stopped);
    } finally {
      await attempt.lock.release();
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round()
        .catch((error: unknown) => options.logger.warn({ err: error, lease: options.lease }, 'leased loop round failed'))
        .finally(schedule);
    }, options.everyMs);
    timer.unref();
  };
  schedule();
  return {
    close: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
