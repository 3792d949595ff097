import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@switchyard/nats-server';
import { createVia } from '../harness/api.js';
import { startChildHub, type ChildHub } from '../harness/child-hub.js';

/** The embedded server's URL, from the banner. */
function natsUrlOf(hub: ChildHub): string {
  const url = /NATS\s+(nats:\/\/127\.0\.0\.1:\d+)/.exec(hub.output())?.[1];
  expect(url, hub.output()).toBeDefined();
  return url!;
}

/** Every byte of every file under `dir` except the server's own config, concatenated. */
async function storeBytes(dir: string): Promise<Buffer> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name !== 'nats-server.conf').map((e) => join(e.parentPath, e.name));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
}

describe('the embedded nats-server', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  });

  async function hubIn(dataDir: string, extra: Record<string, string> = {}): Promise<ChildHub> {
    const hub = await startChildHub(await freePort(), { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_NATS_PORT: '0', ...extra });
    cleanups.push(() => hub.stop('SIGTERM')); // graceful: a SIGKILLed hub leaves its embedded nats-server behind
    return hub;
  }

  async function freshDataDir(): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'swy-embedded-nats-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    return dataDir;
  }

  it('refuses clients without the generated password, keeps it 0600 and reuses it after a restart', async () => {
    const dataDir = await freshDataDir();
    const first = await hubIn(dataDir);
    const natsUrl = natsUrlOf(first);
    const passwordFile = join(dataDir, 'nats-password');
    const password = (await readFile(passwordFile, 'utf8')).trim();
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'nats', 'nats-server.conf'))).mode & 0o777).toBe(0o600);
    // The banner names the file, never the password or the admin token.
    expect(first.output()).toContain(passwordFile);
    expect(first.output()).not.toContain(password);
    expect(first.output()).not.toContain((await readFile(join(dataDir, 'admin-token'), 'utf8')).trim());

    // A local process without credentials, or with a wrong password, cannot read or forge raw messages.
    await expect(connect({ servers: natsUrl, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: natsUrl, user: 'switchyard', pass: `${password}x`, reconnect: false })).rejects.toThrow(/authorization/i);
    const nc = await connect({ servers: natsUrl, user: 'switchyard', pass: password, reconnect: false });
    await nc.close();

    // The hub itself works through the authenticated connection.
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    await createVia(first.url, '/v1/environments', adminToken, { name: 'embedded-auth' });
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await hubIn(dataDir);
    expect((await readFile(passwordFile, 'utf8')).trim()).toBe(password);
    const again = await connect({ servers: natsUrlOf(second), user: 'switchyard', pass: password, reconnect: false });
    await again.close();
    await createVia(second.url, '/v1/environments', adminToken, { name: 'embedded-auth-2' });
  });

  it.each([
    { encrypt: false, markerOnDisk: true },
    { encrypt: true, markerOnDisk: false },
  ])('with SWITCHYARD_NATS_ENCRYPT=$encrypt a stored marker is on disk in clear: $markerOnDisk', async ({ encrypt, markerOnDisk }) => {
    const dataDir = await freshDataDir();
    const hub = await hubIn(dataDir, { SWITCHYARD_NATS_ENCRYPT: String(encrypt) });
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    await createVia(hub.url, '/v1/environments', adminToken, { name: marker });
    // A clean stop flushes every JetStream block to disk.
    expect(await hub.stop('SIGTERM')).toBe(0);
    expect((await storeBytes(join(dataDir, 'nats'))).includes(marker)).toBe(markerOnDisk);
    if (encrypt) expect((await stat(join(dataDir, 'nats-encryption-key'))).mode & 0o777).toBe(0o600);
  });
});
