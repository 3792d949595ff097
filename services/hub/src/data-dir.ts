import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads a secret kept in the data directory, creating it with `generate()` on first use. The file is
 * written owner-only (0600) and created exclusively, so two hubs starting at once cannot both write one.
 */
export async function persistentSecret(dataDir: string, file: string, generate: () => string): Promise<{ value: string; created: boolean }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, file);
  try {
    return { value: (await readFile(path, 'utf8')).trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = generate();
  try {
    await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: (await readFile(path, 'utf8')).trim(), created: false };
  }
}

/** A new admin token: 256 random bits, URL-safe. */
export function generateAdminToken(): string {
  return `swyadm_${randomBytes(32).toString('base64url')}`;
}

/** A new metrics scrape token: 256 random bits, URL-safe (a Prometheus `bearer_token_file` holds it). */
export function generateMetricsToken(): string {
  return `swymet_${randomBytes(32).toString('base64url')}`;
}

/** A new password for the embedded nats-server's one user: 256 random bits, URL-safe. */
export function generateNatsPassword(): string {
  return randomBytes(32).toString('base64url');
}
