import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { natsServerVersion, startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';

/** The repository root (benches compile to test/dist/bench/, three levels below it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Cleanup actions, run last-in first-out whatever happens, so no child or server outlives the run. */
export const cleanups: Array<() => Promise<unknown>> = [];
let cleaning: Promise<void> | undefined;

/** Runs every registered cleanup once, newest first, reporting (not throwing) failures. */
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const action of cleanups.reverse()) await action().catch((error) => console.error('cleanup failed:', error));
  })();
  return cleaning;
}

/** A bench's start: its time, a scratch folder removed at cleanup, and the nats-server version it will run. */
export async function benchStart(name: string): Promise<{ started: Date; tmp: string; natsVersion: string }> {
  const started = new Date();
  const tmp = await mkdtemp(join(os.tmpdir(), `swy-bench-${name}-`));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  return { started, tmp, natsVersion: await natsServerVersion() };
}

/** A nats-server with JetStream storing under `tmp`, stopped at cleanup. */
export async function startBenchNats(tmp: string, port?: number): Promise<NatsServerHandle> {
  const nats = await startNatsServer({ storeDir: join(tmp, 'nats'), ...(port === undefined ? {} : { port }) });
  cleanups.push(() => nats.stop());
  return nats;
}

/** What every bench result records about where it ran. */
export function machineInfo(natsServer: string, started: Date) {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    natsServer,
    date: started.toISOString(),
  };
}

/** `bench-results/<name>-<ISO time>.json` (colons are not portable in file names), its folder created. */
export async function resultFile(name: string, started: Date): Promise<string> {
  const dir = join(REPO_ROOT, 'bench-results');
  await mkdir(dir, { recursive: true });
  return join(dir, `${name}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
}

/**
 * Runs a bench's `main`: cleans up on success, failure, Ctrl-C or SIGTERM, then exits explicitly, since a
 * keep-alive agent or a lingering socket must not keep a finished bench alive.
 */
export async function runBench(main: () => Promise<void>): Promise<never> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanupAll().finally(() => process.exit(130)));
  }
  let exitCode = 0;
  try {
    await main();
  } catch (error) {
    console.error('bench failed:', error);
    exitCode = 1;
  } finally {
    await cleanupAll();
  }
  process.exit(exitCode);
}
