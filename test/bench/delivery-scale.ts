/**
 * Delivery at many endpoints (`npm run bench:delivery`, second part). One hub process against its own
 * nats-server and the sink process; for 1 000 and then 10 000 subscriptions, each to its own sink path:
 * 1. creating the subscriptions through the API (creations/s);
 * 2. the ceiling: raw undici POSTs to that many distinct paths, at the hub's delivery concurrency;
 * 3. fan-out: events published to EVENTS, each matching every subscription, until the sink has one
 *    delivery per (event, path) — deliveries/s beside the ceiling;
 * and at 10 000: hub and nats-server RSS, their idle CPU over a quiet window, a restart (SIGTERM, start,
 * time to /readyz) followed by one more event to every endpoint, and what is left behind in DELIVERIES.
 * Figures only: nothing here is asserted on timing; lost deliveries fail the run.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Pool } from 'undici';
import { STREAMS, TASK_HEADERS } from '@switchyard/bus';
import { deliveryHeaders, envelopeBody, type EnvelopeContext } from './envelopes.js';
import { BENCH_METRICS_TOKEN, hubApi, spawnHub, type HubProcess } from './hub-process.js';
import { envNumber } from './lib.js';
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';
import { startSink, type Sink } from './sink.js';

const DURATION_S = envNumber('BENCH_DURATION_S', 10);
const DELIVERY_CONCURRENCY = Math.round(envNumber('BENCH_DELIVERY_CONCURRENCY', 64));
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1000,10000').split(',').map(Number);
/** Deliveries per fan-out phase: events × endpoints ≈ this. */
const FANOUT_DELIVERIES = envNumber('BENCH_FANOUT_DELIVERIES', 30_000);
const CREATE_CONCURRENCY = 16;
const IDLE_S = envNumber('BENCH_IDLE_S', 10);
const TICKS_PER_S = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallMs = () => performance.timeOrigin + performance.now();

/** CPU ms a process has used (user + system), from /proc. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}

/** Resident memory of a process, in MB, from /proc. */
function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

/** Raw undici POSTs to `paths` distinct paths of the sink, `DELIVERY_CONCURRENCY` at once, for the duration. */
async function ceiling(sink: Sink, paths: number): Promise<number> {
  const pool = new Pool(sink.origin, { connections: DELIVERY_CONCURRENCY, pipelining: 1, keepAliveTimeout: 60_000 });
  const context = { environmentId: 'env_ceiling', accountId: 'acc_ceiling' };
  let sequence = 0;
  let done = 0;
  try {
    const run = async (durationS: number) => {
      const endAt = performance.now() + durationS * 1000;
      const worker = async () => {
        while (performance.now() < endAt) {
          const n = sequence++;
          const { id, body } = envelopeBody(context, n);
          const response = await pool.request({ path: `/hooks/${n % paths}`, method: 'POST', headers: deliveryHeaders(id), body });
          await response.body.dump();
          if (response.statusCode === 200) done++;
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: DELIVERY_CONCURRENCY }, worker));
      return (performance.now() - t0) / 1000;
    };
    await run(1);
    done = 0;
    const elapsedS = await run(DURATION_S);
    return done / elapsedS;
  } finally {
    await pool.close();
  }
}

/** Publishes `count` events matching every subscription of the environment; resolves when all are stored. */
async function publishEvents(js: JetStreamClient, context: EnvelopeContext, first: number, count: number): Promise<void> {
  const h = natsHeaders();
  h.set(TASK_HEADERS.eventType, 'hris/employees:updated');
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const { id, body } = envelopeBody(context, first + i);
      return js.publish(`events.${context.environmentId}.hris.employees.updated`, body, { msgID: id, headers: h, timeout: 30_000 });
    }),
  );
}

/** Waits until the sink has `expected` distinct deliveries or `timeoutS` passes; returns the count and when it got there. */
async function awaitDeliveries(sink: Sink, expected: number, timeoutS: number): Promise<{ unique: number; duplicates: number; atMs: number }> {
  const deadline = wallMs() + timeoutS * 1000;
  for (;;) {
    const stats = await sink.stats();
    if (stats.reachedAtMs > 0 || wallMs() > deadline) return { unique: stats.unique, duplicates: stats.duplicates, atMs: stats.reachedAtMs || wallMs() };
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('delivery-scale');
  const nats = await startBenchNats(tmp);
  const machine = machineInfo(natsVersion, started);
  const sink = await startSink();
  cleanups.push(() => sink.stop());
  const dataDir = join(tmp, 'hub-data');
  await mkdir(dataDir, { recursive: true });
  const mappingsDir = join(tmp, 'mappings');
  await cp(join(REPO_ROOT, 'mappings', 'bamboohr'), join(mappingsDir, 'bamboohr'), { recursive: true });
  const hubOptions = {
    repoRoot: REPO_ROOT,
    natsUrl: nats.url,
    dataDir,
    encryptionKey: randomBytes(32).toString('base64'),
    adminToken: randomBytes(24).toString('hex'),
    readyTimeoutMs: 120_000,
    env: { SWITCHYARD_DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY), SWITCHYARD_MAPPINGS_DIR: mappingsDir },
  };
  let hub: HubProcess = await spawnHub(hubOptions);
  cleanups.push(() => hub.stop());
  console.log(`delivery scale bench: sizes ${SIZES.join(', ')}, ${DURATION_S} s ceilings, delivery concurrency ${DELIVERY_CONCURRENCY}, nats-server ${natsVersion}`);

  const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: 'bench-scale' });
  const account = await hubApi<{ id: string }>(hub.url, '/v1/integrated-accounts', environment.api_key, { provider: 'bamboohr', credentials: { api_key: 'x', subdomain: 'bench' }, webhook_secret: 'x'.repeat(32) });
  const context: EnvelopeContext = { environmentId: environment.id, accountId: account.id };
  const nc = await connect({ servers: nats.url, name: 'bench-scale', noAsyncTraces: true });
  cleanups.push(() => nc.close());
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  const rows: Array<Record<string, number | string | boolean>> = [];
  let created = 0;
  let sequence = 0;
  let lost = 0;
  for (const size of SIZES) {
    // 1. Subscriptions up to `size`, each to its own path.
    const t0 = performance.now();
    let next = created;
    const creator = async () => {
      while (next < size) {
        const i = next++;
        await hubApi(hub.url, '/v1/subscriptions', environment.api_key, { url: `${sink.origin}/hooks/${i}`, event_types: ['hris/*'] });
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, creator));
    const createPerSec = (size - created) / ((performance.now() - t0) / 1000);
    created = size;
    // Fan-out sees new subscriptions through a KV watch: one event to all proves they are all live.
    await sink.reset(size);
    await publishEvents(js, context, sequence, 1);
    sequence += 1;
    const warm = await awaitDeliveries(sink, size, 120);
    lost += size - warm.unique;

    // 2. The ceiling for this many endpoints.
    await sink.reset();
    const ceilingPerSec = await ceiling(sink, size);

    // 3. Fan-out.
    const events = Math.max(1, Math.round(FANOUT_DELIVERIES / size));
    await sink.reset(events * size);
    const f0 = wallMs();
    const cpu0 = { hub: cpuMs(hub.process.pid), nats: cpuMs(nats.process.pid) };
    await publishEvents(js, context, sequence, events);
    sequence += events;
    const fanout = await awaitDeliveries(sink, events * size, 300);
    const fanoutS = (fanout.atMs - f0) / 1000;
    const cpuShare = (pid: number | undefined, before: number) => Math.round(((cpuMs(pid) - before) / (fanoutS * 1000)) * 100);
    lost += events * size - fanout.unique;
    const row: Record<string, number | string | boolean> = {
      endpoints: size,
      createPerSec: Math.round(createPerSec),
      ceilingPerSec: Math.round(ceilingPerSec),
      events,
      deliveries: fanout.unique,
      duplicates: fanout.duplicates,
      deliveriesPerSec: Math.round(fanout.unique / fanoutS),
      vsCeiling: `${Math.round((fanout.unique / fanoutS / ceilingPerSec) * 100)}%`,
      hubCpuPct: cpuShare(hub.process.pid, cpu0.hub),
      natsCpuPct: cpuShare(nats.process.pid, cpu0.nats),
      hubRssMb: rssMb(hub.process.pid),
      natsRssMb: rssMb(nats.process.pid),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }

  // Idle: nothing to deliver, every subscription live.
  await sleep(2_000);
  const idle0 = { hub: cpuMs(hub.process.pid), nats: cpuMs(nats.process.pid), at: performance.now() };
  await sleep(IDLE_S * 1000);
  const idleMs = performance.now() - idle0.at;
  // What the hub's RSS is made of: V8 heap in use vs allocated, and buffers outside the heap.
  const metricsText = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } }).then((r) => r.text());
  const metricMb = (name: string) => Math.round(Number(new RegExp(`^${name}\\s+(\\S+)$`, 'm').exec(metricsText)?.[1] ?? 0) / 1_048_576);
  const idle = {
    heapUsedMb: metricMb('switchyard_nodejs_heap_size_used_bytes'),
    heapTotalMb: metricMb('switchyard_nodejs_heap_size_total_bytes'),
    externalMb: metricMb('switchyard_nodejs_external_memory_bytes'),
    hubPct: Math.round(((cpuMs(hub.process.pid) - idle0.hub) / idleMs) * 1000) / 10,
    natsPct: Math.round(((cpuMs(nats.process.pid) - idle0.nats) / idleMs) * 1000) / 10,
    hubRssMb: rssMb(hub.process.pid),
    natsRssMb: rssMb(nats.process.pid),
  };

  // Restart: SIGTERM, start again, ready; then one event to every endpoint.
  const r0 = performance.now();
  await hub.stop();
  const stoppedS = (performance.now() - r0) / 1000;
  const r1 = performance.now();
  hub = await spawnHub(hubOptions);
  const readyS = (performance.now() - r1) / 1000;
  await sink.reset(created);
  const a0 = wallMs();
  await publishEvents(js, context, sequence, 1);
  const after = await awaitDeliveries(sink, created, 120);
  lost += created - after.unique;
  const consumers: string[] = [];
  for await (const info of jsm.consumers.list(STREAMS.DELIVERIES)) consumers.push(info.name);
  await sleep(1_000);
  const left = (await jsm.streams.info(STREAMS.DELIVERIES)).state.messages;
  const restart = { stopS: Math.round(stoppedS * 100) / 100, readyS: Math.round(readyS * 100) / 100, firstFanoutS: Math.round(((after.atMs - a0) / 1000) * 100) / 100, delivered: after.unique, of: created };

  console.log('');
  console.log('| endpoints | created/s | ceiling (raw POSTs/s, distinct paths) | fan-out deliveries/s | vs ceiling | hub CPU | nats CPU | hub RSS | nats RSS |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.endpoints} | ${r.createPerSec} | ${r.ceilingPerSec} | ${r.deliveriesPerSec} | ${r.vsCeiling} | ${r.hubCpuPct} % | ${r.natsCpuPct} % | ${r.hubRssMb} MB | ${r.natsRssMb} MB |`);
  console.log('');
  console.log(`idle at ${created} subscriptions (${IDLE_S} s): hub ${idle.hubPct} % of a core, nats-server ${idle.natsPct} %; RSS hub ${idle.hubRssMb} MB + nats ${idle.natsRssMb} MB = ${idle.hubRssMb + idle.natsRssMb} MB (hub heap ${idle.heapUsedMb} MB used of ${idle.heapTotalMb} MB, ${idle.externalMb} MB external)`);
  console.log(`restart: stop ${restart.stopS} s, ready ${restart.readyS} s, first event to all ${created} endpoints in ${restart.firstFanoutS} s (${restart.delivered}/${restart.of})`);
  console.log(`left behind: ${consumers.length} consumers on DELIVERIES (${consumers.filter((c) => !c.startsWith('dq_')).length} not lane consumers), ${left} tasks`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}, nats-server ${machine.natsServer}, ${machine.date}`);
  const outFile = await resultFile('delivery-scale', started);
  await writeFile(outFile, `${JSON.stringify({ version: 'delivery-scale-v1', machine, rows, idle, restart, consumers: consumers.length, tasksLeft: left, lost }, null, 2)}\n`);
  console.log(`wrote ${outFile}`);
  if (lost > 0) throw new Error(`failed run: ${lost} deliveries missing`);
}

await runBench(main);
