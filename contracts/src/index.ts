export { ERRORS, SwitchyardError, toProblem, type ErrorCode, type Problem } from './errors.js';
export {
  ACTIONS,
  CATEGORIES,
  EventType,
  EventTypePattern,
  eventTypeMatches,
  parseEventType,
  type Action,
  type Category,
  type ParsedEventType,
} from './event-type.js';
export { EventEnvelope, EventOrigin, MappedEvent } from './envelope.js';
export {
  BodyFormat,
  HmacScheme,
  KeyFormat,
  ProviderDefinition,
  SignedPart,
  TimestampRule,
  VerificationScheme,
  WebhookDefinition,
} from './provider-definition.js';
export * as api from './api.js';
export { UNIFIED_MODELS, HrisEmployee, UnifiedBase } from './unified/index.js';
export { jsonSchemas } from './json-schema.js';
