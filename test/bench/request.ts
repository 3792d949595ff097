/**
 * Unified-read benchmark v0 (`npm run bench:request`). Measures, in one run on one machine, the same
 * BambooHR API simulator (its own child process) read two ways:
 *   1. direct: `GET /api/v1/employees/{id}?fields=…` with the API key as Basic user (what a customer's
 *      own integration would do), and
 *   2. through the hub: `GET /unified/hris/employees/{id}?integrated_account_id=…` (hub in a child
 *      process; the account's base_url points at the same simulator),
 * and, unless BENCH_LIST=0, the list route (`limit=100`) against the direct directory call, plus the
 * single-record read at low concurrency (BENCH_LATENCY_CONNECTIONS, default 1; 0 skips) where latency is
 * the hub's own cost rather than queueing. Prints a table and writes `bench-results/request-<iso>.json`.
 *
 * Latency percentiles are computed from every response's time as autocannon measures it (sub-ms
 * resolution); autocannon's own histogram (whole ms) is kept in `extra` for comparison.
 *
 * Env: BENCH_DURATION_S (default 10), BENCH_CONNECTIONS (default 50), BENCH_WARMUP_S (default 2),
 * BENCH_LIST (default 1), BENCH_LATENCY_CONNECTIONS (default 1), BENCH_HUB_SERVICE (`hub`, the default:
 * every service in one process; `request`: the request service alone), BENCH_CPU_PROF=1 (run the hub
 * under the V8 sampling profiler, see request-cpu-prof.ts, and summarise where its time went; the figures of such a run are marked profiled).
 * A benchmark, not a test: nothing here asserts on timings.
 */
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { hubApi, spawnHub, type HubProcess } from './hub-process.js';
import { envNumber, forkServer, percentile, type ScenarioResult } from './lib.js';
import { summarizeCpuProfile, type ProfileSummary } from './request-profile.js';

const DURATION_S = envNumber('BENCH_DURATION_S', 10);
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 50));
const WARMUP_S = process.env.BENCH_WARMUP_S === '0' ? 0 : envNumber('BENCH_WARMUP_S', 2);
const LIST = process.env.BENCH_LIST !== '0';
const LATENCY_CONNECTIONS = process.env.BENCH_LATENCY_CONNECTIONS === '0' ? 0 : Math.round(envNumber('BENCH_LATENCY_CONNECTIONS', 1));
const HUB_SERVICE = process.env.BENCH_HUB_SERVICE === 'request' ? 'request' : 'hub';
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';

const HERE = fileURLToPath(new URL('.', import.meta.url));

const EMPLOYEES = 250;
const FIRST_ID = 101;
/** The fields the hub's BambooHR definition asks for on a single read, so both paths fetch the same record. */
const GET_FIELDS = 'displayName,firstName,lastName,preferredName,jobTitle,mobilePhone,workEmail,department,location,division,supervisor';

/** CPU seconds (user + system) a process has used so far, from /proc; undefined off Linux or once it is gone. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux.
  } catch {
    return undefined;
  }
}

interface GetLoad {
  scenario: string;
  origin: string;
  connections: number;
  durationS: number;
  warmupS: number;
  /** Builds each request's path (ids rotate over the seeded employees). */
  path: () => string;
  headers: Record<string, string>;
  /** Processes whose CPU use over the measured window is reported, by label. */
  pids: Record<string, number | undefined>;
}

/**
 * GETs `origin` + path() with autocannon (keep-alive, no pipelining) for a warm-up and then the measured
 * window. p50/p99 come from every 2xx response's own time (sub-ms), not autocannon's whole-ms histogram.
 */
async function runGet(load: GetLoad): Promise<ScenarioResult> {
  const run = (durationS: number, samples?: number[]) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: load.origin,
          method: 'GET',
          connections: load.connections,
          pipelining: 1,
          duration: durationS,
          headers: load.headers,
          requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: load.path() }) }],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      if (samples) {
        instance.on('response', (_client, statusCode, _bytes, responseTime) => {
          if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
        });
      }
    });
  if (load.warmupS > 0) await run(load.warmupS);
  const samples: number[] = [];
  const cpuBefore = Object.fromEntries(await Promise.all(Object.entries(load.pids).map(async ([name, pid]) => [name, await cpuSeconds(pid)] as const)));
  const selfBefore = process.cpuUsage();
  const result = await run(load.durationS, samples);
  const self = process.cpuUsage(selfBefore);
  const cpu: Record<string, number | null> = { loadGenerator: (self.user + self.system) / 1e6 / result.duration };
  for (const [name, pid] of Object.entries(load.pids)) {
    const after = await cpuSeconds(pid);
    const before = cpuBefore[name];
    cpu[name] = after !== undefined && before !== undefined ? (after - before) / result.duration : null;
  }
  const sorted = Float64Array.from(samples).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    scenario: load.scenario,
    reqPerSec: result.requests.average,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    total: result.requests.total,
    failures: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
    connections: load.connections,
    extra: {
      statusCodes,
      timeouts: result.timeouts,
      p90Ms: percentile(sorted, 90),
      meanMs: sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
      maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : 0,
      autocannonP50Ms: result.latency.p50,
      autocannonP99Ms: result.latency.p99,
      bytesPerSec: result.throughput.average,
      // CPU used over the measured window, in cores (1.0 = one core busy the whole window).
      cpuCores: cpu,
    },
  };
}

/** GET once and insist on 200 + JSON: a bench against a half-configured path measures nothing. */
async function probe(url: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

interface Pair {
  label: string;
  direct: ScenarioResult;
  hub: ScenarioResult;
}
const compare = (pair: Pair) => ({ ratio: pair.hub.reqPerSec / pair.direct.reqPerSec, addedP50Ms: pair.hub.p50Ms - pair.direct.p50Ms, addedP99Ms: pair.hub.p99Ms - pair.direct.p99Ms });

function renderTable(pairs: Pair[]): string {
  const head = `${'scenario'.padEnd(44)}${'conns'.padStart(6)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cpu sim'.padStart(9)}${'cpu hub'.padStart(9)}   hub vs direct`;
  const rows = [head];
  const cores = (r: ScenarioResult, name: string) => {
    const value = (r.extra?.cpuCores as Record<string, number | null> | undefined)?.[name];
    return typeof value === 'number' ? value.toFixed(2) : '-';
  };
  for (const pair of pairs) {
    const c = compare(pair);
    for (const [r, vs] of [
      [pair.direct, ''],
      [pair.hub, `${pct(c.ratio)} of req/s, p50 +${fmt(c.addedP50Ms)} ms, p99 +${fmt(c.addedP99Ms)} ms`],
    ] as const) {
      rows.push(
        `${r.scenario.padEnd(44)}${String(r.connections).padStart(6)}${r.reqPerSec.toFixed(0).padStart(9)}${fmt(r.p50Ms).padStart(9)}${fmt(r.p99Ms).padStart(9)}${cores(r, 'simulator').padStart(9)}${cores(r, 'hub').padStart(9)}   ${vs}`,
      );
    }
  }
  return rows.join('\n');
}

function renderProfile(summary: ProfileSummary): string {
  const busy = summary.areas.filter((a) => a.area !== '(idle)');
  const busyMs = busy.reduce((sum, a) => sum + a.ms, 0);
  const lines = [`hub CPU profile (${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(busyMs / 1000).toFixed(1)} s busy); self time by area, share of busy time:`];
  for (const a of busy.slice(0, 14)) lines.push(`  ${a.area.padEnd(44)}${(a.ms / 1000).toFixed(2).padStart(8)} s ${pct(a.ms / busyMs).padStart(7)}`);
  lines.push('top functions by self time:');
  for (const f of summary.topFunctions) lines.push(`  ${pct(f.ms / busyMs).padStart(6)}  ${f.fn}  ${f.where}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('request');
  const nats = await startBenchNats(tmp);

  const apiKey = randomBytes(16).toString('hex');
  const simulator = await forkServer(join(HERE, 'request-simulator.js'), { BENCH_BAMBOO_KEY: apiKey, BENCH_BAMBOO_EMPLOYEES: String(EMPLOYEES) });
  cleanups.push(() => simulator.stop());
  const simOrigin = `http://127.0.0.1:${simulator.port}`;

  const dataDir = join(tmp, 'hub-data');
  const profileDir = join(tmp, 'cpu-prof');
  await mkdir(dataDir, { recursive: true });
  await mkdir(profileDir, { recursive: true });
  const hubEnv: Record<string, string> = { SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8', SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8' };
  // spawnHub takes no execArgv and Node 20 refuses --cpu-prof in NODE_OPTIONS, so a preload starts the
  // profiler through node:inspector instead; the env reaches only the hub child.
  if (CPU_PROF) {
    hubEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(join(HERE, 'request-cpu-prof.js')).href}`.trim();
    hubEnv.BENCH_CPU_PROF_DIR = profileDir;
  }
  const hub: HubProcess = await spawnHub({ repoRoot: REPO_ROOT, natsUrl: nats.url, dataDir, service: HUB_SERVICE, env: hubEnv });
  cleanups.push(() => hub.stop());

  const machine = machineInfo(natsVersion, started);
  const settings = { durationS: DURATION_S, connections: CONNECTIONS, warmupS: WARMUP_S, list: LIST, latencyConnections: LATENCY_CONNECTIONS, hubService: HUB_SERVICE, cpuProfiled: CPU_PROF, employees: EMPLOYEES };
  console.log(
    `request bench v0: ${CONNECTIONS} connections, ${DURATION_S} s per scenario (+${WARMUP_S} s warm-up), hub service '${HUB_SERVICE}'${CPU_PROF ? ', hub under --cpu-prof' : ''}, nats-server ${natsVersion}`,
  );

  const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: 'bench-request' });
  const account = await hubApi<{ id: string }>(hub.url, '/v1/integrated-accounts', environment.api_key, {
    provider: 'bamboohr',
    credentials: { api_key: apiKey },
    config: { subdomain: 'acme', base_url: `${simOrigin}/api` },
  });
  const directHeaders = { authorization: `Basic ${Buffer.from(`${apiKey}:x`).toString('base64')}`, accept: 'application/json' };
  const hubHeaders = { authorization: `Bearer ${environment.api_key}`, accept: 'application/json' };

  // Both paths must answer the same record before anything is timed.
  const direct = await probe(`${simOrigin}/api/v1/employees/${FIRST_ID}?fields=${GET_FIELDS}`, directHeaders);
  const unified = await probe(`${hub.url}/unified/hris/employees/${FIRST_ID}?integrated_account_id=${account.id}`, hubHeaders);
  if (unified.remote_id !== direct.id || unified.first_name !== direct.firstName) throw new Error(`hub and simulator disagree: ${JSON.stringify({ direct, unified })}`);

  let next = 0;
  const nextId = () => FIRST_ID + (next++ % EMPLOYEES);
  const pids = { simulator: simulator.process.pid, hub: hub.process.pid };
  const directGet = (connections: number, suffix = '') =>
    runGet({
      scenario: `direct GET employee${suffix}`,
      origin: simOrigin,
      connections,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      path: () => `/api/v1/employees/${nextId()}?fields=${GET_FIELDS}`,
      headers: directHeaders,
      pids,
    });
  const hubGet = (connections: number, suffix = '') =>
    runGet({
      scenario: `hub GET unified employee${suffix}`,
      origin: hub.url,
      connections,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      path: () => `/unified/hris/employees/${nextId()}?integrated_account_id=${account.id}`,
      headers: hubHeaders,
      pids,
    });

  const pairs: Pair[] = [];
  console.log('running: direct GET employee');
  const getDirect = await directGet(CONNECTIONS);
  console.log('running: hub GET unified employee');
  const getHub = await hubGet(CONNECTIONS);
  pairs.push({ label: 'get', direct: getDirect, hub: getHub });

  if (LIST) {
    console.log('running: direct GET directory');
    const listDirect = await runGet({
      scenario: `direct GET directory (${EMPLOYEES})`,
      origin: simOrigin,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      path: () => '/api/v1/employees/directory',
      headers: directHeaders,
      pids,
    });
    console.log('running: hub GET unified list limit=100');
    const listHub = await runGet({
      scenario: 'hub GET unified list limit=100',
      origin: hub.url,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      path: () => `/unified/hris/employees?integrated_account_id=${account.id}&limit=100`,
      headers: hubHeaders,
      pids,
    });
    pairs.push({ label: 'list', direct: listDirect, hub: listHub });
  }

  if (LATENCY_CONNECTIONS > 0) {
    console.log(`running: single-record GET at ${LATENCY_CONNECTIONS} connection(s), direct then hub`);
    const lowDirect = await directGet(LATENCY_CONNECTIONS, ` @${LATENCY_CONNECTIONS}c`);
    const lowHub = await hubGet(LATENCY_CONNECTIONS, ` @${LATENCY_CONNECTIONS}c`);
    pairs.push({ label: 'get-low-concurrency', direct: lowDirect, hub: lowHub });
  }

  const hubWarnings = hub.output().split('\n').filter((line) => line.startsWith('{')).slice(-20);
  // Stop the hub now (not in cleanup) so that the profiler writes its profile on the way out.
  await hub.stop();
  let profile: ProfileSummary | undefined;
  if (CPU_PROF) {
    const files = (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile'));
    if (files[0]) {
      profile = await summarizeCpuProfile(join(profileDir, files[0]), 25);
      const keep = join(REPO_ROOT, 'bench-results', `request-hub-${started.toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
      await mkdir(join(REPO_ROOT, 'bench-results'), { recursive: true });
      await writeFile(keep, await readFile(join(profileDir, files[0])));
      profile.file = keep;
    } else console.warn('WARNING: the hub wrote no CPU profile');
  }

  console.log('');
  console.log(renderTable(pairs));
  console.log('');
  const get = compare(pairs[0]!);
  console.log(
    `unified single read: ${pairs[0]!.hub.reqPerSec.toFixed(0)} req/s = ${pct(get.ratio)} of direct ${pairs[0]!.direct.reqPerSec.toFixed(0)} req/s; added p50 ${fmt(get.addedP50Ms)} ms at ${CONNECTIONS} connections` +
      (LATENCY_CONNECTIONS > 0 ? `, ${fmt(compare(pairs[pairs.length - 1]!).addedP50Ms)} ms at ${LATENCY_CONNECTIONS}` : '') +
      ' (goal: >= 50 % and <= 1 ms added)',
  );
  console.log('cpu columns: cores busy over the measured window (1.00 = one core); the load generator shares the 2 cores too');
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}, nats-server ${machine.natsServer}, ${machine.date}`);
  if (profile) {
    console.log('');
    console.log(renderProfile(profile));
    console.log(`profile kept at ${profile.file}`);
  }
  const all = pairs.flatMap((p) => [p.direct, p.hub]);
  for (const r of all) {
    if (r.failures > 0 || r.errors > 0) {
      console.warn(`WARNING: ${r.scenario}: ${r.failures} non-2xx, ${r.errors} errors — figures are not valid (${JSON.stringify(r.extra?.statusCodes ?? {})})`);
    }
  }
  if (hubWarnings.length > 0) console.warn(`hub logged ${hubWarnings.length} warning line(s); see the JSON report`);

  const outFile = await resultFile('request', started);
  const valid = all.every((r) => r.failures === 0 && r.errors === 0) && !CPU_PROF;
  const comparisons = Object.fromEntries(pairs.map((p) => [p.label, compare(p)]));
  await writeFile(
    outFile,
    `${JSON.stringify(
      {
        version: 'request-v0',
        valid,
        machine,
        settings,
        goal: { hubVsDirectMin: 0.5, addedP50MaxMs: 1 },
        results: Object.fromEntries(pairs.map((p) => [p.label, { direct: p.direct, hub: p.hub }])),
        comparisons,
        profile,
        hubWarnings,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${outFile}`);
}

await runBench(main);
