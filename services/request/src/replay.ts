import { api, rawSubject, SwitchyardError } from '@switchyard/contracts';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DEAD_HEADERS, publishDurable, RAW_HEADERS, readStream, STREAMS, TASK_HEADERS, type Bus, type StoredEntry } from '@switchyard/bus';
import { randomId, type Logger } from '@switchyard/kernel';
import { claimReplaySlot } from './replay-quota.js';

/**
 * A replay job's state, kept in the `jobs` bucket (24 h) so any request process can report it; the
 * contract `GET /v1/replays/{id}` answers with (the OpenAPI document is made from it).
 */
export type ReplayJob = api.ReplayJob;

/** What to replay: a subject of DEAD or RAW, and a test on each message. */
export interface ReplaySource {
  kind: ReplayJob['kind'];
  stream: typeof STREAMS.DEAD | typeof STREAMS.RAW;
  subject: string;
  since?: Date | undefined;
  match: (entry: StoredEntry) => boolean;
  /** Dead letters leave DEAD once back on RAW: if they fail again, the normalizer dead-letters them anew. */
  deleteAfter: boolean;
}

const RAW_HEADER_NAMES = new Set<string>([
  RAW_HEADERS.provider,
  RAW_HEADERS.account,
  RAW_HEADERS.environment,
  RAW_HEADERS.receivedAt,
  RAW_HEADERS.contentType,
  RAW_HEADERS.eventKey,
  RAW_HEADERS.polled,
]);

/**
 * Starts a replay in the background and returns its job at once. Stored raw bytes go back on RAW with
 * `swy-origin: replay` and their original delivery key, so the normalizer runs them through the current
 * mapping and the events get deterministic ids: a replay repeated with the same mapping publishes no
 * event twice (EVENTS dedupes by id). Progress is written to the job every 100 messages.
 *
 * At most `limits.maxRunning` replays of one environment run at once (each one scans a stream and
 * republishes): one more is refused with 429 `SWY_ERR_REPLAY_LIMIT`, so a tenant cannot queue unbounded
 * work on the hub.
 */
export async function startReplay(
  bus: Bus,
  logger: Logger,
  environmentId: string,
  source: ReplaySource,
  limits: { publishTimeoutMs: number; maxRunning: number },
): Promise<ReplayJob> {
  const { publishTimeoutMs } = limits;
  const id = randomId('job');
  const release = await claimReplaySlot(bus, environmentId, id, limits.maxRunning);
  if (!release) {
    throw new SwitchyardError('SWY_ERR_REPLAY_LIMIT', `at most ${limits.maxRunning} replays of an environment run at once; poll GET /v1/replays/{id} and retry when one is done`);
  }
  const job: ReplayJob = {
    id,
    environment_id: environmentId,
    kind: source.kind,
    status: 'running',
    matched: 0,
    republished: 0,
    started_at: new Date().toISOString(),
    finished_at: null,
    error: null,
  };
  const save = () => bus.kv.jobs.put(job.id, JSON.stringify(job));
  try {
    await save();
  } catch (error) {
    await release();
    throw error;
  }
  void (async () => {
    try {
      let afterSeq: number | undefined;
      for (;;) {
        const page = await readStream(bus, { stream: source.stream, subject: source.subject, since: afterSeq === undefined ? source.since : undefined, afterSeq, limit: 500, match: source.match });
        for (const entry of page.entries) {
          job.matched++;
          const h = natsHeaders();
          for (const [name, value] of Object.entries(entry.headers)) if (RAW_HEADER_NAMES.has(name) || name.startsWith(RAW_HEADERS.keptPrefix)) h.set(name, value);
          h.set(RAW_HEADERS.origin, 'replay');
          const provider = entry.headers[RAW_HEADERS.provider] ?? 'unknown';
          const account = entry.headers[RAW_HEADERS.account] ?? 'unknown';
          await publishDurable(bus.js, rawSubject({ provider, account }), entry.data, { msgID: `replay:${job.id}:${source.stream}:${entry.seq}`, headers: h }, publishTimeoutMs);
          if (source.deleteAfter) await bus.jsm.streams.deleteMessage(source.stream, entry.seq, false).catch(() => undefined);
          job.republished++;
          if (job.republished % 100 === 0) await save();
        }
        if (page.nextSeq === null) break;
        afterSeq = page.nextSeq;
      }
      job.status = 'done';
    } catch (error) {
      job.status = 'failed';
      job.error = (error as Error).message;
      logger.error({ err: error, job: job.id }, 'replay failed');
    }
    job.finished_at = new Date().toISOString();
    await save().catch(() => undefined);
    await release();
  })();
  return job;
}

/** A job by id, within one environment. */
export async function getJob(bus: Bus, environmentId: string, id: string): Promise<ReplayJob | undefined> {
  const entry = await bus.kv.jobs.get(id).catch(() => null);
  if (!entry || entry.operation !== 'PUT') return undefined;
  const job = entry.json<ReplayJob>();
  return job.environment_id === environmentId ? job : undefined;
}

/** Whether a stored message belongs to an environment (every RAW and normalizer DEAD message says so). */
export const inEnvironment = (environmentId: string) => (entry: StoredEntry) => entry.headers[RAW_HEADERS.environment] === environmentId;

/** The dead-letter view of a DEAD message: codes and references, never the body. */
export function deadLetterView(entry: StoredEntry) {
  return {
    id: `dl_${entry.seq}`,
    stage: entry.headers[DEAD_HEADERS.stage] ?? null,
    provider: entry.headers[RAW_HEADERS.provider] ?? null,
    integrated_account_id: entry.headers[RAW_HEADERS.account] ?? null,
    code: entry.headers[DEAD_HEADERS.code] ?? null,
    message: entry.headers[DEAD_HEADERS.message] ?? null,
    mapping_version: entry.headers[DEAD_HEADERS.mappingVersion] ?? null,
    mapping_revisions: entry.headers[DEAD_HEADERS.mappingRevisions] ?? null,
    raw_seq: entry.headers[DEAD_HEADERS.rawSeq] ? Number(entry.headers[DEAD_HEADERS.rawSeq]) : null,
    subscription_id: entry.headers[TASK_HEADERS.subscription] ?? null,
    event_id: entry.headers[TASK_HEADERS.eventId] ?? null,
    received_at: entry.headers[RAW_HEADERS.receivedAt] ?? null,
    dead_at: entry.time.toISOString(),
    size_bytes: entry.data.byteLength,
  };
}
