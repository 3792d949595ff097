import { describe, expect, it } from 'vitest';
import { ERRORS, SwitchyardError, toProblem } from './errors.js';

describe('error registry', () => {
  it('uses SWY_ERR_ codes with HTTP statuses in the 4xx/5xx range', () => {
    for (const [code, entry] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^SWY_ERR_[A-Z0-9_]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
    }
  });

  it('renders a problem body whose code and status come from the registry', () => {
    const problem = toProblem(new SwitchyardError('SWY_ERR_SIGNATURE_MISMATCH', 'no secret matched'));
    expect(problem).toMatchObject({ status: 401, code: 'SWY_ERR_SIGNATURE_MISMATCH', detail: 'no secret matched' });
    expect(problem.type).toContain('swy_err_signature_mismatch');
  });

  it('is documented: every code appears in docs/errors.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ERRORS)) expect(doc, code).toContain(`\`${code}\``);
  });
});
