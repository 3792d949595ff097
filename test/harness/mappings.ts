import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));

/**
 * A copy of the shipped mappings with one provider definition changed by `patch` — for what a test
 * cannot reach through an account's config, such as a token endpoint fixed in the definition
 * (Entra's, Zoho's accounts server). Point `SWITCHYARD_MAPPINGS_DIR` at `dir`; `remove()` deletes it.
 */
export async function patchedMappings(slug: string, patch: (definition: any) => void): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `swy-mappings-${slug}-`));
  await cp(MAPPINGS, dir, { recursive: true });
  const file = join(dir, slug, 'provider.json');
  const definition = JSON.parse(await readFile(file, 'utf8'));
  patch(definition);
  await writeFile(file, JSON.stringify(definition));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
