import { fork, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';

/** One row of the benchmark table and of the JSON report. */
export interface ScenarioResult {
  scenario: string;
  /** Mean completed requests (or acked publishes) per second over the measured window. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests or publishes completed in the measured window (warm-up excluded). */
  total: number;
  /** Non-2xx HTTP answers (or failed publishes); a valid run has 0. */
  failures: number;
  /** Connection errors and timeouts reported by the load generator. */
  errors: number;
  durationS: number;
  connections: number;
  /** Scenario-specific figures (deliveries seen, status codes, …). */
  extra?: Record<string, unknown>;
}

/** A child process we started and must stop, with how to stop it. */
export interface ChildHandle {
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Stops `child`: SIGTERM first so it can drain, SIGKILL after `graceMs` so a stuck child cannot hang
 * the benchmark. Resolves at once when it already exited.
 */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Forks a compiled bench server module (`modulePath`) and resolves with the port it reports over IPC
 * (`{ port }`). The server runs in its own process so it never shares an event loop with autocannon:
 * otherwise the load generator would steal the very CPU it is measuring.
 */
export async function forkServer(modulePath: string, env: Record<string, string> = {}, readyTimeoutMs = 15_000): Promise<ChildHandle & { port: number }> {
  const child = fork(modulePath, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle: ChildHandle = { process: child, stop: (graceMs) => stopChild(child, graceMs) };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${modulePath} did not report ready in ${readyTimeoutMs} ms`)), readyTimeoutMs);
      child.once('message', (message: unknown) => {
        clearTimeout(timer);
        const port = (message as { port?: unknown } | null)?.port;
        if (typeof port === 'number') resolve(port);
        else reject(new Error(`${modulePath} sent an unexpected ready message: ${JSON.stringify(message)}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${modulePath} exited before ready (code ${code}, signal ${signal})`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { ...handle, port };
  } catch (error) {
    await handle.stop(500);
    throw error;
  }
}

/** What {@link runLoad} sends: a fixed body, or a builder called once per request. */
export interface LoadOptions {
  scenario: string;
  url: string;
  connections: number;
  durationS: number;
  /** Seconds of unmeasured load first, so JIT and connection set-up do not skew the measured window. */
  warmupS: number;
  /** Builds one request (headers + body). Called for every request, so bodies can be unique. */
  build: () => { headers: Record<string, string>; body: string };
}

/**
 * Loads `url` with autocannon (POST, keep-alive, no pipelining) for a warm-up and then the measured
 * window, and returns the measured window's figures. Latencies come from autocannon's histogram, which
 * has 1 ms resolution.
 */
export async function runLoad(options: LoadOptions): Promise<ScenarioResult> {
  const run = (durationS: number) =>
    autocannon({
      url: options.url,
      method: 'POST',
      connections: options.connections,
      pipelining: 1,
      duration: durationS,
      requests: [
        {
          method: 'POST',
          // Called per request (autocannon rebuilds dynamic requests each time), so each body is new.
          setupRequest: (request) => {
            const built = options.build();
            return { ...request, headers: { ...request.headers, ...built.headers }, body: built.body };
          },
        },
      ],
    });
  if (options.warmupS > 0) await run(options.warmupS);
  const result = await run(options.durationS);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    scenario: options.scenario,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
    connections: options.connections,
    extra: { statusCodes, timeouts: result.timeouts, latencyMeanMs: result.latency.average, latencyMaxMs: result.latency.max },
  };
}

/** Percentile (nearest-rank) of an ascending-sorted sample; 0 for an empty one. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** A positive integer from the environment, or `fallback` when unset or not a positive number. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
