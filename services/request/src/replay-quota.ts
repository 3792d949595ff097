import { isCasConflict, type Bus } from '@switchyard/bus';

/** A slot a replay holds while it runs: one KV key per (environment, slot number) in the jobs bucket. */
interface Slot {
  job_id: string;
}

/**
 * A job record not written for this long is taken as abandoned (its process died): its slot may be
 * taken over. A running job writes its record every 100 messages, far more often than this.
 */
const ABANDONED_AFTER_MS = 15 * 60_000;

const slotKey = (environmentId: string, n: number) => `replay-slot.${environmentId}.${n}`;

/**
 * Claims one of an environment's `max` replay slots for `jobId`, atomically across processes (KV create,
 * or a compare-and-set over a slot whose job has finished or was abandoned). Returns the release
 * function, or undefined when every slot is held by a running job.
 */
export async function claimReplaySlot(bus: Bus, environmentId: string, jobId: string, max: number): Promise<(() => Promise<void>) | undefined> {
  const kv = bus.kv.jobs;
  const value = JSON.stringify({ job_id: jobId } satisfies Slot);
  for (let n = 0; n < max; n++) {
    const key = slotKey(environmentId, n);
    try {
      const existing = await kv.get(key);
      if (!existing || existing.operation !== 'PUT') {
        await kv.create(key, value);
      } else {
        if (await isRunning(bus, existing.json<Slot>().job_id)) continue;
        await kv.update(key, value, existing.revision);
      }
      return async () => {
        await kv.delete(key).catch(() => undefined);
      };
    } catch (error) {
      // Another request took this slot between our read and write: try the next one.
      if (isCasConflict(error)) continue;
      throw error;
    }
  }
  return undefined;
}

async function isRunning(bus: Bus, jobId: string): Promise<boolean> {
  const entry = await bus.kv.jobs.get(jobId);
  if (!entry || entry.operation !== 'PUT') return false;
  const job = entry.json<{ status: string }>();
  return job.status === 'running' && Date.now() - entry.created.getTime() < ABANDONED_AFTER_MS;
}
