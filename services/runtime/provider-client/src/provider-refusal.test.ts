import { describe, expect, it } from 'vitest';
import { MappingEngine } from '@switchyard/mapping';
import { providerFailure } from './provider-refusal.js';

const engine = new MappingEngine();
const write: { slug: string; method: string; errorMessage: string | undefined } = { slug: 'acme', method: 'POST', errorMessage: undefined };
const failure = (body: unknown, status = 400, where: Partial<typeof write> = {}, headers: Record<string, string> = {}) =>
  providerFailure(engine, { ...write, ...where }, { status, body, headers });

describe('a provider error answer as a coded error', () => {
  it('is SWY_ERR_PROVIDER_REFUSED (422) for a write refused as sent, with the provider reason from the common places', async () => {
    const shapes: Array<[unknown, string]> = [
      [{ message: 'email is invalid' }, 'email is invalid'],
      [{ success: false, error: 'title is required' }, 'title is required'],
      [{ error: { code: '0x80040217', message: 'account Does Not Exist' } }, 'account Does Not Exist'],
      [{ errors: [{ detail: 'name too long' }] }, 'name too long'],
      [[{ message: 'Required fields are missing: [Company]', errorCode: 'REQUIRED_FIELD_MISSING' }], 'Required fields are missing: [Company]'],
      [{ type: 'about:blank', title: 'Conflict' }, 'Conflict'],
    ];
    for (const [body, reason] of shapes) {
      const error = await failure(body);
      expect(error).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', status: 422, extensions: { provider_status: 400, provider_message: reason } });
    }
    expect((await failure({ message: 'taken' }, 409)).code).toBe('SWY_ERR_PROVIDER_REFUSED');
  });

  it('stays SWY_ERR_PROVIDER_ERROR (502) for a read, a provider failure, or an answer without a reason', async () => {
    expect(await failure({ message: 'bad filter' }, 400, { method: 'GET' })).toMatchObject({ code: 'SWY_ERR_PROVIDER_ERROR', extensions: { provider_message: 'bad filter' } });
    expect((await failure({ message: 'oops' }, 500)).code).toBe('SWY_ERR_PROVIDER_ERROR');
    const bare = await failure('<html>502 Bad Gateway</html>', 502);
    expect(bare.code).toBe('SWY_ERR_PROVIDER_ERROR');
    expect(bare.extensions).toEqual({ provider_status: 502 });
  });

  it("reads the reason with the definition's error_message expression, over status, body and headers", async () => {
    const fromHeader = await failure(undefined, 400, { errorMessage: "$lookup(headers, 'x-bamboohr-error-message')" }, { 'x-bamboohr-error-message': 'firstName and lastName are required' });
    expect(fromHeader.extensions).toEqual({ provider_status: 400, provider_message: 'firstName and lastName are required' });
    // An expression that fails to evaluate hides the reason, never the failure.
    const broken = await failure({ message: 'x' }, 400, { errorMessage: '$number("not a number") + 1' });
    expect(broken).toMatchObject({ code: 'SWY_ERR_PROVIDER_REFUSED', extensions: { provider_status: 400 } });
    expect(broken.extensions).not.toHaveProperty('provider_message');
  });

  it('passes one printable line of at most 500 characters', async () => {
    const error = await failure({ message: `line one\n\tline two\u0000${'x'.repeat(2_000)}` });
    const message = String(error.extensions?.provider_message);
    expect(message.startsWith('line one line two x')).toBe(true);
    expect(message).toHaveLength(500);
    expect(message.endsWith('…')).toBe(true);
  });
});
