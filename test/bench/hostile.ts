/**
 * Hostile-tenant benchmark v0 (`npm run bench:hostile`). Issue 11's measure: what one tenant's
 * hostile JSONata costs everybody else. A hub runs as its own process; a calm tenant sends signed
 * BambooHR webhooks at a steady rate to a subscription, and the bench probes `GET /healthz` back to
 * back. Two phases of the same length, in the same run:
 *   1. quiet (the ceiling): only the calm tenant and the probe;
 *   2. hostile: the same, while a second tenant keeps previews of expressions that cannot finish
 *      (one long native step, runaway recursion, the backtracking regex of the report) in flight,
 *      has an override made of one long step and sends webhooks through it, and has a subscription
 *      whose filter is one long step.
 * Prints /healthz latency and the calm tenant's webhook → delivery latency per phase, and writes them
 * to `bench-results/hostile-<timestamp>.json`. A benchmark, not a test: nothing asserts on timings.
 *
 * Env: BENCH_DURATION_S (per phase, default 10), BENCH_CALM_RATE (calm webhooks/s, default 20),
 * BENCH_HOSTILE_LOOPS (concurrent hostile preview loops, default 8).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bambooEvent, sendBamboo, signBamboo } from '../simulators/bamboohr.js';
import { spawnHub } from './hub-process.js';
import { envNumber, percentile } from './lib.js';
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';

const DURATION_MS = envNumber('BENCH_DURATION_S', 10) * 1_000;
const CALM_RATE = envNumber('BENCH_CALM_RATE', 20);
const HOSTILE_LOOPS = Math.round(envNumber('BENCH_HOSTILE_LOOPS', 8));

const ONE_LONG_STEP = `$length($replace($pad('', 20000000, 'a'), /a/, 'b'))`;
const HOSTILE_PREVIEWS = [ONE_LONG_STEP, '($f := function($n) { $n > 0 ? $f($n) : 0 }; $f(1))', `$contains($pad('', 40, 'a') & '!', /^(a+)+$/) ? [] : []`];

interface Phase {
  name: string;
  healthz: number[];
  delivery: number[];
  sent: number;
  /** Requests that got no HTTP answer at all (connection refused or reset). */
  failed: { healthz: number; calm: number };
  hostile: Record<string, number>;
}

const api = async (url: string, method: string, path: string, token: string, body?: unknown) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('hostile');
  const nats = await startBenchNats(tmp);
  await mkdir(join(tmp, 'hub'));
  const hub = await spawnHub({ repoRoot: REPO_ROOT, natsUrl: nats.url, dataDir: join(tmp, 'hub') });
  cleanups.push(() => hub.stop());

  // The calm tenant's endpoint: when each record id arrives.
  const arrivals = new Map<string, number>();
  const sink = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString()) as { record_id?: string }).record_id;
      if (id && !arrivals.has(id)) arrivals.set(id, performance.now());
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => sink.close(resolve)));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;

  const tenant = async (name: string) => {
    const env = (await api(hub.url, 'POST', '/v1/environments', hub.adminToken, { name })).body as { id: string; api_key: string };
    const privateKey = `pk_${name}`;
    const account = await api(hub.url, 'POST', '/v1/integrated-accounts', env.api_key, {
      provider: 'bamboohr',
      credentials: { api_key: 'k', subdomain: 'acme' },
      webhook_secret: privateKey,
    });
    const subscription = await api(hub.url, 'POST', '/v1/subscriptions', env.api_key, { url: sinkUrl, event_types: ['hris/employees:*'] });
    if (account.status !== 201 || subscription.status !== 201) throw new Error(`tenant ${name} not set up: ${JSON.stringify([account.body, subscription.body])}`);
    return { apiKey: env.api_key, webhookUrl: account.body.webhook_url as string, privateKey };
  };
  const calm = await tenant('calm');
  const hostile = await tenant('hostile');
  await api(hub.url, 'PUT', '/v1/mappings/bamboohr', hostile.apiKey, { webhook: { mapping: ONE_LONG_STEP } });
  await api(hub.url, 'POST', '/v1/subscriptions', hostile.apiKey, { url: sinkUrl, event_types: ['hris/employees:*'], filter: ONE_LONG_STEP });

  const runPhase = async (name: string, withHostile: boolean): Promise<Phase> => {
    const phase: Phase = { name, healthz: [], delivery: [], sent: 0, failed: { healthz: 0, calm: 0 }, hostile: {} };
    const end = performance.now() + DURATION_MS;
    const sentAt = new Map<string, number>();
    const probe = (async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await fetch(`${hub.url}/healthz`).then((r) => r.arrayBuffer().then(() => r.ok), () => false);
        if (ok) phase.healthz.push(performance.now() - t);
        else phase.failed.healthz++;
      }
    })();
    const calmSender = (async () => {
      for (let i = 0; performance.now() < end; i++) {
        const id = `${name}-${i}`;
        sentAt.set(id, performance.now());
        void sendBamboo(calm.webhookUrl, signBamboo(calm.privateKey, bambooEvent('employee.updated', id))).catch(() => phase.failed.calm++);
        phase.sent++;
        await new Promise((r) => setTimeout(r, 1_000 / CALM_RATE));
      }
    })();
    const hostileLoops = withHostile
      ? Array.from({ length: HOSTILE_LOOPS }, async (_, loop) => {
          for (let i = 0; performance.now() < end; i++) {
            if (loop === 0 && i % 5 === 0) await sendBamboo(hostile.webhookUrl, signBamboo(hostile.privateKey, bambooEvent('employee.updated', `hostile-${i}`))).catch(() => undefined);
            const mapping = HOSTILE_PREVIEWS[(loop + i) % HOSTILE_PREVIEWS.length];
            const answer = await api(hub.url, 'POST', '/v1/mappings/preview', hostile.apiKey, { provider: 'bamboohr', mapping, payload: {} }).catch(() => undefined);
            if (!answer) await new Promise((r) => setTimeout(r, 100)); // no answer: the hub is down or resetting
            const key = answer ? `${answer.status} ${answer.body?.code ?? 'ok'}` : 'no answer';
            phase.hostile[key] = (phase.hostile[key] ?? 0) + 1;
          }
        })
      : [];
    await Promise.all([probe, calmSender, ...hostileLoops]);
    // Let the last calm deliveries land (at most 5 s), then read latencies.
    const drain = performance.now() + 5_000;
    while (performance.now() < drain && [...sentAt.keys()].some((id) => !arrivals.has(id))) await new Promise((r) => setTimeout(r, 50));
    for (const [id, t] of sentAt) {
      const at = arrivals.get(id);
      if (at !== undefined) phase.delivery.push(at - t);
    }
    return phase;
  };

  console.log(`hostile bench v0: ${DURATION_MS / 1000} s per phase, calm ${CALM_RATE} webhooks/s, ${HOSTILE_LOOPS} hostile preview loops, nats-server ${natsVersion}`);
  console.log('running: 1. quiet (ceiling)');
  const quiet = await runPhase('quiet', false);
  console.log('running: 2. hostile tenant');
  const loud = await runPhase('hostile', true);

  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
  };
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2)).padStart(8);
  console.log('\nphase        healthz n   p50 ms   p99 ms   max ms  failed   calm delivered   p50 ms   p99 ms   max ms');
  const rows = [quiet, loud].map((phase) => {
    const h = stats(phase.healthz);
    const d = stats(phase.delivery);
    console.log(`${phase.name.padEnd(12)} ${String(h.n).padStart(9)} ${f(h.p50)} ${f(h.p99)} ${f(h.max)} ${String(phase.failed.healthz).padStart(7)}   ${`${d.n}/${phase.sent}`.padStart(14)} ${f(d.p50)} ${f(d.p99)} ${f(d.max)}`);
    return { phase: phase.name, healthz: { ...h, failed: phase.failed.healthz }, calmDelivery: { ...d, sent: phase.sent, failed: phase.failed.calm }, hostileAnswers: phase.hostile };
  });
  console.log(`\nhostile previews answered: ${Object.entries(loud.hostile).map(([k, v]) => `${k} x${v}`).join(', ')}`);
  const exit = hub.process.exitCode ?? hub.process.signalCode;
  console.log(`hub after the hostile phase: ${exit === null ? 'running' : `exited (${exit}); last output: ${hub.output().slice(-300)}`}; calm webhooks without an answer: ${loud.failed.calm}`);
  const m = machineInfo(natsVersion, started);
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.os}, node ${m.node}, nats-server ${m.natsServer}, ${m.date}`);
  const file = await resultFile('hostile', started);
  await writeFile(file, JSON.stringify({ bench: 'hostile', version: 0, machine: m, durationMs: DURATION_MS, calmRate: CALM_RATE, hostileLoops: HOSTILE_LOOPS, rows }, null, 2));
  console.log(`wrote ${file}`);
}

await runBench(main);
