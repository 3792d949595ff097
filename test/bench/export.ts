/**
 * Streamed-export benchmark (`npm run bench:export`). In one run on one machine, the same HubSpot API
 * simulator (its own child process, BENCH_EXPORT_RECORDS contacts, default 50 000) is walked two ways,
 * one request at a time, 100 records a page (HubSpot's largest):
 *   1. direct: `GET /crm/v3/objects/contacts?limit=100&after=…` with undici, the same properties the hub
 *      asks for, each page parsed (what a customer's own reconciliation job would do), and
 *   2. through the hub: `GET /unified/crm/contacts?all=true&limit=100` (hub in a child process), the
 *      NDJSON read line by line as it streams,
 * then prints both records/s side by side with their ratio, and the hub's RSS before, after a tenth of the
 * records, at its peak during and after the export, and its peak during the same export run again
 * (constant memory: the peak must not grow with the records streamed). Writes
 * `bench-results/export-<iso>.json`. A benchmark, not a test: nothing here asserts on timings.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { BENCH_METRICS_TOKEN, hubApi, spawnHub } from './hub-process.js';
import { envNumber, forkServer } from './lib.js';
import { benchStart, cleanups, machineInfo, REPO_ROOT, resultFile, runBench, startBenchNats } from './run.js';

const RECORDS = Math.round(envNumber('BENCH_EXPORT_RECORDS', 50_000));
const PAGE = 100;
const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The properties the hub's HubSpot definition lists contacts with, so both walks fetch the same pages. */
const PROPERTIES = 'email,firstname,lastname,jobtitle,phone,mobilephone,address,city,state,zip,country,company,lifecyclestage,hubspot_owner_id,associatedcompanyid,notes_last_updated,createdate,lastmodifieddate';

/** Resident set size of a process in MiB, from /proc; undefined off Linux. */
async function rssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}

/** The hub's V8 heap in use, in MiB, from its `/metrics` (prom-client's default gauge). */
async function heapUsedMiB(hubUrl: string): Promise<number | undefined> {
  const text = await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } }).then((r) => r.text());
  const bytes = /^switchyard_nodejs_heap_size_used_bytes\s+(\S+)$/m.exec(text)?.[1];
  return bytes === undefined ? undefined : Number(bytes) / 2 ** 20;
}

/** Walks every page directly, one request at a time; records and seconds. */
async function directWalk(origin: string, token: string): Promise<{ records: number; pages: number; seconds: number }> {
  const started = performance.now();
  let after: string | undefined;
  let records = 0;
  let pages = 0;
  do {
    const url = `${origin}/crm/v3/objects/contacts?limit=${PAGE}&properties=${PROPERTIES}&associations=companies${after ? `&after=${after}` : ''}`;
    const response = await request(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    if (response.statusCode !== 200) throw new Error(`direct page ${pages + 1}: ${response.statusCode} ${await response.body.text()}`);
    const page = (await response.body.json()) as { results: unknown[]; paging?: { next?: { after?: string } } };
    records += page.results.length;
    pages += 1;
    after = page.paging?.next?.after;
  } while (after);
  return { records, pages, seconds: (performance.now() - started) / 1000 };
}

/** Reads the hub's export to its end, counting record lines, sampling the hub's RSS while it runs. */
async function hubExport(hubUrl: string, apiKey: string, account: string, hubPid: number | undefined) {
  let peak = 0;
  const sampler = setInterval(() => void rssMiB(hubPid).then((mib) => (peak = Math.max(peak, mib ?? 0))), 100);
  const started = performance.now();
  const response = await request(`${hubUrl}/unified/crm/contacts?all=true&limit=${PAGE}`, { headers: { authorization: `Bearer ${apiKey}`, 'x-integrated-account-id': account } });
  if (response.statusCode !== 200) throw new Error(`hub export: ${response.statusCode} ${await response.body.text()}`);
  let records = 0;
  let bytes = 0;
  let early: Promise<number | undefined> | undefined;
  let last = '';
  let rest = '';
  for await (const chunk of response.body) {
    bytes += (chunk as Buffer).length;
    rest += (chunk as Buffer).toString('utf8');
    let end: number;
    while ((end = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, end);
      rest = rest.slice(end + 1);
      if (line.startsWith('{"_switchyard"')) last = line;
      else records += 1;
      // RSS once a tenth of the records went by: if the hub kept what it sent, the end would be far above it.
      if (records === Math.ceil(RECORDS / 10)) early = rssMiB(hubPid);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, (await rssMiB(hubPid)) ?? 0);
  return { records, bytes, seconds, last: JSON.parse(last) as { _switchyard: Record<string, unknown> }, peakRssMiB: peak, earlyRssMiB: await early };
}

async function main(): Promise<void> {
  const { started, tmp, natsVersion } = await benchStart('export');
  const nats = await startBenchNats(tmp);
  const simulator = await forkServer(join(HERE, 'export-simulator.js'), { BENCH_EXPORT_RECORDS: String(RECORDS) });
  cleanups.push(() => simulator.stop());
  const simOrigin = `http://127.0.0.1:${simulator.port}`;
  const dataDir = join(tmp, 'hub-data');
  await mkdir(dataDir, { recursive: true });
  const hub = await spawnHub({ repoRoot: REPO_ROOT, natsUrl: nats.url, dataDir, env: {} });
  cleanups.push(() => hub.stop());
  const machine = machineInfo(natsVersion, started);
  console.log(`export bench: ${RECORDS} HubSpot contacts, ${PAGE} a page, one request at a time, nats-server ${natsVersion}`);

  const environment = await hubApi<{ id: string; api_key: string }>(hub.url, '/v1/environments', hub.adminToken, { name: 'bench-export' });
  const account = await hubApi<{ id: string }>(hub.url, '/v1/integrated-accounts', environment.api_key, {
    provider: 'hubspot',
    credentials: { access_token: 'pat-na1-simulator' },
    config: { base_url: simOrigin },
  });

  console.log('running: direct walk');
  const direct = await directWalk(simOrigin, 'pat-na1-simulator');
  if (direct.records !== RECORDS) throw new Error(`direct walk saw ${direct.records} records, expected ${RECORDS}`);
  const rssBefore = await rssMiB(hub.process.pid);
  const heapBefore = await heapUsedMiB(hub.url);
  console.log('running: hub export');
  const exported = await hubExport(hub.url, environment.api_key, account.id, hub.process.pid);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssAfter = await rssMiB(hub.process.pid);
  const heapAfter = await heapUsedMiB(hub.url);
  // The same export again: a hub that kept anything per record would peak higher after twice the records.
  console.log('running: hub export again');
  const again = await hubExport(hub.url, environment.api_key, account.id, hub.process.pid);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const heapAfterAgain = await heapUsedMiB(hub.url);
  const done = exported.last._switchyard.done as { records: number; pages: number } | undefined;
  const valid = exported.records === RECORDS && done?.records === RECORDS && again.records === RECORDS;
  if (!valid) console.warn(`WARNING: the export ended with ${JSON.stringify(exported.last)} after ${exported.records} records — figures are not valid`);

  const directRate = direct.records / direct.seconds;
  const hubRate = exported.records / exported.seconds;
  const mib = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(0)} MiB`);
  console.log('');
  console.log(`${'walk'.padEnd(40)}${'records'.padStart(9)}${'pages'.padStart(7)}${'seconds'.padStart(9)}${'records/s'.padStart(11)}`);
  console.log(`${'direct (simulator raw page rate)'.padEnd(40)}${String(direct.records).padStart(9)}${String(direct.pages).padStart(7)}${direct.seconds.toFixed(1).padStart(9)}${directRate.toFixed(0).padStart(11)}`);
  console.log(`${'hub streamed export (?all=true)'.padEnd(40)}${String(exported.records).padStart(9)}${String(done?.pages ?? '-').padStart(7)}${exported.seconds.toFixed(1).padStart(9)}${hubRate.toFixed(0).padStart(11)}`);
  console.log(`${'hub streamed export, again'.padEnd(40)}${String(again.records).padStart(9)}${''.padStart(7)}${again.seconds.toFixed(1).padStart(9)}${(again.records / again.seconds).toFixed(0).padStart(11)}`);
  console.log('');
  console.log(`hub export rate = ${((hubRate / directRate) * 100).toFixed(1)} % of the simulator's raw page rate`);
  console.log(`hub RSS: before ${mib(rssBefore)}, after a tenth of the records ${mib(exported.earlyRssMiB)}, peak during ${mib(exported.peakRssMiB)}, after ${mib(rssAfter)}; peak during the second export ${mib(again.peakRssMiB)}`);
  console.log(`NDJSON streamed per export: ${(exported.bytes / 2 ** 20).toFixed(1)} MiB (what a hub keeping its records would add to its memory per export)`);
  console.log(`hub heap in use: before ${mib(heapBefore)}, after the export ${mib(heapAfter)}, after the second ${mib(heapAfterAgain)}`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}, ${machine.date}`);

  const outFile = await resultFile('export', started);
  await writeFile(
    outFile,
    `${JSON.stringify(
      {
        version: 'export-v0',
        valid,
        machine,
        settings: { records: RECORDS, pageSize: PAGE, concurrency: 1 },
        direct: { ...direct, recordsPerSec: directRate },
        hub: { records: exported.records, bytes: exported.bytes, seconds: exported.seconds, recordsPerSec: hubRate, last: exported.last },
        ratio: hubRate / directRate,
        again: { records: again.records, seconds: again.seconds, recordsPerSec: again.records / again.seconds },
        hubRssMiB: { before: rssBefore, afterTenth: exported.earlyRssMiB, peak: exported.peakRssMiB, after: rssAfter, peakSecondExport: again.peakRssMiB },
        hubHeapUsedMiB: { before: heapBefore, after: heapAfter, afterSecondExport: heapAfterAgain },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${outFile}`);
}

await runBench(main);
