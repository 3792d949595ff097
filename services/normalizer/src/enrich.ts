import { SwitchyardError, type EventEnvelope } from '@switchyard/contracts';
import type { TraceContext } from '@switchyard/kernel';
import type { LoadedProvider } from '@switchyard/mapping';
import { ProviderThrottled } from '@switchyard/provider-client';
import type { AccountRecord } from '@switchyard/stores';
import type { NormalizerParts } from './parts.js';
import { recordSeen } from './seen-records.js';

/** What enrichment decided for one delivery's events. */
export type EnrichOutcome = { kind: 'ready'; envelopes: EventEnvelope[] } | { kind: 'later'; delayMs: number };

/**
 * Completes thin events (`enrichment.status: pending`) with the full record, fetched through the same
 * unified engine as `GET /unified/...` (same auth, egress policy and rate limits). A provider that is
 * throttling asks for the delivery to come back later, up to `maxTries` deliveries; after that, or on
 * any other failure (record gone, credentials refused, no API declared), the event goes out thin with
 * `enrichment.status: failed` — never held back for good, never dropped. With `bus`, the fingerprint of a
 * fetched record of a reconciled resource is recorded, so reconciliation knows the webhook arrived.
 * Each fetch is an `enrich` span (tracing on) under `trace`, the provider call a child of it.
 */
export function enricher(ctx: Pick<NormalizerParts, 'unified' | 'accounts' | 'logger' | 'tracer'> & { bus?: NormalizerParts['bus'] }, options: { maxTries: number }) {
  const { unified, accounts } = ctx;
  return async (provider: LoadedProvider, account: AccountRecord, envelopes: EventEnvelope[], deliveryCount: number, trace?: TraceContext): Promise<EnrichOutcome> => {
    const out: EventEnvelope[] = [];
    for (const envelope of envelopes) {
      const want = envelope.enrichment;
      if (!want || want.status !== 'pending') {
        out.push(envelope);
        continue;
      }
      if (!provider.definition.api?.resources[want.resource]?.get) {
        out.push({ ...envelope, enrichment: { ...want, status: 'failed' } });
        continue;
      }
      const span = ctx.tracer.start('enrich', 'internal', trace);
      if (span.recording) {
        span.set('switchyard.provider', provider.definition.slug);
        span.set('switchyard.resource', want.resource);
        span.set('switchyard.event_id', envelope.id);
      }
      try {
        const target = { provider, account, credentials: accounts.credentials(account), trace: span.context ?? trace };
        const { value } = await unified.get(target, want.resource, want.remote_id, false);
        if (ctx.bus) await recordSeen(ctx.bus, ctx.logger, provider, account, want.resource, value);
        out.push({ ...envelope, data: { ...value, ...pick(envelope.data, ['id', 'remote_id']) }, enrichment: { ...want, status: 'done' } });
      } catch (error) {
        span.fail(error instanceof ProviderThrottled ? 'throttled' : error instanceof SwitchyardError ? error.code : 'error');
        if (error instanceof ProviderThrottled && deliveryCount < options.maxTries) {
          return { kind: 'later', delayMs: Math.max(1_000, (error.rateLimit.retryAfterS ?? 5) * 1_000) };
        }
        ctx.logger.info({ provider: provider.definition.slug, account: account.id, event: envelope.id, code: (error as { code?: string }).code }, 'enrichment failed; event sent thin');
        out.push({ ...envelope, enrichment: { ...want, status: 'failed' } });
      } finally {
        span.end();
      }
    }
    return { kind: 'ready', envelopes: out };
  };
}

function pick(data: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
}
