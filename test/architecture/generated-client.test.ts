import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_DIR, clientDocument, clientSchemaSource } from '../tools/generate-client.js';

/**
 * The committed client (clients/typescript) is what a stock generator makes from the document the hub
 * serves: a route or schema changed without `npm run client:generate` fails here, so the client the
 * e2e tests and the CLI use cannot drift from the API.
 */
describe('the generated TypeScript client', () => {
  it('has the OpenAPI document the hub serves', async () => {
    const committed = JSON.parse(await readFile(`${CLIENT_DIR}openapi.json`, 'utf8')) as unknown;
    expect(committed, 'run npm run client:generate').toEqual(clientDocument());
  });

  it("has the types openapi-typescript generates from it", async () => {
    const committed = await readFile(`${CLIENT_DIR}src/schema.ts`, 'utf8');
    expect(committed === (await clientSchemaSource()), 'run npm run client:generate').toBe(true);
  });
});
