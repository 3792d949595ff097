import type { Bus } from '@switchyard/bus';
import type { EgressPolicy, Logger, Metrics, Tracer } from '@switchyard/kernel';
import type { ExpressionSandbox } from '@switchyard/mapping';
import type { Runtime } from '@switchyard/runtime';
import type { SubscriptionStore } from '@switchyard/stores';

/** What delivery works with: subscriptions and the egress policy; no provider catalog, no provider client. */
export interface DeliveryParts {
  readonly logger: Logger;
  readonly bus: Bus;
  /** Evaluates subscription filters. */
  /** Where subscription filters (tenant-written) run. */
  readonly sandbox: ExpressionSandbox;
  readonly egress: EgressPolicy;
  readonly metrics: Metrics;
  /** Spans of fan-out and delivery attempts (no-op when tracing is off). */
  readonly tracer: Tracer;
  readonly subscriptions: SubscriptionStore;
}

/** Opens delivery's parts from a process's runtime. */
export async function deliveryParts(runtime: Runtime): Promise<DeliveryParts> {
  return { logger: runtime.logger, bus: runtime.bus, sandbox: runtime.sandbox, egress: runtime.egress, metrics: runtime.metrics, tracer: runtime.tracer, subscriptions: await runtime.subscriptions() };
}
