import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/**
 * The whole-suite log audit (issue 11): while `npm test` runs, every in-process test hub logs at debug
 * level into `SWITCHYARD_TEST_LOG_AUDIT_DIR`, and the harness notes there every secret and body marker
 * it creates (admin tokens, API keys, webhook and signing secrets, provider credentials, signatures).
 * After vitest, `test/audit/logs.ts` fails the run if any log line holds any of them. Unset (a single
 * file run by hand): nothing is written.
 */
const dir = process.env.SWITCHYARD_TEST_LOG_AUDIT_DIR;
if (dir) mkdirSync(dir, { recursive: true });

/** A destination that appends log lines to this process's audit file, or undefined when not auditing. */
export function auditLogStream(): Writable | undefined {
  if (!dir) return undefined;
  const file = join(dir, `logs-${process.pid}.ndjson`);
  return new Writable({
    write(chunk, _encoding, done) {
      appendFileSync(file, chunk);
      done();
    },
  });
}

/** Notes a value no log line may contain (`label` says where it came from, for the failure message). */
export function rememberSecret(label: string, value: string | undefined): void {
  if (!dir || !value || value.length < 8) return;
  appendFileSync(join(dir, `secrets-${process.pid}.ndjson`), `${JSON.stringify({ label, value })}\n`);
}
