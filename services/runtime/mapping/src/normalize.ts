import { MappedEvent, SwitchyardError, UNIFIED_MODEL_PARSERS, UNIFIED_MODELS, parseEventType, type EventEnvelope, type EventOrigin, type ParsedEventType } from '@switchyard/contracts';
import type { MappingSource } from './catalog.js';
import { deterministicId } from '@switchyard/kernel';
import { readMappedEvent } from './mapped-event.js';
import { toIsoDateTime, type ExpressionEvaluator } from './mapping-engine.js';

/** What a mapping sees of the integrated account a delivery belongs to (a stored account record has it all). */
export interface MappingAccount {
  id: string;
  environment_id: string;
  remote_key: string | null;
  config: Record<string, unknown>;
}

/** One raw delivery, as the normalizer reads it from RAW. */
export interface RawDelivery {
  provider: string;
  account: MappingAccount;
  /** The provider's delivery key (dedupe key at the edge). */
  eventKey: string;
  receivedAt: string;
  origin: EventOrigin;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * `{...data, id}`, copied key by key: spreading a prototype-less JSONata object makes a slower
 * object for the schema parse that follows (about 0.4 µs per event). `__proto__` stays a plain key.
 */
function withId(data: Record<string, unknown>, id: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    if (key === '__proto__') Object.defineProperty(out, key, { value: data[key], enumerable: true, writable: true, configurable: true });
    else out[key] = data[key];
  }
  out.id = id;
  return out;
}

/**
 * The event id: a hash of (provider, account, provider delivery key, record id, action, mapping
 * version). A provider retry or a replay through the same mapping yields the same id, so JetStream
 * dedupe and the customer's `webhook-id` dedupe both hold.
 */
export function eventId(parts: { provider: string; accountId: string; eventKey: string; recordId: string; action: string; mappingVersion: string }): string {
  return deterministicId('evt', [parts.provider, parts.accountId, parts.eventKey, parts.recordId, parts.action, parts.mappingVersion]);
}

/**
 * Runs a webhook mapping over one delivery and returns the envelopes to publish (zero or more: batches
 * fan out). Throws a coded error when the mapping fails or a mapped event violates the unified schema;
 * the caller dead-letters the delivery with that code. `engine` is the in-process engine for shipped
 * mappings and the tenant's sandbox for mappings a tenant wrote.
 */
export async function normalize(engine: ExpressionEvaluator, mapping: MappingSource, delivery: RawDelivery): Promise<EventEnvelope[]> {
  const { account } = delivery;
  const output = await engine.evaluate(
    mapping.name,
    mapping.source,
    {
      payload: delivery.payload,
      headers: delivery.headers,
      account: { id: account.id, config: account.config, remote_key: account.remote_key },
      received_at: delivery.receivedAt,
    },
    mapping.bindings,
  );
  const items = output === undefined || output === null ? [] : Array.isArray(output) ? output : [output];
  return items.map((item, index) => {
    const read = readMappedEvent(item);
    let mapped: MappedEvent;
    let type: ParsedEventType | undefined;
    if (read) ({ mapped, type } = read);
    else {
      // Anything unusual goes through the schema: it decides, and words the error.
      const parsed = MappedEvent.safeParse(item);
      if (!parsed.success) {
        throw new SwitchyardError('SWY_ERR_EVENT_INVALID', `${mapping.name} item ${index}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      mapped = parsed.data;
      type = parseEventType(mapped.type);
    }
    const resource = type ? `${type.category}/${type.resource}` : '';
    const model = type ? UNIFIED_MODELS[resource] : undefined;
    if (!type || !model) throw new SwitchyardError('SWY_ERR_EVENT_INVALID', `${mapping.name} item ${index}: no unified model for '${mapped.type}'`);
    const data = withId(mapped.data, deterministicId('rec', [account.id, resource, String(mapped.data.remote_id ?? mapped.record_id)]));
    // zod's output without zod's object parse when the precompiled parser can vouch for it (the same bytes);
    // zod itself otherwise, for the verdict and its wording.
    let parsed = UNIFIED_MODEL_PARSERS[resource]?.(data);
    if (parsed === undefined) {
      const valid = model.safeParse(data);
      if (!valid.success) {
        throw new SwitchyardError(
          'SWY_ERR_EVENT_INVALID',
          `${mapping.name} item ${index} (${mapped.type}): ${valid.error.issues.map((i) => `data.${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      parsed = valid.data as Record<string, unknown>;
    }
    const envelope: EventEnvelope = {
      id: eventId({
        provider: delivery.provider,
        accountId: account.id,
        eventKey: mapped.event_key ?? delivery.eventKey,
        recordId: mapped.record_id,
        action: type.action,
        mappingVersion: mapping.version,
      }),
      type: mapped.type,
      timestamp: toIsoDateTime(mapped.occurred_at) ?? delivery.receivedAt,
      environment_id: account.environment_id,
      integrated_account_id: account.id,
      provider: delivery.provider,
      category: type.category,
      resource: type.resource,
      action: type.action,
      record_id: mapped.record_id,
      origin: delivery.origin,
      mapping_version: mapping.version,
      data: parsed,
    };
    // Assigned rather than spread in (same key order): spreading a fresh object per event cost more than the rest of the envelope.
    if (mapped.remote_data !== undefined) envelope.remote_data = mapped.remote_data;
    if (mapped.enrich !== undefined) {
      envelope.enrichment = {
        status: 'pending',
        resource: (mapped.enrich !== true && mapped.enrich.resource) || `${type.category}/${type.resource}`,
        remote_id: (mapped.enrich !== true && mapped.enrich.remote_id) || String(mapped.data.remote_id ?? mapped.record_id),
      };
    }
    return envelope;
  });
}
