import { z } from 'zod';
import { EventEnvelope } from './envelope.js';
import { ProviderDefinition } from './provider-definition.js';
import { HrisEmployee } from './unified/hris.js';

/**
 * The JSON Schemas published for editors and consumers, by file name under `contracts/schema/`.
 * Provider definitions are described as written (input: defaults make fields optional); events as sent.
 */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'provider-definition.schema.json': z.toJSONSchema(ProviderDefinition, { io: 'input', target: 'draft-2020-12' }),
    'event-envelope.schema.json': z.toJSONSchema(EventEnvelope, { io: 'output', target: 'draft-2020-12' }),
    'hris-employee.schema.json': z.toJSONSchema(HrisEmployee, { io: 'output', target: 'draft-2020-12' }),
  };
}
