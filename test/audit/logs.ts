/**
 * `npm test`'s last step: every log line every test hub wrote during the suite, searched for every
 * secret and body marker the harness created (see `test/harness/log-audit.ts`). Exits 1 naming the
 * label and the log line's message (never the secret) when one is found, or when nothing was audited.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? process.env.SWITCHYARD_TEST_LOG_AUDIT_DIR;
if (!dir) throw new Error('usage: node test/dist/audit/logs.js <audit dir>');

const files = readdirSync(dir);
const read = (prefix: string) =>
  files
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((line) => line.length > 0);

const secrets = new Map<string, string>();
for (const line of read('secrets-')) {
  const { label, value } = JSON.parse(line) as { label: string; value: string };
  secrets.set(value, label);
}
const logs = read('logs-');
const leaks: string[] = [];
for (const line of logs) {
  for (const [value, label] of secrets) {
    if (line.includes(value)) {
      const msg = (() => {
        try {
          return (JSON.parse(line) as { msg?: string }).msg ?? '?';
        } catch {
          return '(not JSON)';
        }
      })();
      leaks.push(`${label} in log line "${msg.split(value).join('•••')}"`);
    }
  }
}
if (secrets.size === 0 || logs.length === 0) {
  console.error(`log audit: nothing to audit in ${dir} (${secrets.size} secrets, ${logs.length} log lines); is SWITCHYARD_TEST_LOG_AUDIT_DIR set for vitest?`);
  process.exit(1);
}
if (leaks.length > 0) {
  console.error(`log audit: ${leaks.length} log line(s) hold a secret or body marker:\n  ${[...new Set(leaks)].join('\n  ')}`);
  process.exit(1);
}
console.log(`log audit: ${logs.length} log lines from the test hubs hold none of the ${secrets.size} secrets and body markers the suite created`);
rmSync(dir, { recursive: true, force: true });
