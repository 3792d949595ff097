import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/kernel';
import { DeliveryEnv } from './config.js';

describe('DeliveryEnv', () => {
  it("defaults to Svix's retry schedule", () => {
    expect(loadConfig(DeliveryEnv, {}).SWITCHYARD_DELIVERY_SCHEDULE_MS).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('parses a compressed retry schedule and refuses a negative timeout', () => {
    expect(loadConfig(DeliveryEnv, { SWITCHYARD_DELIVERY_SCHEDULE_MS: '10, 20,30' }).SWITCHYARD_DELIVERY_SCHEDULE_MS).toEqual([10, 20, 30]);
    expect(() => loadConfig(DeliveryEnv, { SWITCHYARD_DELIVERY_TIMEOUT_MS: '-5' })).toThrow(/SWITCHYARD_DELIVERY_TIMEOUT_MS/);
  });
});
