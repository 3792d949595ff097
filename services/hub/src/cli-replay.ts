import { ok } from '@switchyard/client';
import { SwitchyardError, type api } from '@switchyard/contracts';
import { pause, type RemoteCliOptions } from './cli-client.js';

export const REPLAY_USAGE = `  switchyard replay dead-letters [--provider <slug>] [--account <id>] [--code <SWY_ERR_…>] [--since <ISO>] [--until <ISO>] [--url <hub url>]
  switchyard replay raw --since <ISO> [--until <ISO>] [--provider <slug>] [--account <id>] [--url <hub url>]
      put normalizer dead letters (through the current mapping) or stored raw deliveries back on RAW,
      then follow the job with a progress line (matched, republished) until it ends; exit 1 if it failed`;

/** What to replay: the filter flags, as the CLI parsed them. */
export interface ReplayFilter {
  provider?: string | undefined;
  account?: string | undefined;
  code?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** `running  1200 matched, 1180 republished` — one job's progress. */
export function replayLine(job: api.ReplayJob): string {
  const line = `${job.id}  ${job.kind}  ${job.status.padEnd(7)}  ${job.matched} matched, ${job.republished} republished`;
  return job.error ? `${line}  error: ${job.error}` : line;
}

const defined = <T extends Record<string, unknown>>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/**
 * `switchyard replay dead-letters|raw`: starts the replay through the generated client, then reads the
 * job every `everyMs`, redrawing one progress line, and prints its final state when it ends (or when
 * Ctrl-C stops the following: the job itself runs on in the hub).
 */
export async function replayCommand(kind: 'dead-letters' | 'raw', filter: ReplayFilter, options: RemoteCliOptions): Promise<number> {
  const { client } = options;
  let job: api.ReplayJob;
  if (kind === 'raw') {
    if (!filter.since) throw new SwitchyardError('SWY_ERR_VALIDATION', '--since: say from when raw deliveries are replayed (an ISO time, e.g. 2026-12-04T00:00:00Z)');
    if (filter.code) throw new SwitchyardError('SWY_ERR_VALIDATION', '--code: raw deliveries have no error code; use replay dead-letters');
    job = ok(await client.POST('/v1/raw/replay', { body: defined({ since: filter.since, until: filter.until, provider: filter.provider, integrated_account_id: filter.account }) }));
  } else {
    const body = { filter: defined({ provider: filter.provider, integrated_account_id: filter.account, code: filter.code, since: filter.since, until: filter.until }) };
    job = ok(await client.POST('/v1/dead-letters/replay', { body }));
  }
  const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
  while (job.status === 'running' && !options.signal?.aborted && Date.now() <= deadline) {
    options.out(`\r${replayLine(job)}`);
    await pause(options.everyMs ?? 1_000, options.signal);
    job = ok(await client.GET('/v1/replays/{id}', { params: { path: { id: job.id } } }));
  }
  options.out(`\r${replayLine(job)}\n`);
  return job.status === 'failed' ? 1 : 0;
}
