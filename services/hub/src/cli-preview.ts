import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ok } from '@switchyard/client';
import type { RemoteCliOptions } from './cli-client.js';

export const PREVIEW_USAGE = `  switchyard mappings preview <provider> <payload.json> [--account <id>] [--mapping <file.jsonata>] [--url <hub url>]
      the events the hub would make of a payload with the mapping it resolves for the environment (and
      the account, with its overrides) — or with --mapping instead — in the tenant's sandbox; nothing
      is published. (\`mappings test\` does the same locally with the shipped mapping, no hub needed.)`;

/** `switchyard mappings preview`: `POST /v1/mappings/preview`, the answer printed as JSON. */
export async function mappingsPreview(provider: string, payloadPath: string, options: RemoteCliOptions & { account?: string; mapping?: string }): Promise<number> {
  const payload = JSON.parse(await readFile(resolve(payloadPath), 'utf8')) as unknown;
  const mapping = options.mapping ? await readFile(resolve(options.mapping), 'utf8') : undefined;
  const answer = ok(
    await options.client.POST('/v1/mappings/preview', {
      body: { provider, payload, ...(options.account ? { integrated_account_id: options.account } : {}), ...(mapping ? { mapping } : {}) },
    }),
  );
  options.out(`${JSON.stringify(answer, null, 2)}\n`);
  return 0;
}
