/**
 * Ingest benchmark v0 (`npm run bench`). Measures, in one run on one machine at one concurrency:
 *   A. bare Fastify (HTTP ceiling),
 *   B. raw JetStream publish+ack (bus ceiling),
 *   C. Fastify + HMAC verify + JetStream publish+ack (the edge's irreducible work),
 *   and the Switchyard hub ingesting signed BambooHR webhooks, with normalizer and delivery running.
 * Prints a table and writes the same figures to `bench-results/ingest-<timestamp>.json`.
 *
 * Env: BENCH_DURATION_S (default 10), BENCH_CONNECTIONS (default 50), BENCH_WARMUP_S (default 1),
 * BENCH_DRAIN_S (default 15: how long to wait for deliveries to catch up after the hub load),
 * BENCH_SUBSCRIBE (default 1; 0 runs the hub without a subscription, i.e. no delivery work).
 * A benchmark, not a test: nothing here asserts on timings.
 */
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { signBamboo } from '../simulators/bamboohr.js';
import { hubApi, hubCounters, spawnHub } from './hub-process.js';
import { runPublishLoad } from './jetstream-publish.js';
import { envNumber, forkServer, runLoad, type ScenarioResult } from './lib.js';

const DURATION_S = envNumber('BENCH_DURATION_S', 10);
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 50));
const WARMUP_S = process.env.BENCH_WARMUP_S === '0' ? 0 : envNumber('BENCH_WARMUP_S', 1);
const DRAIN_S = envNumber('BENCH_DRAIN_S', 15);
const SUBSCRIBE = process.env.BENCH_SUBSCRIBE !== '0';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Same duplicate window as the hub's RAW stream (1 h), so the ceilings pay the same dedupe cost. */
const DUPLICATE_WINDOW = nanos(3_600_000);

const LABELS = {
  A: 'bare fastify (ceiling A)',
  B: 'jetstream publish+ack (ceiling B)',
  C: 'hmac + jetstream ack (ceiling C)',
  edge: 'switchyard edge alone (bamboohr)',
  hub: 'switchyard hub, all services',
} as const;

const runId = randomBytes(4).toString('hex');
let sequence = 0;
/** A signed BambooHR event-based webhook with a body unique to this run (the hub dedupes equal bodies). */
function signedBambooRequest(secret: string) {
  const body = JSON.stringify({
    type: 'employee.updated',
    timestamp: '2026-01-31T18:42:00+0000',
    data: { companyId: '1', employeeId: `${runId}-${sequence++}`, changedFields: ['firstName'] },
  });
  return signBamboo(secret, body);
}

/** A loopback customer endpoint that answers 200 and only counts, so it costs the bench process little. */
async function startCountingReceiver(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    count: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function ceilingA(): Promise<ScenarioResult> {
  const server = await forkServer(join(HERE, 'server-bare.js'));
  cleanups.push(() => server.stop());
  try {
    const body = JSON.stringify({ hello: 'world', n: 1 });
    return await runLoad({
      scenario: LABELS.A,
      url: `http://127.0.0.1:${server.port}/`,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      build: () => ({ headers: { 'content-type': 'application/json' }, body }),
    });
  } finally {
    await server.stop();
  }
}

async function ceilingB(nc: NatsConnection): Promise<ScenarioResult> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_B', subjects: ['bench.b.>'], storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW });
  try {
    return await runPublishLoad({
      scenario: LABELS.B,
      js: jetstream(nc),
      subject: 'bench.b.publish',
      publishers: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      payloadBytes: 400,
      idPrefix: `${runId}-b`,
    });
  } finally {
    // Free the disk and the dedupe map before the next scenario shares this server.
    await jsm.streams.delete('BENCH_B');
  }
}

async function ceilingC(nc: NatsConnection, natsUrl: string): Promise<ScenarioResult> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_C', subjects: ['bench.c.>'], storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW });
  const secret = randomBytes(24).toString('hex');
  const server = await forkServer(join(HERE, 'server-hmac-jetstream.js'), { NATS_URL: natsUrl, BENCH_SECRET: secret, BENCH_SUBJECT: 'bench.c.raw' });
  cleanups.push(() => server.stop());
  try {
    return await runLoad({
      scenario: LABELS.C,
      url: `http://127.0.0.1:${server.port}/`,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      // The same signed, unique requests as the hub gets, so the load generator's own cost is equal.
      build: () => signedBambooRequest(secret),
    });
  } finally {
    await server.stop();
    await jsm.streams.delete('BENCH_C');
  }
}

/**
 * The edge in its own process, as in production: verify + publish to RAW, nothing else. This is the
 * like-for-like comparison with ceiling C. Accounts are created through a request process that stays
 * idle during the load.
 */
async function edgeScenario(nc: NatsConnection, natsUrl: string, tmp: string): Promise<ScenarioResult> {
  const dataDir = join(tmp, 'edge-data');
  await mkdir(dataDir, { recursive: true });
  const shared = { repoRoot: REPO_ROOT, natsUrl, dataDir, encryptionKey: randomBytes(32).toString('base64') };
  const request = await spawnHub({ ...shared, service: 'request' });
  cleanups.push(() => request.stop());
  const edge = await spawnHub({ ...shared, service: 'edge' });
  cleanups.push(() => edge.stop());
  try {
    const environment = await hubApi<{ id: string; api_key: string }>(request.url, '/v1/environments', request.adminToken, { name: 'bench-edge' });
    const secret = randomBytes(24).toString('hex');
    const account = await hubApi<{ id: string }>(request.url, '/v1/integrated-accounts', environment.api_key, {
      provider: 'bamboohr',
      credentials: { api_key: 'x', subdomain: 'bench' },
      webhook_secret: secret,
    });
    return await runLoad({
      scenario: LABELS.edge,
      url: `${edge.url}/webhooks/bamboohr/${account.id}`,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      build: () => signedBambooRequest(secret),
    });
  } finally {
    await edge.stop();
    await request.stop();
    // Nothing consumed what the edge stored; the hub scenario's normalizer must not inherit it.
    await (await jetstreamManager(nc)).streams.purge('RAW');
  }
}

async function hubScenario(natsUrl: string, tmp: string): Promise<ScenarioResult> {
  const receiver = await startCountingReceiver();
  cleanups.push(() => receiver.close());
  const dataDir = join(tmp, 'hub-data');
  await mkdir(dataDir, { recursive: true });
  const hub = await spawnHub({ repoRoot: REPO_ROOT, natsUrl, dataDir });
  cleanups.push(() => hub.stop());
  try {
    const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: 'bench' });
    const secret = randomBytes(24).toString('hex');
    const account = await hubApi<{ id: string; webhook_url: string }>(hub.url, '/v1/integrated-accounts', environment.api_key, {
      provider: 'bamboohr',
      credentials: { api_key: 'x', subdomain: 'bench' },
      webhook_secret: secret,
    });
    // A subscription makes the normalizer and delivery work during ingest, as they would in production.
    if (SUBSCRIBE) await hubApi(hub.url, '/v1/subscriptions', environment.api_key, { url: receiver.url, event_types: ['hris/employees:*'] });

    const result = await runLoad({
      scenario: LABELS.hub,
      url: account.webhook_url,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      build: () => signedBambooRequest(secret),
    });

    // Ingest answers once RAW has the bytes; normalization and delivery trail behind. Report how far.
    const atLoadEnd = { counters: await hubCounters(hub.url), delivered: receiver.count() };
    const drainStart = Date.now();
    let counters = atLoadEnd.counters;
    while (Date.now() - drainStart < DRAIN_S * 1000) {
      counters = await hubCounters(hub.url);
      const caughtUp = SUBSCRIBE
        ? receiver.count() >= (counters['webhooks.accepted'] ?? 0)
        : (counters['normalized.published'] ?? 0) >= (counters['webhooks.accepted'] ?? 0);
      if (caughtUp) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    result.extra = {
      ...result.extra,
      // Warnings the hub logged (LOG_LEVEL=warn), if any: they explain a slow or failing run.
      // Only the JSON log lines: the start-up banner is not news.
      hubWarnings: hub.output().split('\n').filter((line) => line.startsWith('{')).slice(-20),
      pipeline: {
        subscribed: SUBSCRIBE,
        acceptedIncludingWarmup: counters['webhooks.accepted'] ?? 0,
        duplicates: counters['webhooks.duplicate'] ?? 0,
        deliveredAtLoadEnd: atLoadEnd.delivered,
        normalizedAtLoadEnd: atLoadEnd.counters['normalized.published'] ?? 0,
        normalized: counters['normalized.published'] ?? 0,
        delivered: receiver.count(),
        drainWaitS: (Date.now() - drainStart) / 1000,
        counters,
      },
    };
    return result;
  } finally {
    await hub.stop();
    await receiver.close();
  }
}

const pct = (value: number, of: number | undefined) => (of ? `${((value / of) * 100).toFixed(0)}%` : 'n/a');

/** The table, with each scenario's throughput relative to the ceilings it builds on. */
function renderTable(results: Record<keyof typeof LABELS, ScenarioResult | undefined>): string {
  const rows: string[] = [`${'scenario'.padEnd(34)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}   vs ceiling`];
  const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
  for (const key of ['A', 'B', 'C', 'edge', 'hub'] as const) {
    const r = results[key];
    if (!r) {
      rows.push(`${LABELS[key].padEnd(34)}${'(not run)'.padStart(9)}`);
      continue;
    }
    const vs =
      key === 'C' ? `${pct(r.reqPerSec, results.A?.reqPerSec)} of A` : key === 'hub' || key === 'edge' ? `${pct(r.reqPerSec, results.C?.reqPerSec)} of C, ${pct(r.reqPerSec, results.A?.reqPerSec)} of A` : '';
    rows.push(`${r.scenario.padEnd(34)}${r.reqPerSec.toFixed(0).padStart(9)}${fmt(r.p50Ms).padStart(9)}${fmt(r.p99Ms).padStart(9)}   ${vs}`);
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('ingest');
  const nats = await startBenchNats(tmp);
  const machine = machineInfo(natsVersion, started);
  const settings = { durationS: DURATION_S, connections: CONNECTIONS, warmupS: WARMUP_S, drainS: DRAIN_S, subscribe: SUBSCRIBE };
  console.log(`ingest bench v0: ${CONNECTIONS} connections, ${DURATION_S} s per scenario (+${WARMUP_S} s warm-up), nats-server ${natsVersion}`);

  const results: Record<keyof typeof LABELS, ScenarioResult | undefined> = { A: undefined, B: undefined, C: undefined, edge: undefined, hub: undefined };
  console.log(`running: ${LABELS.A}`);
  results.A = await ceilingA();
  const nc = await connect({ servers: nats.url, name: 'bench' });
  cleanups.push(() => nc.close());
  console.log(`running: ${LABELS.B}`);
  results.B = await ceilingB(nc);
  console.log(`running: ${LABELS.C}`);
  results.C = await ceilingC(nc, nats.url);
  console.log(`running: ${LABELS.edge}`);
  results.edge = await edgeScenario(nc, nats.url, tmp);
  console.log(`running: ${LABELS.hub}`);
  results.hub = await hubScenario(nats.url, tmp);

  console.log('');
  console.log(renderTable(results));
  console.log('');
  const pipeline = results.hub.extra?.pipeline as Record<string, number> | undefined;
  if (pipeline) {
    console.log(
      `hub pipeline${SUBSCRIBE ? '' : ' (no subscription)'}: ${pipeline.acceptedIncludingWarmup} accepted (incl. warm-up), ${pipeline.duplicates} duplicates; ` +
        `at load end ${pipeline.normalizedAtLoadEnd} normalized, ${pipeline.deliveredAtLoadEnd} delivered; ` +
        `${pipeline.normalized} normalized, ${pipeline.delivered} delivered after ${pipeline.drainWaitS?.toFixed(1)} s more`,
    );
  }
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}, nats-server ${machine.natsServer}, ${machine.date}`);
  for (const r of Object.values(results)) {
    if (r && (r.failures > 0 || r.errors > 0)) {
      console.warn(`WARNING: ${r.scenario}: ${r.failures} non-2xx/failed, ${r.errors} errors — figures are not valid (${JSON.stringify(r.extra?.statusCodes ?? {})})`);
    }
  }

  const outFile = await resultFile('ingest', started);
  const valid = Object.values(results).every((r) => r && r.failures === 0 && r.errors === 0);
  const ratios = {
    edgeVsC: results.C && results.edge ? results.edge.reqPerSec / results.C.reqPerSec : null,
    hubVsC: results.C ? results.hub.reqPerSec / results.C.reqPerSec : null,
    hubVsA: results.A ? results.hub.reqPerSec / results.A.reqPerSec : null,
    cVsA: results.A && results.C ? results.C.reqPerSec / results.A.reqPerSec : null,
  };
  await writeFile(outFile, `${JSON.stringify({ version: 'ingest-v0', valid, machine, settings, results, ratios }, null, 2)}\n`);
  console.log(`wrote ${outFile}`);
}

await runBench(main);
