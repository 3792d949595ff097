import type { api } from '@switchyard/contracts';
import { SwitchyardError } from '@switchyard/contracts';

/** Where the CLI's polling commands reach the hub, and with which environment API key. */
export interface PollingCliOptions {
  url: string;
  apiKey: string;
  /** Where lines go (stdout). */
  out: (text: string) => void;
  /** Seconds between reads while following a run. */
  everyMs?: number;
  /** Gives up following after this long (the run itself goes on in the hub). */
  timeoutMs?: number;
}

export const POLLING_USAGE = `  switchyard polling status|pause|resume|now <account id> [--url <hub url>]
      the poll state of an integrated account, or change it; \`now\` asks for a run and follows it
      with a progress line (records so far, pages, lag) until it ends. The environment API key is
      read from SWITCHYARD_API_KEY; the hub URL from --url, else SWITCHYARD_URL, else http://127.0.0.1:8080`;

const ACTIONS: Record<string, string | undefined> = { status: undefined, pause: 'pause', resume: 'resume', now: 'poll-now' };

/** True for a polling subcommand the CLI knows. */
export function isPollingCommand(command: string | undefined): boolean {
  return command !== undefined && command in ACTIONS;
}

/**
 * `switchyard polling <command> <account>`: one call to the hub's polling API, then one line per
 * resource; `now` follows the run it asked for, redrawing one progress line, until every resource
 * has run since the request (or failed: the line shows the error code).
 */
export async function pollingCommand(command: string, accountId: string, options: PollingCliOptions): Promise<number> {
  const action = ACTIONS[command];
  const path = `/v1/integrated-accounts/${encodeURIComponent(accountId)}/polling${action ? `/${action}` : ''}`;
  let view = await call(options, action ? 'POST' : 'GET', path);
  if (command === 'now') {
    const requested = view.resources.map((r) => r.poll_requested_at ?? '');
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    while (!view.resources.every((r, i) => r.paused || (r.last_run_at !== null && r.last_run_at >= requested[i]! && r.progress === null && r.poll_requested_at !== null && r.poll_requested_at <= r.last_run_at))) {
      if (Date.now() > deadline) break;
      options.out(`\r${view.resources.map(progressLine).join('  ')}`);
      await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 1_000));
      view = await call(options, 'GET', path.replace(/\/poll-now$/, ''));
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

async function call(options: PollingCliOptions, method: string, path: string): Promise<api.PollingView> {
  const response = await fetch(`${options.url.replace(/\/$/, '')}${path}`, { method, headers: { authorization: `Bearer ${options.apiKey}` } });
  const body = (await response.json().catch(() => ({}))) as { code?: string; detail?: string } & Partial<api.PollingView>;
  if (!response.ok) throw new SwitchyardError(body.code?.startsWith('SWY_ERR_') ? (body.code as 'SWY_ERR_INTERNAL') : 'SWY_ERR_INTERNAL', body.detail ?? `${method} ${path} answered ${response.status}`);
  return body as api.PollingView;
}
