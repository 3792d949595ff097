import { performance } from 'node:perf_hooks';
import type { JetStreamClient } from '@nats-io/jetstream';
import { percentile, type ScenarioResult } from './lib.js';

/** Options for {@link runPublishLoad}. */
export interface PublishLoadOptions {
  scenario: string;
  js: JetStreamClient;
  /** A subject bound to a stream that already exists. */
  subject: string;
  /** Concurrent publishers, each with one publish in flight: the analogue of autocannon's connections. */
  publishers: number;
  durationS: number;
  warmupS: number;
  /** Message size in bytes. */
  payloadBytes: number;
  /** Prefix of every message id; ids are `<prefix>-<n>`, unique within the run. */
  idPrefix: string;
}

/**
 * Ceiling B: `publishers` loops, each publishing one message and awaiting its JetStream ack before
 * the next, for the warm-up and then the measured window. Every message has its own `Nats-Msg-Id`, so
 * the stream's duplicate tracking works as hard as in production. Latency is publish→ack, measured
 * with `performance.now()` (sub-millisecond, unlike autocannon's 1 ms histogram).
 */
export async function runPublishLoad(options: PublishLoadOptions): Promise<ScenarioResult> {
  // A JSON-ish payload of the requested size: realistic bytes, content does not matter to JetStream.
  const payload = new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(Math.max(0, options.payloadBytes - 10)) }));
  let sequence = 0;

  const phase = async (durationS: number, record: boolean) => {
    const latencies: number[] = [];
    let failures = 0;
    const endAt = performance.now() + durationS * 1000;
    const started = performance.now();
    const publisher = async () => {
      while (performance.now() < endAt) {
        const t0 = performance.now();
        try {
          await options.js.publish(options.subject, payload, { msgID: `${options.idPrefix}-${sequence++}`, timeout: 5_000 });
          if (record) latencies.push(performance.now() - t0);
        } catch {
          failures++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.publishers }, publisher));
    return { latencies, failures, elapsedS: (performance.now() - started) / 1000 };
  };

  if (options.warmupS > 0) await phase(options.warmupS, false);
  const { latencies, failures, elapsedS } = await phase(options.durationS, true);
  const sorted = Float64Array.from(latencies).sort();
  return {
    scenario: options.scenario,
    reqPerSec: latencies.length / elapsedS,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    total: latencies.length,
    failures,
    errors: 0,
    durationS: elapsedS,
    connections: options.publishers,
    extra: { payloadBytes: payload.byteLength, latencyMeanMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length), latencyMaxMs: sorted.at(-1) ?? 0 },
  };
}
