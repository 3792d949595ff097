import { z } from 'zod';
import { EventEnvelope } from './envelope.js';
import { ProviderDefinition } from './provider-definition.js';
import { UNIFIED_MODELS } from './unified/index.js';

/** `hris/time_off` → `hris-time-off.schema.json`. */
function unifiedSchemaFile(key: string): string {
  return `${key.replace(/[/_]/g, '-')}.schema.json`;
}

/**
 * The JSON Schemas published for editors and consumers, by file name under `contracts/schema/`.
 * Provider definitions are described as written (input: defaults make fields optional); events and
 * unified models as sent (output: amounts given as numbers are published as decimal strings).
 */
export function jsonSchemas(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    'provider-definition.schema.json': z.toJSONSchema(ProviderDefinition, { io: 'input', target: 'draft-2020-12' }),
    'event-envelope.schema.json': z.toJSONSchema(EventEnvelope, { io: 'output', target: 'draft-2020-12' }),
  };
  for (const [key, model] of Object.entries(UNIFIED_MODELS)) {
    schemas[unifiedSchemaFile(key)] = { ...z.toJSONSchema(model, { io: 'output', target: 'draft-2020-12' }), title: key };
  }
  return schemas;
}
