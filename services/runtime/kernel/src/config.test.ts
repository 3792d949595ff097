import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SwitchyardError } from '@switchyard/contracts';
import { EgressEnv, HttpEnv, loadConfig, optionalString } from './config.js';

describe('loadConfig', () => {
  const Schema = HttpEnv.extend(EgressEnv.shape).extend({
    NATS_URL: optionalString.pipe(z.string().regex(/^nats:\/\//).optional()),
    SWITCHYARD_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  });

  it('applies documented defaults', () => {
    const config = loadConfig(Schema, {});
    expect(config.PORT).toBe(8080);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.NATS_URL).toBeUndefined();
    expect(config.SWITCHYARD_EGRESS_ALLOW).toEqual([]);
    // Provider calls never reach loopback or private addresses unless the operator says so.
    expect(config.SWITCHYARD_PROVIDER_EGRESS_ALLOW).toEqual([]);
    expect(config.SWITCHYARD_EGRESS_ALLOW_HTTP).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad key in one error, not just the first', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { PORT: 'eighty', NATS_URL: 'localhost:4222', SWITCHYARD_TIMEOUT_MS: '-5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SwitchyardError);
    const e = error as SwitchyardError;
    expect(e.code).toBe('SWY_ERR_CONFIG_INVALID');
    expect(e.message).toContain('PORT');
    expect(e.message).toContain('NATS_URL');
    expect(e.message).toContain('SWITCHYARD_TIMEOUT_MS');
  });

  it('treats empty strings as unset and parses lists and flags', () => {
    const config = loadConfig(Schema, { NATS_URL: '', SWITCHYARD_EGRESS_ALLOW: '127.0.0.0/8, ::1,', SWITCHYARD_EGRESS_ALLOW_HTTP: 'TRUE' });
    expect(config.NATS_URL).toBeUndefined();
    expect(config.SWITCHYARD_EGRESS_ALLOW).toEqual(['127.0.0.0/8', '::1']);
    expect(config.SWITCHYARD_EGRESS_ALLOW_HTTP).toBe(true);
  });
});
