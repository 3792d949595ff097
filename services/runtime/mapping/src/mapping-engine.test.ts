import { describe, expect, it } from 'vitest';
import { MappingEngine, toIsoDateTime } from './mapping-engine.js';

describe('MappingEngine', () => {
  it('evaluates an expression and reuses the compiled form for identical text', async () => {
    const engine = new MappingEngine();
    expect(await engine.evaluate('t', 'a + 1', { a: 41 })).toBe(42);
    expect(engine.compile('t', 'a + 1')).toBe(engine.compile('other-name', 'a + 1'));
  });

  it('stops a runaway expression with a coded timeout instead of hanging the worker', async () => {
    const engine = new MappingEngine({ timeoutMs: 50, maxDepth: 10_000 });
    const loop = '($f := function($n) { $n > 0 ? $f($n) : 0 }; $f(1))';
    await expect(engine.evaluate('loop.jsonata', loop, {})).rejects.toMatchObject({ code: 'SWY_ERR_MAPPING_TIMEOUT' });
  });

  it('names the expression and the position in errors', async () => {
    const engine = new MappingEngine();
    await expect(engine.evaluate('webhook.jsonata', 'payload.(', {})).rejects.toMatchObject({
      code: 'SWY_ERR_MAPPING_FAILED',
      message: expect.stringMatching(/webhook\.jsonata at position \d+/),
    });
  });

  it('offers $isoDateTime for epoch seconds, milliseconds and +0000 offsets', async () => {
    const engine = new MappingEngine();
    expect(await engine.evaluate('d', '$isoDateTime(t)', { t: 1658248023 })).toBe('2022-07-19T16:27:03.000Z');
    expect(await engine.evaluate('d', '$isoDateTime(t)', { t: 1658248023000 })).toBe('2022-07-19T16:27:03.000Z');
    expect(await engine.evaluate('d', '$isoDateTime(t)', { t: '2026-01-31T18:42:00+0000' })).toBe('2026-01-31T18:42:00.000Z');
    expect(toIsoDateTime('not a date')).toBeUndefined();
  });
});
