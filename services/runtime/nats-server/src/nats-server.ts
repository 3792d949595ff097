import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SwitchyardError } from '@switchyard/contracts';

const run = promisify(execFile);

/** A nats-server child process started by us (embedded mode and tests). */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The one user the server accepts, when started with {@link NatsServerOptions.auth}. */
  readonly auth?: NatsServerAuth | undefined;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
  stop(graceMs?: number): Promise<void>;
  /** Kills the server at once, as a crash would. */
  kill(): Promise<void>;
}

/** A user and password the server requires of every client. */
export interface NatsServerAuth {
  user: string;
  password: string;
}

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** JetStream store directory; created if missing. */
  storeDir: string;
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  host?: string;
  /** The nats-server binary; defaults to `NATS_SERVER_BIN` or `nats-server` on PATH. */
  binary?: string;
  /**
   * Require this user and password of every client. Without it the server accepts anyone who can reach
   * the port: any local process could read every tenant's payloads or publish forged raw messages.
   */
  auth?: NatsServerAuth;
  /**
   * Encrypt JetStream's store at rest (ChaCha20-Poly1305) with this key. Protects copies of the store
   * (backups, disk images); not a process on the same host that can read the key.
   */
  encryptionKey?: string;
  /** Extra lines of nats-server configuration. */
  extraConfig?: string;
  /** How long to wait for the server to accept connections, in ms (default 120 s: restoring many consumers is slow). */
  readyTimeoutMs?: number;
}

/** Finds a free TCP port on loopback. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something already listens on `host:port`. */
export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/**
 * A nats-server left running by a hub that crashed still holds the store directory; a second server
 * cannot use it. Stop the one named in the pid file, if it is alive and really a nats-server.
 */
async function reclaimOrphan(pidFile: string): Promise<void> {
  const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline !== undefined && !cmdline.includes('nats-server')) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Returns the version of the nats-server binary, or throws a coded error explaining how to install it. */
export async function natsServerVersion(binary = process.env.NATS_SERVER_BIN ?? 'nats-server'): Promise<string> {
  try {
    const { stdout } = await run(binary, ['--version']);
    const match = /v?(\d+\.\d+\.\d+)/.exec(stdout);
    if (!match?.[1]) throw new Error(`unexpected output: ${stdout.trim()}`);
    return match[1];
  } catch (cause) {
    throw new SwitchyardError(
      'SWY_ERR_NATS_SERVER_MISSING',
      `'${binary}' could not be run. Install it with 'npm run setup' (Debian/Ubuntu: apt-get install nats-server; ` +
        `macOS: brew install nats-server; elsewhere: https://github.com/nats-io/nats-server/releases), ` +
        `or set NATS_URL to an existing server.`,
      { cause },
    );
  }
}

/**
 * Starts a nats-server with JetStream on loopback, storing in `storeDir`. Resolves once the server
 * accepts TCP connections. Used by the embedded default and by every integration test (real server,
 * never a mock).
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const binary = options.binary ?? process.env.NATS_SERVER_BIN ?? 'nats-server';
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  await mkdir(options.storeDir, { recursive: true });
  const pidFile = join(options.storeDir, 'nats-server.pid');
  await reclaimOrphan(pidFile);
  const configPath = join(options.storeDir, 'nats-server.conf');
  await writeFile(
    configPath,
    [
      `host: "${host}"`,
      `port: ${port}`,
      `pid_file: "${pidFile.replaceAll('\\', '/')}"`,
      // 8 MiB leaves room for a 1 MiB body plus headers in one message.
      'max_payload: 8MB',
      'jetstream {',
      `  store_dir: "${options.storeDir.replaceAll('\\', '/')}"`,
      ...(options.encryptionKey ? ['  cipher: chachapoly', `  key: ${quote(options.encryptionKey)}`] : []),
      '}',
      ...(options.auth ? [`authorization { user: ${quote(options.auth.user)}, password: ${quote(options.auth.password)} }`] : []),
      options.extraConfig ?? '',
    ].join('\n'),
    { mode: 0o600 },
  );
  // The file holds the password and the store key: owner-only even if it existed with a wider mode.
  await chmod(configPath, 0o600);
  // Its own process group: a terminal's Ctrl-C reaches only the hub, which drains its consumers and
  // then stops this server itself. A server stopped first would cut the drain short.
  const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (cause) =>
      reject(new SwitchyardError('SWY_ERR_NATS_SERVER_MISSING', `could not start '${binary}'; run 'npm run setup'`, { cause })),
    ),
  );

  // A server restoring thousands of consumers takes 10 s and more to listen (5 000: 10–12 s measured);
  // the wait ends as soon as it does, so a generous bound costs nothing when start-up is quick.
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  const ready = (async () => {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${stderr.trim()}`);
      if (await portInUse(port, host)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`nats-server did not listen on ${host}:${port} in time: ${stderr.trim()}`);
  })();
  await Promise.race([ready, spawnError]);

  const stop = async (graceMs = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  return { url: `nats://${host}:${port}`, port, storeDir: options.storeDir, auth: options.auth, process: child, stop, kill };
}

/** A nats-server config string literal; our generated secrets are base64url, this guards the rest. */
function quote(value: string): string {
  if (/["\\\n]/.test(value)) throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', 'nats-server secrets must not contain quotes, backslashes or newlines');
  return `"${value}"`;
}
