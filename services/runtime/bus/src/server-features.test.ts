import { describe, expect, it } from 'vitest';
import { checkServerFeatures, compareVersions } from './server-features.js';

describe('nats-server feature check', () => {
  it('compares versions numerically, not as strings', () => {
    expect(compareVersions('2.10.0', '2.9.4')).toBeGreaterThan(0);
    expect(compareVersions('2.9.10', '2.9.4')).toBeGreaterThan(0);
    expect(compareVersions('2.9.3', '2.9.4')).toBeLessThan(0);
  });

  it("accepts Debian bookworm's 2.9.10 and reports the optional features it lacks", () => {
    expect(checkServerFeatures('2.9.10', true)).toEqual([
      'multiple filter subjects per consumer (unused, optional)',
      'term with a reason (unused: terminate() sends a bare term on every version)',
    ]);
    expect(checkServerFeatures('2.10.22', true)).toEqual([]);
  });

  it('refuses a server under the floor, naming what is missing', () => {
    expect(() => checkServerFeatures('2.8.4', true)).toThrow(/2\.8\.4.*consumer create API/);
  });

  it('refuses a server without JetStream', () => {
    expect(() => checkServerFeatures('2.10.0', false)).toThrow(/JetStream disabled/);
  });
});
