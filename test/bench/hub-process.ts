import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '@switchyard/nats-server';
import { stopChild, type ChildHandle } from './lib.js';

/** A hub started as a child process (`services/hub/dist/main.js`), as an operator would run it. */
/** The `/metrics` bearer token of every hub a bench spawns (benches scrape their own counters). */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token';

export interface HubProcess extends ChildHandle {
  readonly url: string;
  readonly adminToken: string;
  /** The last lines the hub wrote, for error messages. */
  output(): string;
}

/**
 * Spawns the built hub against an existing nats-server and resolves once `GET /readyz` answers 200.
 * The hub runs in its own process so that it gets a core of its own, not a share of autocannon's
 * event loop. `dataDir` must exist and be private to this run.
 */
export async function spawnHub(options: {
  repoRoot: string;
  natsUrl: string;
  dataDir: string;
  readyTimeoutMs?: number;
  /** Which entry point: the embedded hub (default) or one service running alone. */
  service?: 'hub' | 'edge' | 'request';
  /** Shared by services that must read each other's sealed records. */
  encryptionKey?: string;
  adminToken?: string;
  /** Extra environment for the hub (e.g. delivery tuning); the settings above still win. */
  env?: Record<string, string>;
}): Promise<HubProcess> {
  const port = await freePort();
  const adminToken = options.adminToken ?? randomBytes(24).toString('hex');
  const child = spawn(process.execPath, [join(options.repoRoot, `services/${options.service ?? 'hub'}/dist/main.js`)], {
    cwd: options.repoRoot,
    env: {
      ...process.env,
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NATS_URL: options.natsUrl,
      SWITCHYARD_DATA_DIR: options.dataDir,
      SWITCHYARD_ADMIN_TOKEN: adminToken,
      SWITCHYARD_METRICS_TOKEN: BENCH_METRICS_TOKEN,
      SWITCHYARD_ENCRYPTION_KEY: options.encryptionKey ?? randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8,::1',
      SWITCHYARD_PROVIDER_EGRESS_ALLOW: '127.0.0.0/8,::1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Always read the pipes (a full pipe would block the hub) but keep only a tail for diagnostics.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const handle: HubProcess = {
    process: child,
    url: `http://127.0.0.1:${port}`,
    adminToken,
    output: () => tail,
    stop: (graceMs = 5_000) => stopChild(child, graceMs),
  };
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`hub exited during start-up (code ${child.exitCode}):\n${tail}`);
      const status = await fetch(`${handle.url}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) return handle;
      if (Date.now() > deadline) throw new Error(`hub not ready after ${options.readyTimeoutMs ?? 30_000} ms (last status ${status}):\n${tail}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await handle.stop(1_000);
    throw error;
  }
}

/**
 * Calls the hub's API with a bearer token, JSON in and out; throws unless the answer has
 * `expectStatus`, because a bench against a half-configured hub measures nothing.
 */
export async function hubApi<T = Record<string, unknown>>(hubUrl: string, path: string, token: string, body: unknown, expectStatus = 201): Promise<T> {
  const response = await fetch(`${hubUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expectStatus) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Reads the hub's Prometheus counters of the pipeline (`/metrics`), summed per metric and outcome,
 * e.g. `webhooks.accepted`, `normalized.published`, `delivery_attempts.delivered`.
 */
export async function hubCounters(hubUrl: string): Promise<Record<string, number>> {
  const text = await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } }).then((r) => r.text());
  const counters: Record<string, number> = {};
  const line = /^switchyard_(webhooks|normalized|delivery_attempts)_total\{([^}]*)\}\s+(\S+)$/gm;
  for (const match of text.matchAll(line)) {
    const outcome = /outcome="([^"]*)"/.exec(match[2] ?? '')?.[1] ?? 'unknown';
    const key = `${match[1]}.${outcome}`;
    counters[key] = (counters[key] ?? 0) + Number(match[3]);
  }
  return counters;
}
