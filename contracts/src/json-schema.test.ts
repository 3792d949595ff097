import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from './json-schema.js';

describe('published JSON Schemas', () => {
  it.each(Object.entries(jsonSchemas()))('contracts/schema/%s matches the zod schema (run `npm run schemas` after changing it)', async (file, schema) => {
    const committed = JSON.parse(await readFile(new URL(`../schema/${file}`, import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});
