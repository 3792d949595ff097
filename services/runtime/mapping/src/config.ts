import { z } from 'zod';
import { optionalString } from '@switchyard/kernel';
import type { SandboxOptions } from './sandbox.js';

/** Where provider definitions live; defaults to the repository's `mappings/`. */
export const CatalogEnv = z.object({
  SWITCHYARD_MAPPINGS_DIR: optionalString,
});

const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/**
 * The expression sandbox, where tenant-written JSONata runs (overrides, previews, subscription
 * filters), and the budgets of those expressions.
 */
export const SandboxEnv = z.object({
  /** Worker threads for tenant expressions. */
  SWITCHYARD_SANDBOX_WORKERS: count(2, 64),
  /** Expressions of one environment evaluating at once (the workers one tenant can hold). */
  SWITCHYARD_SANDBOX_TENANT_CONCURRENCY: count(1, 64),
  /** Expressions of one environment waiting for a worker before `SWY_ERR_MAPPING_BUSY`. */
  SWITCHYARD_SANDBOX_TENANT_QUEUE: count(64, 100_000),
  /** Heap of one sandbox worker, in MiB. */
  SWITCHYARD_SANDBOX_MEMORY_MB: z.coerce.number().int().min(64).max(16_384).default(128),
  /** Budget of a tenant mapping (override or preview), in ms. */
  SWITCHYARD_TENANT_MAPPING_TIMEOUT_MS: count(1_000, 60_000),
  /** Budget of a subscription filter, in ms: it runs for every event, so it is small. */
  SWITCHYARD_FILTER_TIMEOUT_MS: count(100, 10_000),
});
export type SandboxConfig = z.output<typeof SandboxEnv>;

/** The sandbox's settings from the parsed environment. */
export function sandboxOptionsFrom(config: SandboxConfig): Omit<SandboxOptions, 'graceMs'> {
  return {
    workers: config.SWITCHYARD_SANDBOX_WORKERS,
    perTenant: config.SWITCHYARD_SANDBOX_TENANT_CONCURRENCY,
    queuePerTenant: config.SWITCHYARD_SANDBOX_TENANT_QUEUE,
    memoryMb: config.SWITCHYARD_SANDBOX_MEMORY_MB,
    mappingTimeoutMs: config.SWITCHYARD_TENANT_MAPPING_TIMEOUT_MS,
    filterTimeoutMs: config.SWITCHYARD_FILTER_TIMEOUT_MS,
  };
}
