/**
 * Per-record ordering benchmark (`npm run bench:delivery-ordering`, also the last part of
 * `bench:delivery`). Two phases, same load, same faults, one run:
 *   A. unordered: a subscription with `ordering: "none"`,
 *   B. ordered: a subscription with `ordering: "record"`,
 * each receiving BENCH_ORDER_EVENTS events (default 100 000) over BENCH_ORDER_RECORDS records (default
 * 1 000), published to EVENTS record by record in order (each record's events one after the other,
 * all records at once), while the endpoint (the sink, its own process) answers a random
 * BENCH_ORDER_FAIL_RATE (default 2 %) of requests 500 and the hub is killed with SIGKILL when half the
 * events have arrived, then started again on the same data. The sink counts first arrivals whose
 * `sequence` is lower than one already delivered for the same record: order violations.
 *
 * The events go straight to EVENTS, so this measures fan-out and delivery; the normalizer's share of
 * the order (RAW shards by account, per-record tickets) is proven by test/e2e/delivery-ordering.test.ts.
 * The ordered phase's figure is reported beside the unordered one: the target is ≥ 50 %.
 * A benchmark, not a test: nothing here asserts on timings; violations or losses fail the run.
 */
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { TASK_HEADERS } from '@switchyard/bus';
import { hubApi, spawnHub, type HubProcess } from './hub-process.js';
import { envNumber } from './lib.js';
import { startSink, type Sink } from './sink.js';
import { envelopeBody, runId, type EnvelopeContext } from './envelopes.js';

const EVENTS = Math.round(envNumber('BENCH_ORDER_EVENTS', 100_000));
const RECORDS = Math.round(envNumber('BENCH_ORDER_RECORDS', 1_000));
const FAIL_RATE = envNumber('BENCH_ORDER_FAIL_RATE', 0.02);
const DEADLINE_S = envNumber('BENCH_ORDER_DEADLINE_S', 300);
/** 0 runs without the kill -9 (to tell the cost of the fault from the cost of order). */
const KILL = process.env.BENCH_ORDER_KILL !== '0';
const HUB_ENV = {
  // Retries come quickly: the bench is about order under failures, not about waiting out a backoff.
  SWITCHYARD_DELIVERY_SCHEDULE_MS: Array.from({ length: 30 }, () => '100').join(','),
  SWITCHYARD_DELIVERY_JITTER: '0',
};

const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PhaseResult {
  ordering: 'none' | 'record';
  events: number;
  delivered: number;
  complete: boolean;
  elapsedS: number;
  deliveriesPerSec: number;
  failedOnPurpose: number;
  duplicates: number;
  orderViolations: number;
  killedAtS: number;
  readyAgainS: number;
}

/** Publishes `count` events, record by record in order: record r's k-th event has sequence k·RECORDS + r. */
async function publishInRecordOrder(js: JetStreamClient, context: EnvelopeContext, offset: number): Promise<void> {
  const subject = `events.${context.environmentId}.hris.employees.updated`;
  const h = natsHeaders();
  h.set(TASK_HEADERS.eventType, 'hris/employees:updated');
  const perRecord = Math.ceil(EVENTS / RECORDS);
  await Promise.all(
    Array.from({ length: RECORDS }, async (_, r) => {
      for (let k = 0; k < perRecord; k++) {
        const sequence = k * RECORDS + r;
        if (sequence >= EVENTS) return;
        const { id, body } = envelopeBody(context, offset + sequence, new Date().toISOString(), `${runId}-rec-${r}`);
        for (;;) {
          try {
            await js.publish(subject, body, { msgID: id, headers: h, timeout: 10_000 });
            break;
          } catch {
            await sleep(200); // the bench's own publish retried (same id: deduped); the hub is not involved
          }
        }
      }
    }),
  );
}

async function phase(options: { ordering: 'none' | 'record'; sink: Sink; natsUrl: string; tmp: string; offset: number }): Promise<PhaseResult> {
  const dataDir = join(options.tmp, `hub-${options.ordering}`);
  await mkdir(dataDir, { recursive: true });
  const mappingsDir = join(options.tmp, 'mappings');
  await cp(join(REPO_ROOT, 'mappings', 'bamboohr'), join(mappingsDir, 'bamboohr'), { recursive: true });
  const encryptionKey = randomBytes(32).toString('base64');
  const adminToken = randomBytes(24).toString('hex');
  const spawn = () => spawnHub({ repoRoot: REPO_ROOT, natsUrl: options.natsUrl, dataDir, encryptionKey, adminToken, env: { ...HUB_ENV, SWITCHYARD_MAPPINGS_DIR: mappingsDir } });
  let hub: HubProcess = await spawn();
  cleanups.push(() => hub.stop());
  const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: `bench-order-${options.ordering}` });
  const account = await hubApi<{ id: string }>(hub.url, '/v1/integrated-accounts', environment.api_key, { provider: 'bamboohr', credentials: { api_key: 'x', subdomain: 'bench' }, webhook_secret: 'bench' });
  await hubApi(hub.url, '/v1/subscriptions', environment.api_key, { url: `${options.sink.url}/${options.ordering}`, event_types: ['hris/*'], ordering: options.ordering });
  const context: EnvelopeContext = { environmentId: environment.id, accountId: account.id };
  await sleep(500); // the subscription reaches fan-out's cache by KV watch

  await options.sink.reset(EVENTS, { failRate: FAIL_RATE });
  const t0 = wallMs();
  const publishing = publishInRecordOrder(jetstream(await connectBench(options.natsUrl)), context, options.offset);
  let killedAtS = 0;
  let readyAgainS = 0;
  let stats = await options.sink.stats();
  const deadline = t0 + DEADLINE_S * 1000;
  while (stats.reachedAtMs === 0 && wallMs() < deadline) {
    await sleep(250);
    stats = await options.sink.stats();
    if (KILL && killedAtS === 0 && stats.unique >= EVENTS / 2) {
      killedAtS = (wallMs() - t0) / 1000;
      hub.process.kill('SIGKILL');
      await hub.stop();
      hub = await spawn();
      readyAgainS = (wallMs() - t0) / 1000;
    }
  }
  await publishing;
  const complete = stats.reachedAtMs > 0;
  if (!complete) {
    await describeStall(options.natsUrl);
    console.warn(hub.output());
  }
  const elapsedS = ((complete ? stats.reachedAtMs : wallMs()) - t0) / 1000;
  await hub.stop();
  return {
    ordering: options.ordering,
    events: EVENTS,
    delivered: stats.unique,
    complete,
    elapsedS,
    deliveriesPerSec: stats.unique / elapsedS,
    failedOnPurpose: stats.failed,
    duplicates: stats.duplicates,
    orderViolations: stats.orderViolations,
    killedAtS,
    readyAgainS,
  };
}

/** For a run that did not finish: what is still waiting (record queues, lanes), so the report says where. */
async function describeStall(natsUrl: string): Promise<void> {
  const nc = await connectBench(natsUrl);
  const kv = await new Kvm(nc).open('delivery_order');
  const queues: string[] = [];
  for await (const key of await kv.keys()) queues.push(key);
  console.warn(`stalled: ${queues.length} record queue(s) waiting`);
  const jsm = await jetstreamManager(nc);
  for (const key of queues.slice(0, 2)) {
    const value = (await kv.get(key))?.json<{ items: Array<{ event: string; copy: number }> }>();
    for (const item of value?.items.slice(0, 3) ?? []) {
      const copy = item.copy ? await jsm.streams.getMessage('DELIVERIES', { seq: item.copy }).catch((e: Error) => e.message) : 'no copy';
      console.warn(`  ${key.slice(0, 40)} ${item.event} copy ${item.copy}: ${typeof copy === 'string' ? copy : `${copy?.subject} ${[...(copy?.header?.keys() ?? [])].map((k) => `${k}=${copy?.header?.get(k)}`).join(' ')}`}`);
    }
  }
  for await (const info of jsm.consumers.list('DELIVERIES')) if (info.name.endsWith('_retries') && info.delivered.stream_seq > 0) console.warn(`  ${info.name}: delivered ${info.delivered.stream_seq}, floor ${info.ack_floor.stream_seq}, pending ${info.num_pending}/${info.num_ack_pending}`);
  for await (const info of jsm.consumers.list('DELIVERIES')) {
    if (info.num_pending + info.num_ack_pending > 0) console.warn(`  ${info.name}: pending ${info.num_pending}, ack pending ${info.num_ack_pending}, redelivered ${info.num_redelivered}`);
  }
}

async function connectBench(url: string) {
  const nc = await connect({ servers: url, name: 'bench-order', noAsyncTraces: true });
  cleanups.push(() => nc.close());
  return nc;
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('delivery-ordering');
  const nats = await startBenchNats(tmp);
  const machine = machineInfo(natsVersion, started);
  console.log(`ordering bench v0: ${EVENTS} events on ${RECORDS} records, ${(FAIL_RATE * 100).toFixed(1)} % of requests answered 500, hub killed (SIGKILL) at half, nats-server ${natsVersion}`);
  const sink = await startSink();
  cleanups.push(() => sink.stop());

  console.log('running: A. ordering "none"');
  const unordered = await phase({ ordering: 'none', sink, natsUrl: nats.url, tmp, offset: 0 });
  console.log('running: B. ordering "record"');
  const ordered = await phase({ ordering: 'record', sink, natsUrl: nats.url, tmp, offset: EVENTS });

  const row = (r: PhaseResult) =>
    `| ${r.ordering.padEnd(6)} | ${String(r.delivered).padStart(7)}/${r.events} | ${r.deliveriesPerSec.toFixed(0).padStart(6)}/s | ${r.elapsedS.toFixed(1).padStart(6)} s | ${String(r.orderViolations).padStart(10)} | ${String(r.failedOnPurpose).padStart(6)} | ${String(r.duplicates).padStart(6)} | ${r.killedAtS.toFixed(1)} s → ready ${r.readyAgainS.toFixed(1)} s |`;
  console.log('');
  console.log('| order  | delivered       | rate     | elapsed  | violations | 500s   | dupes  | kill -9                 |');
  console.log('|--------|-----------------|----------|----------|------------|--------|--------|-------------------------|');
  console.log(row(unordered));
  console.log(row(ordered));
  const ratio = ordered.deliveriesPerSec / unordered.deliveriesPerSec;
  console.log('');
  console.log(`ordered vs unordered: ${(ratio * 100).toFixed(0)} % (target ≥ 50 %); ordered violations ${ordered.orderViolations} (target 0); unordered violations ${unordered.orderViolations} (no promise made)`);
  console.log(`machine:    ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}, nats-server ${machine.natsServer}, ${machine.date}`);

  const failures: string[] = [];
  if (ordered.orderViolations > 0) failures.push(`${ordered.orderViolations} per-record order violations at the ordered subscription`);
  for (const r of [unordered, ordered]) if (!r.complete) failures.push(`${r.ordering}: only ${r.delivered}/${r.events} delivered in ${DEADLINE_S} s`);
  const outFile = await resultFile('delivery-ordering', started);
  await writeFile(outFile, `${JSON.stringify({ version: 'delivery-ordering-v0', valid: failures.length === 0, failures, machine, settings: { EVENTS, RECORDS, FAIL_RATE, hubEnv: HUB_ENV }, results: { unordered, ordered }, ratio }, null, 2)}\n`);
  console.log(`wrote ${outFile}`);
  if (failures.length > 0) throw new Error(`failed run: ${failures.join('; ')}`);
}

await runBench(main);
