import { describe, expect, it } from 'vitest';
import type { api } from '@switchyard/contracts';
import { progressLine, statusLine } from './cli-polling.js';

const state = (changes: Partial<api.PollStateView> = {}): api.PollStateView => ({
  resource: 'hris/employees',
  source: 'modified_since',
  last_run_at: '2026-12-04T05:00:00.000Z',
  next_poll_at: '2026-12-04T05:05:00.000Z',
  cursor: '2026-12-04T04:59:58.000Z',
  lag_seconds: 3,
  events_emitted: 1200,
  pending_ack: false,
  last_error: null,
  paused: false,
  poll_requested_at: null,
  progress: null,
  missed: null,
  ...changes,
});

describe('switchyard polling: the lines an operator reads', () => {
  it('a first backfill in progress shows records so far, pages and lag', () => {
    const running = state({ cursor: null, lag_seconds: null, progress: { records: 1200, pages: 12, at: '2026-12-04T05:00:09.000Z' } });
    expect(progressLine(running)).toBe('hris/employees  1200 records, 12 pages, lag -');
    expect(statusLine(running)).toContain('1200 records, 12 pages');
    expect(progressLine(state())).toBe('hris/employees  waiting for the poller, lag 3s');
  });

  it('a status line says paused, the missed changes of a reconciled resource and the last error code', () => {
    const line = statusLine(
      state({
        source: 'reconcile',
        paused: true,
        missed: { last_run: 2, total: 5, last_at: '2026-12-04T05:00:01.000Z' },
        last_error: { code: 'SWY_ERR_PROVIDER_RATE_LIMITED', detail: 'x', at: '2026-12-04T05:00:02.000Z', provider_status: 429 },
      }),
    );
    expect(line).toBe(
      'hris/employees (reconcile)  PAUSED  last run 2026-12-04T05:00:00.000Z  cursor 2026-12-04T04:59:58.000Z  lag 3s  events 1200  missed 2 last run, 5 total  error SWY_ERR_PROVIDER_RATE_LIMITED',
    );
  });
});
