/**
 * Delivery benchmark v0 (`npm run bench:delivery`). Measures, in one run on one machine, against one
 * customer endpoint (a sink in its own process that answers 200 at once):
 *   1. ceiling: raw undici POSTs of ~600-byte JSON bodies to the sink, keep-alive, at the concurrency
 *      the hub may use toward one endpoint (its per-endpoint in-flight cap),
 *   2. delivery throughput: N envelopes published straight to EVENTS, timed from the first publish
 *      until the sink has received all N from the hub (fan-out → DELIVERIES → worker → POST),
 *   3. end-to-end latency: signed BambooHR webhooks sent open-loop at a fixed rate to the hub, timed
 *      from the send (carried in the payload's `timestamp`) to the sink's arrival.
 * Prints a table and writes the same figures to `bench-results/delivery-<timestamp>.json`.
 *
 * Env: BENCH_DURATION_S (default 10), BENCH_WARMUP_S (default 1), BENCH_DRAIN_S (default 15: how long to
 * wait for a backlog to clear), BENCH_E2E_RATE (default 500 webhooks/s), BENCH_EVENTS (default: ceiling
 * req/s × duration × 0.5, at most the hub's warm-up deliveries/s × duration, within 5k–60k),
 * BENCH_ENDPOINT_CONCURRENCY (default 8) and BENCH_DELIVERY_CONCURRENCY (default 64), passed to the hub
 * as SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY and SWITCHYARD_DELIVERY_CONCURRENCY.
 * Run-to-run spread is large on a shared 2-core machine: the `other` CPU figure says how much of the
 * machine something outside this run used.
 * A benchmark, not a test: nothing here asserts on timings.
 */
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerInfo, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Pool } from 'undici';
import { EventEnvelope } from '@switchyard/contracts';
import { STREAMS, TASK_HEADERS } from '@switchyard/bus';
import { signBamboo } from '../simulators/bamboohr.js';
import { BENCH_METRICS_TOKEN, hubApi, hubCounters, spawnHub, type HubProcess } from './hub-process.js';
import { envNumber, forkServer, percentile, type ChildHandle } from './lib.js';
import type { SinkStats } from './sink-server.js';
import { startSink, type Sink } from './sink.js';
import { deliveryHeaders, envelopeBody, runId, type EnvelopeContext } from './envelopes.js';

const DURATION_S = envNumber('BENCH_DURATION_S', 10);
const WARMUP_S = process.env.BENCH_WARMUP_S === '0' ? 0 : envNumber('BENCH_WARMUP_S', 1);
const DRAIN_S = envNumber('BENCH_DRAIN_S', 15);
const E2E_RATE = envNumber('BENCH_E2E_RATE', 500);
/**
 * The hub's per-endpoint in-flight cap, passed to it as SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY. The
 * ceiling uses the same number of concurrent POSTs: it is the most the hub may have in flight toward
 * the one endpoint, so a higher ceiling concurrency would measure something the hub is not allowed to do.
 */
const ENDPOINT_CONCURRENCY = Math.round(envNumber('BENCH_ENDPOINT_CONCURRENCY', 8));
/** The hub's global delivery concurrency (SWITCHYARD_DELIVERY_CONCURRENCY), its default unless overridden. */
const DELIVERY_CONCURRENCY = Math.round(envNumber('BENCH_DELIVERY_CONCURRENCY', 64));
const HUB_ENV = {
  SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY: String(ENDPOINT_CONCURRENCY),
  SWITCHYARD_DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY),
};
/** Events of phase 2's warm-up: enough to open connections, warm the JIT and estimate the hub's pace. */
const WARM_EVENTS = 1_000;
/** Publishes awaiting their JetStream ack at once in phase 2: enough that acks, not round trips, limit. */
const PUBLISH_CONCURRENCY = 128;
/** Bounds of the calibrated event count: enough for a steady state, few enough to keep the run short. */
const MIN_EVENTS = 5_000;
const MAX_EVENTS = 60_000;
/** Connections to the hub in phase 3: far above rate × ingest latency, so sends never queue on the pool. */
const E2E_CONNECTIONS = 64;

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Wall-clock ms at sub-ms resolution; the sink uses the same clock (same machine). */
const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// CPU accounting: where the two cores went during a phase

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, is 100 on every architecture Node runs on. */
const TICK_MS = 10;

function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const sum = t.user + t.nice + t.sys + t.irq + t.idle;
    total += sum;
    busy += sum - t.idle;
  }
  return { busy, total };
}

/** CPU used per process during a phase, in % of one core (`other`: busy time none of ours used), and the machine's idle share. */
type CpuReport = Record<string, number> & { machineIdlePct: number };

function cpuMeter(pids: Record<string, number | undefined>): () => CpuReport {
  const started = wallMs();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]));
  const benchBefore = process.cpuUsage();
  const machineBefore = machineTimes();
  return () => {
    const elapsed = wallMs() - started;
    const report: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) report[name] = round1(((processCpuMs(pid) - (before[name] ?? 0)) / elapsed) * 100);
    const bench = process.cpuUsage(benchBefore);
    report.bench = round1(((bench.user + bench.system) / 1000 / elapsed) * 100);
    const machine = machineTimes();
    const total = machine.total - machineBefore.total;
    const busyShare = total > 0 ? (machine.busy - machineBefore.busy) / total : 0;
    report.machineIdlePct = round1((1 - busyShare) * 100);
    // Busy time no process of this run accounts for: other work on the machine (or the kernel's
    // network stack) competing for the same cores, which makes a run's figures suspect.
    const ours = Object.values(report).reduce((a, b) => a + b, 0) - report.machineIdlePct;
    report.other = round1(Math.max(0, busyShare * os.cpus().length * 100 - ours));
    return report as CpuReport;
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

// ---------------------------------------------------------------------------------------------------
// Phase 1: the ceiling

/** Phase 1's figures. */
interface CeilingResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  total: number;
  failures: number;
  errors: number;
  durationS: number;
  concurrency: number;
  bodyBytes: number;
  sinkCounted: number;
  cpu: CpuReport;
}

async function ceilingPhase(sink: Sink, pids: Record<string, number | undefined>): Promise<CeilingResult> {
  const pool = new Pool(sink.origin, { connections: ENDPOINT_CONCURRENCY, pipelining: 1, keepAliveTimeout: 60_000 });
  const context = { environmentId: 'env_ceiling', accountId: 'acc_ceiling' };
  let sequence = 0;
  const run = async (durationS: number) => {
    const latencies: number[] = [];
    let failures = 0;
    let errors = 0;
    const started = performance.now();
    const endAt = started + durationS * 1000;
    const worker = async () => {
      while (performance.now() < endAt) {
        const { id, body } = envelopeBody(context, sequence++);
        const t0 = performance.now();
        try {
          const response = await pool.request({ path: '/hooks', method: 'POST', headers: deliveryHeaders(id), body });
          await response.body.dump();
          if (response.statusCode === 200) latencies.push(performance.now() - t0);
          else failures++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: ENDPOINT_CONCURRENCY }, worker));
    return { latencies, failures, errors, elapsedS: (performance.now() - started) / 1000 };
  };
  try {
    if (WARMUP_S > 0) await run(WARMUP_S);
    await sink.reset();
    const cpu = cpuMeter(pids);
    const { latencies, failures, errors, elapsedS } = await run(DURATION_S);
    const cpuReport = cpu();
    const sorted = Float64Array.from(latencies).sort();
    return {
      reqPerSec: latencies.length / elapsedS,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? 0,
      total: latencies.length,
      failures,
      errors,
      durationS: elapsedS,
      concurrency: ENDPOINT_CONCURRENCY,
      bodyBytes: Buffer.byteLength(envelopeBody(context, 0).body),
      sinkCounted: (await sink.stats()).count,
      cpu: cpuReport,
    };
  } finally {
    await pool.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Phase 2: delivery throughput from EVENTS

/** The consumers' state at one moment of phase 2, for the timeline in the JSON report. */
interface Sample {
  tS: number;
  published: number;
  delivered: number;
  /** EVENTS not yet fanned out (pending + in flight). */
  fanoutBacklog: number;
  /** Tasks in DELIVERIES (queued, in flight or waiting for a retry). */
  tasksStored: number;
}

/** Phase 2's figures. */
interface ThroughputResult {
  events: number;
  delivered: number;
  complete: boolean;
  deliveriesPerSec: number;
  elapsedS: number;
  /** Time to publish all N to EVENTS (acked), and that rate: whether the publisher kept ahead. */
  publishS: number;
  publishPerSec: number;
  publishFailures: number;
  duplicatesAtSink: number;
  /** Tasks the worker consumer handed out per event delivered: 1.0 means no nak/redelivery churn. */
  workerHandoutsPerEvent: number;
  /** The hub's own view of its POSTs (from /metrics): mean attempt latency and attempt outcomes. */
  hubMeanAttemptMs: number | null;
  /** The same POSTs by latency: attempts at or under each bound (seconds, cumulative), this phase only. */
  hubAttemptBuckets: Record<string, number>;
  hubAttempts: Record<string, number>;
  cpu: CpuReport;
  timeline: Sample[];
}

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | undefined> {
  return jsm.consumers.info(stream, durable).catch(() => undefined);
}

/** Tasks stored in DELIVERIES (a work queue: queued, in flight or waiting for a retry). */
async function tasksStored(jsm: JetStreamManager): Promise<number> {
  return (await jsm.streams.info(STREAMS.DELIVERIES)).state.messages;
}

/** Tasks the delivery lanes' consumers (`dq_*`) have handed out so far, redeliveries included. */
async function laneHandouts(jsm: JetStreamManager): Promise<number> {
  let total = 0;
  for await (const info of jsm.consumers.list(STREAMS.DELIVERIES)) if (info.name.startsWith('dq_')) total += info.delivered.consumer_seq;
  return total;
}

/** The hub's delivery attempt latency histogram (cumulative counts per bound, plus sum and count). */
interface AttemptHistogram {
  sum: number;
  count: number;
  buckets: Record<string, number>;
}

async function attemptLatency(hubUrl: string): Promise<AttemptHistogram> {
  const text = await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } }).then((r) => r.text());
  const sum = Number(/^switchyard_delivery_attempt_seconds_sum\s+(\S+)$/m.exec(text)?.[1] ?? 0);
  const count = Number(/^switchyard_delivery_attempt_seconds_count\s+(\S+)$/m.exec(text)?.[1] ?? 0);
  const buckets: Record<string, number> = {};
  for (const match of text.matchAll(/^switchyard_delivery_attempt_seconds_bucket\{le="([^"]+)"\}\s+(\S+)$/gm)) buckets[match[1]!] = Number(match[2]);
  return { sum, count, buckets };
}

/** Publishes `count` envelopes to EVENTS with `PUBLISH_CONCURRENCY` awaiting acks; resolves when all are acked. */
async function publishEnvelopes(js: JetStreamClient, context: EnvelopeContext, first: number, count: number, onAck: () => void): Promise<number> {
  const subject = `events.${context.environmentId}.hris.employees.updated`;
  const h = natsHeaders();
  // As the normalizer publishes: fan-out does not need it, but the stored messages look the same.
  h.set(TASK_HEADERS.eventType, 'hris/employees:updated');
  let next = first;
  const end = first + count;
  let failures = 0;
  const publisher = async () => {
    while (next < end) {
      const { id, body } = envelopeBody(context, next++);
      try {
        await js.publish(subject, body, { msgID: id, headers: h, timeout: 10_000 });
        onAck();
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: PUBLISH_CONCURRENCY }, publisher));
  return failures;
}

async function throughputPhase(options: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  hub: HubProcess;
  sink: Sink;
  context: EnvelopeContext;
  events: number;
  firstSequence: number;
  pids: Record<string, number | undefined>;
}): Promise<ThroughputResult> {
  const { js, jsm, hub, sink, context, events } = options;
  const handoutsBefore = await laneHandouts(jsm);
  const countersBefore = await hubCounters(hub.url);
  const latencyBefore = await attemptLatency(hub.url);
  await sink.reset(events);

  const cpu = cpuMeter(options.pids);
  const t0 = wallMs();
  let published = 0;
  let publishDoneAt = 0;
  const publishing = publishEnvelopes(js, context, options.firstSequence, events, () => published++).then((failures) => {
    publishDoneAt = wallMs();
    return failures;
  });

  // Watch until the sink has every event, or give up: a stalled pipeline must not hang the run.
  const deadline = t0 + Math.max(20, 3 * DURATION_S) * 1000;
  const timeline: Sample[] = [];
  let stats = await sink.stats();
  while (stats.reachedAtMs === 0 && wallMs() < deadline) {
    await sleep(250);
    const [fanout, stored] = await Promise.all([consumerInfo(jsm, STREAMS.EVENTS, 'delivery-fanout'), tasksStored(jsm)]);
    stats = await sink.stats();
    timeline.push({
      tS: round2((wallMs() - t0) / 1000),
      published,
      delivered: stats.unique,
      fanoutBacklog: (fanout?.num_pending ?? 0) + (fanout?.num_ack_pending ?? 0),
      tasksStored: stored,
    });
  }
  const cpuReport = cpu();
  const publishFailures = await publishing;
  const complete = stats.reachedAtMs > 0;
  const endMs = complete ? stats.reachedAtMs : wallMs();
  const elapsedS = (endMs - t0) / 1000;

  const handoutsAfter = await laneHandouts(jsm);
  const countersAfter = await hubCounters(hub.url);
  const latencyAfter = await attemptLatency(hub.url);
  const attempts = latencyAfter.count - latencyBefore.count;
  const hubAttempts: Record<string, number> = {};
  for (const [key, value] of Object.entries(countersAfter)) {
    if (key.startsWith('delivery_attempts.')) hubAttempts[key.slice('delivery_attempts.'.length)] = value - (countersBefore[key] ?? 0);
  }
  return {
    events,
    delivered: stats.unique,
    complete,
    deliveriesPerSec: stats.unique / elapsedS,
    elapsedS,
    publishS: ((publishDoneAt || wallMs()) - t0) / 1000,
    publishPerSec: published / (((publishDoneAt || wallMs()) - t0) / 1000),
    publishFailures,
    duplicatesAtSink: stats.duplicates,
    workerHandoutsPerEvent: stats.unique > 0 ? (handoutsAfter - handoutsBefore) / stats.unique : 0,
    hubMeanAttemptMs: attempts > 0 ? ((latencyAfter.sum - latencyBefore.sum) / attempts) * 1000 : null,
    hubAttemptBuckets: Object.fromEntries(Object.entries(latencyAfter.buckets).map(([le, n]) => [le, n - (latencyBefore.buckets[le] ?? 0)])),
    hubAttempts,
    cpu: cpuReport,
    timeline,
  };
}

/** Waits until fan-out and the worker have nothing left (or `DRAIN_S` passes); returns whether they did. */
async function waitIdle(jsm: JetStreamManager): Promise<boolean> {
  const deadline = Date.now() + DRAIN_S * 1000;
  for (;;) {
    const [fanout, stored] = await Promise.all([consumerInfo(jsm, STREAMS.EVENTS, 'delivery-fanout'), tasksStored(jsm)]);
    const left = (fanout?.num_pending ?? 0) + (fanout?.num_ack_pending ?? 0) + stored;
    if (left === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------------
// Phase 3: end-to-end latency at a fixed rate

/** Phase 3's figures. */
interface E2eResult {
  targetRate: number;
  sent: number;
  achievedRate: number;
  /** Worst lateness of a send against its schedule: how faithfully open-loop the generator was. */
  maxSendLagMs: number;
  accepted: number;
  rejected: number;
  errors: number;
  delivered: number;
  duplicatesAtSink: number;
  /** Send → sink arrival (the payload carries the send time with ms precision, so figures read ≤ 1 ms high). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The hub's answer to the webhook POST (ingest: verify + RAW publish), as the sender saw it. */
  ingestP50Ms: number;
  ingestP99Ms: number;
  /** Send → stored in EVENTS (ingest + normalize), and stored in EVENTS → sink (fan-out + delivery). */
  toEventsP50Ms: number | null;
  toEventsP99Ms: number | null;
  eventsToSinkP50Ms: number | null;
  eventsToSinkP99Ms: number | null;
  /** How many end-to-end latencies fall at or under each bound (ms): shows whether the tail is retries. */
  latencyBuckets: Record<string, number>;
  /** Tasks the worker consumer handed out per event delivered: above 1.0, tasks were deferred (nak) and retaken. */
  workerHandoutsPerEvent: number;
  drainS: number;
  cpu: CpuReport;
}

const BUCKET_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000];

function buckets(sorted: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  let i = 0;
  for (const bound of BUCKET_BOUNDS_MS) {
    while (i < sorted.length && sorted[i]! <= bound) i++;
    out[`<=${bound}`] = i;
  }
  out[`>${BUCKET_BOUNDS_MS.at(-1)}`] = sorted.length - i;
  return out;
}

/** Sends signed BambooHR webhooks open-loop at `rate`/s for `durationS`; resolves when every answer is in. */
async function sendAtRate(pool: Pool, path: string, secret: string, rate: number, durationS: number, tag: string) {
  const total = Math.max(1, Math.round(rate * durationS));
  const ingest: number[] = [];
  let accepted = 0;
  let rejected = 0;
  let errors = 0;
  let sent = 0;
  let maxLagMs = 0;
  let lastSendAt = 0;
  const inflight: Promise<void>[] = [];
  const fire = (index: number) => {
    // The send time, as an ISO string with ms: the normalizer copies it into the envelope's timestamp.
    const body = JSON.stringify({
      type: 'employee.updated',
      timestamp: new Date().toISOString(),
      data: { companyId: '12345', employeeId: `${runId}-${tag}-${index}`, changedFields: ['firstName'] },
    });
    const request = signBamboo(secret, body);
    const t0 = performance.now();
    inflight.push(
      pool.request({ path, method: 'POST', headers: request.headers, body: request.body }).then(
        async (response) => {
          await response.body.dump();
          ingest.push(performance.now() - t0);
          if (response.statusCode >= 200 && response.statusCode < 300) accepted++;
          else rejected++;
        },
        () => void errors++,
      ),
    );
  };
  const started = performance.now();
  await new Promise<void>((resolve) => {
    // Open loop: every tick sends whatever the schedule says is due by now, whether or not earlier
    // requests have been answered, so a slow hub shows up as latency rather than as a lower rate.
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
      while (sent < due) {
        maxLagMs = Math.max(maxLagMs, now - (started + (sent * 1000) / rate));
        fire(sent++);
        lastSendAt = performance.now();
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendWindowS = (lastSendAt - started) / 1000 + 1 / rate;
  await Promise.all(inflight);
  return { sent, achievedRate: sent / sendWindowS, maxLagMs, accepted, rejected, errors, ingest };
}

/** Waits until the sink has `count` distinct deliveries (or `DRAIN_S` passes); returns the stats. */
async function waitDelivered(sink: Sink, count: number): Promise<SinkStats> {
  const deadline = Date.now() + DRAIN_S * 1000;
  for (;;) {
    const stats = await sink.stats();
    if (stats.unique >= count || Date.now() > deadline) return stats;
    await sleep(100);
  }
}

/**
 * Reads EVENTS from `startSeq` on and returns, per event id, when the webhook was sent (the envelope's
 * `timestamp`, which the normalizer copied from the payload) and when EVENTS stored it (wall-clock ms).
 */
async function eventTimes(js: JetStreamClient, jsm: JetStreamManager, startSeq: number): Promise<Map<string, { sentMs: number; storedMs: number }>> {
  const times = new Map<string, { sentMs: number; storedMs: number }>();
  const last = (await jsm.streams.info(STREAMS.EVENTS)).state.last_seq;
  if (last < startSeq) return times;
  // An ordered consumer: ephemeral, flow-controlled, and gone when we stop reading.
  const consumer = await js.consumers.get(STREAMS.EVENTS, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq });
  const messages = await consumer.consume();
  for await (const message of messages) {
    try {
      const envelope = JSON.parse(message.string()) as { id?: unknown; timestamp?: unknown };
      const sentMs = typeof envelope.timestamp === 'string' ? Date.parse(envelope.timestamp) : Number.NaN;
      if (typeof envelope.id === 'string' && Number.isFinite(sentMs)) times.set(envelope.id, { sentMs, storedMs: message.info.timestampNanos / 1e6 });
    } catch {
      // Not an envelope: nothing to time.
    }
    if (message.seq >= last) break;
  }
  messages.stop();
  return times;
}

async function e2ePhase(options: { js: JetStreamClient; jsm: JetStreamManager; sink: Sink; webhookUrl: string; secret: string; pids: Record<string, number | undefined> }): Promise<E2eResult> {
  const { js, jsm, sink } = options;
  const url = new URL(options.webhookUrl);
  const pool = new Pool(url.origin, { connections: E2E_CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    // Warm-up: the edge and normalizer have not run yet in this hub; JIT and connection set-up would
    // otherwise land in the measured window's tail.
    if (WARMUP_S > 0) {
      await sink.reset();
      const warm = await sendAtRate(pool, url.pathname, options.secret, E2E_RATE, WARMUP_S, 'warm');
      await waitDelivered(sink, warm.accepted);
      await waitIdle(jsm);
    }
    const startSeq = (await jsm.streams.info(STREAMS.EVENTS)).state.last_seq + 1;
    const handoutsBefore = await laneHandouts(jsm);
    await sink.reset();
    const cpu = cpuMeter(options.pids);
    const sent = await sendAtRate(pool, url.pathname, options.secret, E2E_RATE, DURATION_S, 'e2e');
    const cpuReport = cpu();
    const drainStart = Date.now();
    const stats = await waitDelivered(sink, sent.accepted);
    const drainS = (Date.now() - drainStart) / 1000;
    const full = await sink.stats({ latencies: true, arrivals: true });
    const handouts = (await laneHandouts(jsm)) - handoutsBefore;

    // Split each delivered event's latency at the moment EVENTS stored it: ingest + normalize before,
    // fan-out + delivery after. nats-server stamps with the same machine clock.
    const toEvents: number[] = [];
    const eventsToSink: number[] = [];
    for (const [id, { sentMs, storedMs }] of await eventTimes(js, jsm, startSeq)) {
      const arrival = full.arrivals?.[id];
      if (arrival === undefined) continue;
      toEvents.push(storedMs - sentMs);
      eventsToSink.push(arrival - storedMs);
    }

    const sorted = (values: number[]) => Float64Array.from(values).sort();
    const e2e = sorted(full.latencies ?? []);
    const ingest = sorted(sent.ingest);
    const a = sorted(toEvents);
    const b = sorted(eventsToSink);
    return {
      targetRate: E2E_RATE,
      sent: sent.sent,
      achievedRate: sent.achievedRate,
      maxSendLagMs: sent.maxLagMs,
      accepted: sent.accepted,
      rejected: sent.rejected,
      errors: sent.errors,
      delivered: stats.unique,
      duplicatesAtSink: full.duplicates,
      p50Ms: percentile(e2e, 50),
      p99Ms: percentile(e2e, 99),
      maxMs: e2e.at(-1) ?? 0,
      ingestP50Ms: percentile(ingest, 50),
      ingestP99Ms: percentile(ingest, 99),
      toEventsP50Ms: a.length ? percentile(a, 50) : null,
      toEventsP99Ms: a.length ? percentile(a, 99) : null,
      eventsToSinkP50Ms: b.length ? percentile(b, 50) : null,
      eventsToSinkP99Ms: b.length ? percentile(b, 99) : null,
      latencyBuckets: buckets(e2e),
      workerHandoutsPerEvent: stats.unique > 0 ? handouts / stats.unique : 0,
      drainS,
      cpu: cpuReport,
    };
  } finally {
    await pool.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const pct = (value: number, of: number) => (of > 0 ? `${((value / of) * 100).toFixed(0)}%` : 'n/a');
const cpuLine = (cpu: CpuReport) =>
  `cpu % of one core: hub ${cpu.hub}, nats ${cpu.nats}, sink ${cpu.sink}, bench ${cpu.bench}, other ${cpu.other}; machine idle ${cpu.machineIdlePct}%`;

/** The table: each figure beside the ceiling it is judged against. */
function renderTable(ceiling: CeilingResult, throughput: ThroughputResult, e2e: E2eResult): string {
  const head = `${'phase'.padEnd(40)}${'rate/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}   vs ceiling`;
  const row = (label: string, rate: number, p50: number | null, p99: number | null, max: number | null, vs: string) =>
    `${label.padEnd(40)}${rate.toFixed(0).padStart(8)}${fmt(p50).padStart(9)}${fmt(p99).padStart(9)}${fmt(max).padStart(9)}   ${vs}`;
  return [
    head,
    row(`raw undici POST -> sink (ceiling, c=${ceiling.concurrency})`, ceiling.reqPerSec, ceiling.p50Ms, ceiling.p99Ms, ceiling.maxMs, ''),
    row(
      `hub delivery, ${throughput.events} events${throughput.complete ? '' : ' (INCOMPLETE)'}`,
      throughput.deliveriesPerSec,
      null,
      null,
      null,
      `${pct(throughput.deliveriesPerSec, ceiling.reqPerSec)} of ceiling (goal >= 60%)`,
    ),
    row(
      `end-to-end @ ${e2e.targetRate}/s (webhook -> sink)`,
      e2e.achievedRate,
      e2e.p50Ms,
      e2e.p99Ms,
      e2e.maxMs,
      `${pct(e2e.achievedRate, e2e.targetRate)} of target rate; ${e2e.delivered}/${e2e.accepted} delivered; ceiling POST p50 ${fmt(ceiling.p50Ms)} / p99 ${fmt(ceiling.p99Ms)}`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('delivery');
  const nats = await startBenchNats(tmp);
  const machine = machineInfo(natsVersion, started);
  console.log(
    `delivery bench v0: ${DURATION_S} s per phase (+${WARMUP_S} s warm-up), endpoint cap ${ENDPOINT_CONCURRENCY}, ` +
      `delivery concurrency ${DELIVERY_CONCURRENCY}, e2e rate ${E2E_RATE}/s, nats-server ${natsVersion}`,
  );

  const sink = await startSink();
  cleanups.push(() => sink.stop());
  const pids: Record<string, number | undefined> = { nats: nats.process.pid, sink: sink.process.pid };

  console.log('running: 1. ceiling (raw undici POSTs to the sink)');
  const ceiling = await ceilingPhase(sink, { ...pids, hub: undefined });

  const dataDir = join(tmp, 'hub-data');
  await mkdir(dataDir, { recursive: true });
  // The hub gets a snapshot of the one mapping this bench uses: a provider directory half-written in
  // the working tree must not stop the hub from starting, and other providers play no part in delivery.
  const mappingsDir = join(tmp, 'mappings');
  await cp(join(REPO_ROOT, 'mappings', 'bamboohr'), join(mappingsDir, 'bamboohr'), { recursive: true });
  const hub = await spawnHub({ repoRoot: REPO_ROOT, natsUrl: nats.url, dataDir, env: { ...HUB_ENV, SWITCHYARD_MAPPINGS_DIR: mappingsDir } });
  cleanups.push(() => hub.stop());
  pids.hub = hub.process.pid;
  const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: 'bench-delivery' });
  const secret = randomBytes(24).toString('hex');
  const account = await hubApi<{ id: string; webhook_url: string }>(hub.url, '/v1/integrated-accounts', environment.api_key, {
    provider: 'bamboohr',
    credentials: { api_key: 'x', subdomain: 'bench' },
    webhook_secret: secret,
  });
  await hubApi(hub.url, '/v1/subscriptions', environment.api_key, { url: sink.url, event_types: ['hris/*'] });
  const context: EnvelopeContext = { environmentId: environment.id, accountId: account.id };
  // Proves the published bodies are what the hub itself would publish; a bench of invalid events
  // would measure a path production never takes.
  EventEnvelope.parse(JSON.parse(envelopeBody(context, 0).body));

  const nc: NatsConnection = await connect({ servers: nats.url, name: 'bench-delivery', noAsyncTraces: true });
  cleanups.push(() => nc.close());
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);

  // Warm-up for phase 2: also proves the subscription is live in fan-out's cache (it arrives by KV
  // watch), opens the hub's keep-alive connections to the sink before the clock starts, and tells us
  // roughly how fast this hub delivers.
  const warmEvents = WARM_EVENTS;
  await sink.reset(warmEvents);
  const warmStart = wallMs();
  await publishEnvelopes(js, context, 0, warmEvents, () => undefined);
  const warmStats = await waitDelivered(sink, warmEvents);
  if (warmStats.unique < warmEvents) throw new Error(`warm-up: only ${warmStats.unique}/${warmEvents} events delivered in ${DRAIN_S} s:\n${hub.output()}`);
  const warmRate = warmEvents / ((warmStats.reachedAtMs - warmStart) / 1000);
  await waitIdle(jsm);

  // N from the ceiling (half of what the ceiling would do in the duration), but no more than the hub
  // delivered at warm-up pace in the duration: when delivery is far below the ceiling, the
  // ceiling-based N alone would run the phase for minutes and leave a backlog for phase 3.
  const calibrated = Math.min(ceiling.reqPerSec * DURATION_S * 0.5, warmRate * DURATION_S);
  const events = Math.round(envNumber('BENCH_EVENTS', Math.min(MAX_EVENTS, Math.max(MIN_EVENTS, calibrated))));
  console.log(`running: 2. delivery throughput (${events} events published to EVENTS; warm-up delivered ${warmRate.toFixed(0)}/s)`);
  const throughput = await throughputPhase({ js, jsm, hub, sink, context, events, firstSequence: warmEvents, pids });
  // Phase 3 must not inherit a backlog: its latencies would measure phase 2's queue.
  const idleBeforeE2e = await waitIdle(jsm);
  if (!idleBeforeE2e) {
    // Only this bench's events are in these streams: dropping the rest gives phase 3 a clean start.
    await jsm.streams.purge(STREAMS.EVENTS);
    await jsm.streams.purge(STREAMS.DELIVERIES);
    await waitIdle(jsm);
  }

  console.log(`running: 3. end-to-end latency (${E2E_RATE} signed webhooks/s)`);
  const e2e = await e2ePhase({ js, jsm, sink, webhookUrl: account.webhook_url, secret, pids });
  const hubWarnings = hub.output().split('\n').filter((line) => line.startsWith('{')).slice(-20);

  console.log('');
  console.log(renderTable(ceiling, throughput, e2e));
  console.log('');
  console.log(`ceiling:    ${ceiling.total} POSTs of ${ceiling.bodyBytes} B (sink counted ${ceiling.sinkCounted}); ${cpuLine(ceiling.cpu)}`);
  console.log(
    `throughput: ${throughput.delivered}/${throughput.events} delivered in ${throughput.elapsedS.toFixed(2)} s; publish to EVENTS took ${throughput.publishS.toFixed(2)} s ` +
      `(${throughput.publishPerSec.toFixed(0)}/s); worker hand-outs per event ${throughput.workerHandoutsPerEvent.toFixed(2)}; ` +
      `hub mean POST ${fmt(throughput.hubMeanAttemptMs)} ms; ${throughput.duplicatesAtSink} duplicates; ${cpuLine(throughput.cpu)}`,
  );
  console.log(
    `e2e:        ${e2e.sent} sent (max send lag ${fmt(e2e.maxSendLagMs)} ms), ${e2e.accepted} accepted, ${e2e.rejected} rejected, ${e2e.errors} errors, ` +
      `${e2e.delivered} delivered (drain ${e2e.drainS.toFixed(1)} s); worker hand-outs per event ${e2e.workerHandoutsPerEvent.toFixed(2)}; ` +
      `over 250 ms: ${e2e.sent > 0 ? e2e.delivered - (e2e.latencyBuckets['<=250'] ?? 0) : 0}; ingest answer p50 ${fmt(e2e.ingestP50Ms)} / p99 ${fmt(e2e.ingestP99Ms)} ms; ` +
      `send->EVENTS p50 ${fmt(e2e.toEventsP50Ms)} / p99 ${fmt(e2e.toEventsP99Ms)} ms; EVENTS->sink p50 ${fmt(e2e.eventsToSinkP50Ms)} / p99 ${fmt(e2e.eventsToSinkP99Ms)} ms; ${cpuLine(e2e.cpu)}`,
  );
  console.log(`machine:    ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}, nats-server ${machine.natsServer}, ${machine.date}`);

  // Failures break the run (exit 1): requests refused or lost. Shortfalls within the time limits are
  // figures, not failures (benchmarks assert nothing on timing): they mark the report invalid and warn.
  const failures: string[] = [];
  const shortfalls: string[] = [];
  if (ceiling.failures > 0 || ceiling.errors > 0) failures.push(`ceiling: ${ceiling.failures} non-200, ${ceiling.errors} errors`);
  if (throughput.publishFailures > 0) failures.push(`throughput: ${throughput.publishFailures} publishes to EVENTS failed`);
  if (e2e.rejected > 0 || e2e.errors > 0) failures.push(`e2e: ${e2e.rejected} webhooks rejected, ${e2e.errors} errors`);
  if (!throughput.complete) shortfalls.push(`throughput: only ${throughput.delivered}/${throughput.events} delivered before the deadline`);
  if (!idleBeforeE2e) shortfalls.push(`e2e: phase 2 backlog had not cleared after ${DRAIN_S} s (purged before phase 3)`);
  if (e2e.delivered < e2e.accepted) shortfalls.push(`e2e: ${e2e.delivered}/${e2e.accepted} delivered after ${DRAIN_S} s`);
  const problems = [...failures, ...shortfalls];
  for (const problem of problems) console.warn(`WARNING: ${problem} — figures are not valid`);
  if (hubWarnings.length > 0) console.warn(`hub logged ${hubWarnings.length} warning line(s); see the JSON report`);

  const outFile = await resultFile('delivery', started);
  const settings = {
    durationS: DURATION_S,
    warmupS: WARMUP_S,
    drainS: DRAIN_S,
    e2eRate: E2E_RATE,
    e2eConnections: E2E_CONNECTIONS,
    events,
    warmEvents,
    warmDeliveriesPerSec: warmRate,
    publishConcurrency: PUBLISH_CONCURRENCY,
    hubEnv: HUB_ENV,
  };
  const ratios = { deliveryVsCeiling: throughput.deliveriesPerSec / ceiling.reqPerSec, e2eRateVsTarget: e2e.achievedRate / E2E_RATE };
  await writeFile(
    outFile,
    `${JSON.stringify({ version: 'delivery-v0', valid: problems.length === 0, problems, machine, settings, results: { ceiling, throughput, e2e }, ratios, hubWarnings }, null, 2)}\n`,
  );
  console.log(`wrote ${outFile}`);
  if (failures.length > 0) throw new Error(`failed run: ${failures.join('; ')}`);
}

await runBench(main);
