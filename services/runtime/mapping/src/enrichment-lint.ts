import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedProvider } from './catalog.js';
import type { MappingEngine } from './mapping-engine.js';
import { normalize } from './normalize.js';

/** A webhook mapping that asks to enrich what its provider cannot fetch: the fixture that shows it, and the resource. */
export interface EnrichmentGap {
  slug: string;
  fixture: string;
  type: string;
  resource: string;
}

/**
 * Runs a provider's webhook mapping over its golden fixtures (`fixtures/*.json`: `input`, optional
 * `headers` and `config`) and names every event that asks for enrichment of a resource the provider's
 * `api` section has no `get` for — such an event could only ever go out `enrichment: failed`. The
 * fixtures are the evidence because the resource an expression names is only known by running it.
 * Fixtures that expect an error are skipped (they produce no events), and so are polled payloads
 * (`mapping: "poll"`), which a provider's own poll mapping reads.
 */
export async function enrichmentGaps(engine: MappingEngine, provider: LoadedProvider): Promise<EnrichmentGap[]> {
  const mapping = provider.webhookMapping;
  if (!mapping) return [];
  const slug = provider.definition.slug;
  const dir = join(provider.dir, 'fixtures');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const gaps: EnrichmentGap[] = [];
  for (const file of files) {
    const fixture = JSON.parse(await readFile(join(dir, file), 'utf8')) as { input: unknown; headers?: Record<string, string>; config?: Record<string, unknown>; error?: unknown; mapping?: string };
    if (fixture.error !== undefined || fixture.mapping === 'poll') continue;
    const account = { id: 'acc_lint', environment_id: 'env_lint', remote_key: null, config: fixture.config ?? {} };
    const envelopes = await normalize(engine, mapping, { provider: slug, account, eventKey: 'lint', receivedAt: '2026-03-01T00:00:00.000Z', origin: 'webhook', payload: fixture.input, headers: fixture.headers ?? {} });
    for (const envelope of envelopes) {
      const want = envelope.enrichment;
      if (want?.status === 'pending' && !provider.definition.api?.resources[want.resource]?.get) gaps.push({ slug, fixture: file, type: envelope.type, resource: want.resource });
    }
  }
  return gaps;
}
