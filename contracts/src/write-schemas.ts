import { mkdir, writeFile } from 'node:fs/promises';
import { jsonSchemas } from './json-schema.js';

/** `npm run schemas`: regenerates contracts/schema/*.json from the zod schemas. */
const dir = new URL('../schema/', import.meta.url);
await mkdir(dir, { recursive: true });
for (const [file, schema] of Object.entries(jsonSchemas())) {
  await writeFile(new URL(file, dir), `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote contracts/schema/${file}\n`);
}
