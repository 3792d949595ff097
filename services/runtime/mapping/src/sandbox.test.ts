import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ExpressionSandbox, type SandboxOptions } from './sandbox.js';

/**
 * One native step the evaluation's own budget cannot interrupt, compiled or interpreted (five
 * million regex replacements in one `$replace`): only the hard deadline stops it.
 */
const ONE_LONG_STEP = `$length($replace($pad('', 5000000, 'a'), /a/, 'b'))`;
const RECURSION = '($f := function($n) { $n > 0 ? $f($n) : 0 }; $f(1))';

let sandbox: ExpressionSandbox | undefined;
const open = (options: Partial<SandboxOptions> = {}) => (sandbox = new ExpressionSandbox(options));
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** Settles `promise` and records the order settlements happen in. */
const track = (order: string[], name: string, promise: Promise<unknown>) =>
  promise.then(
    (value) => (order.push(name), { ok: true as const, value }),
    (error: { code?: string; message?: string }) => (order.push(name), { ok: false as const, code: error.code, message: error.message }),
  );

describe('ExpressionSandbox', () => {
  it('evaluates tenant expressions with the mapping library, bindings and RE2 regexes, off the main thread', async () => {
    const mappings = open().mappings('env_a');
    expect(await mappings.evaluate('t', '{ "when": $isoDateTime(t), "n": n + $bump, "us": $contains(c, /^[A-Z]{2}$/) }', { t: 1658248023, n: 1, c: 'US' }, { bump: 41 })).toEqual({
      when: '2022-07-19T16:27:03.000Z',
      n: 42,
      us: true,
    });
    expect(sandbox!.stats()).toMatchObject({ workers: 1, busy: 0, queued: 0, restarts: 0 });
  });

  it('passes JSONata errors back with their code and the expression name', async () => {
    const mappings = open().mappings('env_a');
    await expect(mappings.evaluate('override.jsonata', 'payload.(', {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED', message: expect.stringContaining('override.jsonata') });
    await expect(mappings.evaluate('override.jsonata', 'function($x) { $x }', {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_FAILED', message: expect.stringContaining('not JSON data') });
  });

  it('stops runaway recursion within the budget and keeps the worker', async () => {
    const filters = open({ filterTimeoutMs: 50 }).filters('env_a');
    await expect(filters.evaluate('filter', RECURSION, {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_TIMEOUT' });
    expect(await filters.evaluate('filter', 'type = "x"', { type: 'x' })).toBe(true);
  });

  it('terminates a worker stuck in one long step at the hard deadline and starts a fresh one', async () => {
    const evaluator = open({ graceMs: 20 }).forTenant('env_a', 20);
    await expect(evaluator.evaluate('override', ONE_LONG_STEP, {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_TIMEOUT', message: expect.stringContaining('stopped') });
    expect(sandbox!.stats().restarts).toBe(1);
    expect(await evaluator.evaluate('override', '1 + 1', {})).toBe(2);
  });

  it('stops an expression that needs more memory than a worker has', async () => {
    const evaluator = open({ memoryMb: 64 }).forTenant('env_a', 5_000);
    await expect(evaluator.evaluate('override', '$count($append([1..10000000], [1..10000000]))', {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_TIMEOUT', message: expect.stringContaining('MiB') });
    expect(await evaluator.evaluate('override', '1 + 1', {})).toBe(2);
  });

  it('lets another tenant through while one tenant keeps a worker busy', async () => {
    open({ workers: 2, perTenant: 1, graceMs: 500 });
    // Both workers up first: on a loaded machine starting one can take longer than the hostile budget,
    // and the race below is about scheduling, not start-up.
    expect(await Promise.all([sandbox!.mappings('env_warm_a').evaluate('warm-up', '1', {}), sandbox!.mappings('env_warm_b').evaluate('warm-up', '2', {})])).toEqual([1, 2]);
    const order: string[] = [];
    const hostile = [1, 2, 3].map((n) => track(order, `hostile ${n}`, sandbox!.forTenant('env_hostile', 200).evaluate('override', ONE_LONG_STEP, {})));
    const victim = track(order, 'victim', sandbox!.mappings('env_victim').evaluate('override', '"ok"', {}));
    expect(await victim).toEqual({ ok: true, value: 'ok' });
    // The hostile tenant holds one worker at a time: its first expression is still running or just stopped.
    expect(order[0]).toBe('victim');
    expect(sandbox!.stats().busy).toBeLessThanOrEqual(1);
    const settled = await Promise.all(hostile);
    expect(settled.map((s) => s.ok || s.code)).toEqual(['SWY_ERR_MAPPING_TIMEOUT', 'SWY_ERR_MAPPING_TIMEOUT', 'SWY_ERR_MAPPING_TIMEOUT']);
  });

  it('refuses a tenant whose queue is full with a coded busy error, and only that tenant', async () => {
    open({ workers: 1, perTenant: 1, queuePerTenant: 2, graceMs: 20 });
    const slow = sandbox!.forTenant('env_a', 20);
    expect(await slow.evaluate('warm-up', '0', {})).toBe(0); // the worker is up: the next job runs at once
    const queued = [1, 2, 3].map(() => slow.evaluate('override', ONE_LONG_STEP, {}).catch((e: { code: string }) => e.code));
    await expect(slow.evaluate('override', '1', {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_BUSY' });
    const other = sandbox!.mappings('env_b').evaluate('override', '"b"', {});
    expect(await Promise.all(queued)).toEqual(['SWY_ERR_MAPPING_TIMEOUT', 'SWY_ERR_MAPPING_TIMEOUT', 'SWY_ERR_MAPPING_TIMEOUT']);
    expect(await other).toBe('b');
  });

  it('fails waiting expressions with a coded error instead of restarting forever when workers cannot start', async () => {
    const evaluator = open({ memoryMb: 2 }).mappings('env_a');
    await expect(evaluator.evaluate('override', '1', {})).rejects.toMatchObject({ code: 'SWY_ERR_INTERNAL', message: expect.stringContaining('cannot start') });
    expect(sandbox!.stats()).toMatchObject({ workers: 0, queued: 0, restarts: 3 });
  });

  it('keeps a process with nothing else to do alive while an evaluation is pending, and lets it end once closed', async () => {
    // A CLI awaiting its first evaluation: the worker is still starting and no other handle is open.
    const script = `import { ExpressionSandbox } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const sandbox = new ExpressionSandbox();
      console.log(await sandbox.mappings('env_a').evaluate('cli', '20 + 22', {}));
      await sandbox.close();
      console.log('closed');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    expect(stdout.trim().split('\n')).toEqual(['42', 'closed']);
  });

  it('fails what is waiting when it closes', async () => {
    open({ workers: 1, graceMs: 5_000 });
    const running = sandbox!.forTenant('env_a', 5_000).evaluate('override', ONE_LONG_STEP, {});
    const waiting = sandbox!.forTenant('env_a', 5_000).evaluate('override', '1', {});
    const failed = Promise.all([
      expect(running).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_BUSY' }),
      expect(waiting).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_BUSY' }),
    ]);
    await sandbox!.close();
    await failed;
    await expect(sandbox!.mappings('env_a').evaluate('x', '1', {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_BUSY' });
  });
});
