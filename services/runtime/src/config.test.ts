import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '@switchyard/contracts';
import { DeliveryEnv, HttpEnv, NatsEnv, loadConfig } from './config.js';

describe('loadConfig', () => {
  const Schema = HttpEnv.extend(NatsEnv.shape).extend(DeliveryEnv.shape);

  it('applies documented defaults', () => {
    const config = loadConfig(Schema, {});
    expect(config.PORT).toBe(8080);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.NATS_URL).toBeUndefined();
    expect(config.SWITCHYARD_DELIVERY_SCHEDULE_MS).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad key in one error, not just the first', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { PORT: 'eighty', NATS_URL: 'localhost:4222', SWITCHYARD_DELIVERY_TIMEOUT_MS: '-5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SwitchyardError);
    const e = error as SwitchyardError;
    expect(e.code).toBe('SWY_ERR_CONFIG_INVALID');
    expect(e.message).toContain('PORT');
    expect(e.message).toContain('NATS_URL');
    expect(e.message).toContain('SWITCHYARD_DELIVERY_TIMEOUT_MS');
  });

  it('treats empty strings as unset and parses a compressed retry schedule', () => {
    const config = loadConfig(Schema, { NATS_URL: '', SWITCHYARD_DELIVERY_SCHEDULE_MS: '10, 20,30' });
    expect(config.NATS_URL).toBeUndefined();
    expect(config.SWITCHYARD_DELIVERY_SCHEDULE_MS).toEqual([10, 20, 30]);
  });

});
