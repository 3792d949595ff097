import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort } from '@switchyard/nats-server';
import { LOOPBACK_EGRESS } from './hub.js';
import { eventually } from './wait.js';

/** The built entry point of a service (`hub` is the embedded default). */
export const serviceMain = (service: 'hub' | 'edge' | 'normalizer' | 'delivery' | 'request') =>
  fileURLToPath(new URL(`../../services/${service}/dist/main.js`, import.meta.url));

/** A hub running as its own process (the build output of `npm start`). */
export interface ChildHub {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `services/hub/dist/main.js` with `env` on `port` and waits until `/readyz` answers 200. */
export function startChildHub(port: number, env: Record<string, string>): Promise<ChildHub> {
  return startChildService('hub', port, env);
}

/** Starts one service's built entry point as its own process and waits until its `/readyz` answers 200. */
export async function startChildService(service: Parameters<typeof serviceMain>[0], port: number, env: Record<string, string>): Promise<ChildHub> {
  const child = spawn(process.execPath, [serviceMain(service)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', PORT: String(port), ...LOOPBACK_EGRESS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await eventually(`hub on ${url} to be ready (output: ${output})`, async () => {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}: ${output}`);
    const response = await fetch(`${url}/readyz`).catch(() => undefined);
    return response?.status === 200;
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** The services the hub composes, each of which can run as its own process. */
export type SplitService = 'edge' | 'normalizer' | 'delivery' | 'request';

/**
 * Starts edge, normalizer, delivery and request each as its own process against `natsUrl`, sharing an
 * encryption key and the edge's URL as the public URL (account webhook URLs name it). `env(service)`
 * adds each service's own settings (a NATS user, egress lists...); request also gets `adminToken`.
 * If one fails to start, the ones already running are stopped.
 */
export async function startSplitServices(natsUrl: string, options: { adminToken: string; env: (service: SplitService) => Record<string, string> }): Promise<Record<SplitService, ChildHub>> {
  const edgePort = await freePort();
  const common = { NATS_URL: natsUrl, SWITCHYARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'), SWITCHYARD_PUBLIC_URL: `http://127.0.0.1:${edgePort}` };
  const started: ChildHub[] = [];
  const start = async (service: SplitService, port: number, extra: Record<string, string> = {}) => {
    const child = await startChildService(service, port, { ...common, ...options.env(service), ...extra });
    started.push(child);
    return child;
  };
  try {
    // The edge first: the others may start while it finishes bootstrapping the streams.
    const edge = await start('edge', edgePort);
    const [normalizer, delivery, request] = await Promise.all([
      freePort().then((port) => start('normalizer', port)),
      freePort().then((port) => start('delivery', port)),
      freePort().then((port) => start('request', port, { SWITCHYARD_ADMIN_TOKEN: options.adminToken })),
    ]);
    return { edge, normalizer, delivery, request };
  } catch (error) {
    await Promise.all(started.map((child) => child.stop('SIGTERM')));
    throw error;
  }
}
