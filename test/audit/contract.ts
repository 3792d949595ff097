/**
 * `npm test`'s contract step: every answer the in-process test hubs sent during the suite was checked
 * against the OpenAPI document (`test/harness/contract-audit.ts`); this reads what each process noted,
 * prints how much of the document the suite exercised, and exits 1 on any violation or when nothing
 * was audited. It never sees a body: the notes hold routes, statuses and schema paths only.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '@switchyard/request';

const dir = process.argv[2] ?? process.env.SWITCHYARD_TEST_CONTRACT_AUDIT_DIR;
if (!dir) throw new Error('usage: node test/dist/audit/contract.js <audit dir>');

const lines = readdirSync(dir)
  .filter((f) => f.startsWith('contract-'))
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
  .filter((line) => line.length > 0)
  .map((line) => JSON.parse(line) as { seen?: string; violation?: string });
const seen = new Set(lines.flatMap((l) => (l.seen ? [l.seen] : [])));
const violations = new Set(lines.flatMap((l) => (l.violation ? [l.violation] : [])));

if (seen.size === 0) {
  console.error(`contract audit: nothing to audit in ${dir}; is SWITCHYARD_TEST_CONTRACT_AUDIT_DIR set for vitest?`);
  process.exit(1);
}
const paths = (openApiDocument('http://audit.invalid') as { paths: Record<string, Record<string, unknown>> }).paths;
const operations = Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
const exercised = new Set([...seen].map((key) => key.split(' ').slice(0, 2).join(' ')));
const untouched = operations.filter((operation) => !exercised.has(operation));
if (violations.size > 0) {
  console.error(`contract audit: ${violations.size} answer(s) the OpenAPI document does not describe:\n  ${[...violations].sort().join('\n  ')}`);
  process.exit(1);
}
console.log(
  `contract audit: ${seen.size} distinct answers (operation × status) checked against the OpenAPI document, none outside it; ` +
    `${exercised.size} of ${operations.length} operations exercised` +
    (untouched.length > 0 && untouched.length <= 40 ? ` (not exercised: ${untouched.join(', ')})` : untouched.length > 40 ? ` (${untouched.length} not exercised, mostly per-resource unified routes)` : ''),
);
rmSync(dir, { recursive: true, force: true });
