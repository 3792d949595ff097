/**
 * Poll benchmark (`npm run bench:poll`): how fast a first backfill goes from a provider's pages to
 * events on EVENTS, beside how fast the provider simulator alone serves the same pages, in one run.
 *   1. raw page rate: the SAP SuccessFactors simulator (test/simulators/successfactors-api.ts) with N
 *      users, read directly page by page (`$top` 100, the definition's page size and filter);
 *   2. poll throughput: a hub process polls one account of that simulator (modified-since backfill:
 *      list call, fingerprint read, RAW publish, fingerprint write per record; then the normalizer maps
 *      each to `hris/employees:created` on EVENTS); timed from the account's creation until EVENTS holds
 *      N events of its environment.
 * Prints both rates and writes them to `bench-results/poll-<timestamp>.json`.
 *
 * Env: BENCH_POLL_RECORDS (users, default 5000), BENCH_POLL_TIMEOUT_MS (default 300000).
 * A benchmark, not a test: nothing here asserts on timings.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventsSubject } from '@switchyard/contracts';
import { BENCH_METRICS_TOKEN, hubApi, spawnHub } from './hub-process.js';
import { envNumber } from './lib.js';
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';
import { startSuccessFactorsApi } from '../simulators/successfactors-api.js';

const RECORDS = Math.round(envNumber('BENCH_POLL_RECORDS', 5_000));
const TIMEOUT_MS = envNumber('BENCH_POLL_TIMEOUT_MS', 300_000);
const PAGE = 100;
const CREDENTIALS = { username: 'bench@benchco', password: 'bench-password' };

/** Reads every page of the simulator as the poll's first run would, and times it. */
async function rawPageRate(url: string): Promise<{ records: number; pages: number; seconds: number }> {
  const auth = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;
  // The simulator stamps seeded users strictly increasing (1 ms apart), so they can run ahead of the
  // clock: the window ends a day ahead so every seeded user is in it.
  const filter = `lastModifiedDateTime gt datetimeoffset'1970-01-01T00:00:00.000Z' and lastModifiedDateTime le datetimeoffset'${new Date(Date.now() + 86_400_000).toISOString()}'`;
  const started = performance.now();
  let records = 0;
  let pages = 0;
  for (;;) {
    const query = new URLSearchParams({ $format: 'json', $filter: filter, $orderby: 'lastModifiedDateTime asc', $top: String(PAGE), $skip: String(pages * PAGE) });
    const body = (await fetch(`${url}/odata/v2/User?${query}`, { headers: { authorization: auth } }).then((r) => r.json())) as { d: { results: unknown[] } };
    records += body.d.results.length;
    pages++;
    if (body.d.results.length < PAGE) break;
  }
  return { records, pages, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('poll');
  const nats = await startBenchNats(tmp);
  const sf = await startSuccessFactorsApi(CREDENTIALS);
  cleanups.push(() => sf.close());
  for (let i = 0; i < RECORDS; i++) sf.upsert({ userId: `u${i}`, firstName: `First${i}`, lastName: `Last${i}`, email: `u${i}@example.com`, status: 't' });

  const raw = await rawPageRate(sf.url);

  const hub = await spawnHub({
    repoRoot: REPO_ROOT,
    natsUrl: nats.url,
    dataDir: join(tmp, 'hub'),
    // One run per account (the backfill), started at once.
    env: { SWITCHYARD_POLL_TICK_MS: '100', SWITCHYARD_POLL_INTERVAL_MS: '3600000' },
  });
  cleanups.push(() => hub.stop());
  const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: 'bench-poll' });
  const nc = await connect({ servers: nats.url, name: 'bench-poll' });
  cleanups.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const eventCount = async () => (await jsm.streams.info('EVENTS', { subjects_filter: eventsSubject({ environment: environment.id, category: 'hris', resource: 'employees' }) })).state.subjects;
  const count = async () => Object.values((await eventCount()) ?? {}).reduce((a, b) => a + b, 0);

  const pollStarted = performance.now();
  await hubApi(hub.url, '/v1/integrated-accounts', environment.api_key, {
    provider: 'sap-successfactors',
    credentials: CREDENTIALS,
    config: { api_host: 'api4.successfactors.com', base_url: `${sf.url}/odata/v2` },
  });
  let events = 0;
  while ((events = await count()) < RECORDS) {
    if (performance.now() - pollStarted > TIMEOUT_MS) throw new Error(`only ${events} of ${RECORDS} events on EVENTS after ${TIMEOUT_MS} ms:\n${hub.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pollSeconds = (performance.now() - pollStarted) / 1000;
  const metrics = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } }).then((r) => r.text());
  const polled = Number(/^switchyard_poll_events_total\{[^}]*resource="hris\/employees"[^}]*\}\s+(\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);

  const result = {
    bench: 'poll',
    machine: machineInfo(natsVersion, started),
    records: RECORDS,
    page_size: PAGE,
    simulator_raw: { records: raw.records, pages: raw.pages, seconds: raw.seconds, records_per_s: raw.records / raw.seconds, pages_per_s: raw.pages / raw.seconds },
    poll_to_events: { events, polled_to_raw: polled, seconds: pollSeconds, records_per_s: events / pollSeconds, pages_per_s: Math.ceil(RECORDS / PAGE) / pollSeconds },
  };
  const file = await resultFile('poll', started);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  const row = (name: string, r: { records_per_s: number; pages_per_s: number; seconds: number }) =>
    `${name.padEnd(44)} ${r.records_per_s.toFixed(0).padStart(9)} records/s ${r.pages_per_s.toFixed(1).padStart(8)} pages/s ${r.seconds.toFixed(2).padStart(8)} s`;
  console.log(`poll bench: ${RECORDS} SuccessFactors users, pages of ${PAGE} (${result.machine.cores} cores, nats-server ${natsVersion})`);
  console.log(row('simulator alone (raw pages)', result.simulator_raw));
  console.log(row('hub: poll → RAW → mapping → EVENTS', result.poll_to_events));
  console.log(`written to ${file}`);
}

await runBench(main);
