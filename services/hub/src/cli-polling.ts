import { ok } from '@switchyard/client';
import type { api } from '@switchyard/contracts';
import type { RemoteCliOptions } from './cli-client.js';

export const POLLING_USAGE = `  switchyard polling status|pause|resume|now <account id> [--url <hub url>]
      the poll state of an integrated account, or change it; \`now\` asks for a run and follows it
      with a progress line (records so far, pages, lag) until it ends`;

const COMMANDS = ['status', 'pause', 'resume', 'now'] as const;
type PollingCommand = (typeof COMMANDS)[number];

/** True for a polling subcommand the CLI knows. */
export function isPollingCommand(command: string | undefined): command is PollingCommand {
  return (COMMANDS as readonly string[]).includes(command ?? '');
}

/** One call of the polling API through the generated client. */
async function call(options: RemoteCliOptions, command: PollingCommand, id: string): Promise<api.PollingView> {
  const params = { params: { path: { id } } };
  const { client } = options;
  if (command === 'pause') return ok(await client.POST('/v1/integrated-accounts/{id}/polling/pause', params));
  if (command === 'resume') return ok(await client.POST('/v1/integrated-accounts/{id}/polling/resume', params));
  if (command === 'now') return ok(await client.POST('/v1/integrated-accounts/{id}/polling/poll-now', params));
  return ok(await client.GET('/v1/integrated-accounts/{id}/polling', params));
}

/**
 * `switchyard polling <command> <account>`: one call to the hub's polling API, then one line per
 * resource; `now` follows the run it asked for, redrawing one progress line, until every resource
 * has run since the request (or failed: the line shows the error code).
 */
export async function pollingCommand(command: PollingCommand, accountId: string, options: RemoteCliOptions): Promise<number> {
  let view = await call(options, command, accountId);
  if (command === 'now') {
    const requested = view.resources.map((r) => r.poll_requested_at ?? '');
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    while (!view.resources.every((r, i) => r.paused || (r.last_run_at !== null && r.last_run_at >= requested[i]! && r.progress === null && r.poll_requested_at !== null && r.poll_requested_at <= r.last_run_at))) {
      if (Date.now() > deadline) break;
      options.out(`\r${view.resources.map(progressLine).join('  ')}`);
      await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 1_000));
      view = await call(options, 'status', accountId);
    }
    options.out('\r');
  }
  for (const r of view.resources) options.out(`${statusLine(r)}\n`);
  return view.resources.some((r) => r.last_error !== null) ? 1 : 0;
}

/** `hris/employees  1200 records, 12 pages, lag 3600s` — a run in progress (a first backfill). */
export function progressLine(r: api.PollStateView): string {
  const lag = r.lag_seconds === null ? 'lag -' : `lag ${r.lag_seconds}s`;
  return r.progress ? `${r.resource}  ${r.progress.records} records, ${r.progress.pages} pages, ${lag}` : `${r.resource}  waiting for the poller, ${lag}`;
}

/** One resource's state on one line. */
export function statusLine(r: api.PollStateView): string {
  const parts = [
    `${r.resource} (${r.source})`,
    r.paused ? 'PAUSED' : 'active',
    `last run ${r.last_run_at ?? 'never'}`,
    `cursor ${r.cursor ?? '-'}`,
    `lag ${r.lag_seconds === null ? '-' : `${r.lag_seconds}s`}`,
    `events ${r.events_emitted}`,
  ];
  if (r.missed) parts.push(`missed ${r.missed.last_run} last run, ${r.missed.total} total`);
  if (r.progress) parts.push(progressLine(r));
  if (r.last_error) parts.push(`error ${r.last_error.code}`);
  return parts.join('  ');
}
