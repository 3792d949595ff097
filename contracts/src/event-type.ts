import { z } from 'zod';

/** Categories of unified models. */
export const CATEGORIES = ['hris', 'crm', 'accounting'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Record actions carried by normalized events. */
export const ACTIONS = ['created', 'updated', 'deleted'] as const;
export type Action = (typeof ACTIONS)[number];

const SEGMENT = '[a-z][a-z0-9_]*';

/** A concrete event type: `<category>/<resource>:<action>`, e.g. `hris/employees:created`. */
export const EventType = z
  .string()
  .regex(new RegExp(`^${SEGMENT}/${SEGMENT}:(created|updated|deleted)$`), 'expected <category>/<resource>:<action>');

/**
 * Events about the hub itself rather than a provider record. They reach only subscriptions that name
 * them (exactly, or `webhook/*`, `webhook/endpoint:*`, `integrated_account:*`): `*` means every
 * *record* event, so a catch-all endpoint is not flooded with operations it never asked for.
 */
export const OPERATIONAL_EVENT_TYPES = [
  'webhook/endpoint:disabled',
  'webhook/endpoint:test',
  'webhook/message:attempts_exhausted',
  'integrated_account:created',
  'integrated_account:updated',
  'integrated_account:deleted',
  /** The provider refused the account's refresh token (`invalid_grant`): reconnect it. */
  'integrated_account:needs_reauth',
  /** The hub's webhook at the provider (docs/registration.md): set up, renewed, failing, or about to expire unrenewed. */
  'webhook/registration:created',
  'webhook/registration:renewed',
  'webhook/registration:failed',
  'webhook/registration:expiring',
  /**
   * A reconcile walk (docs/polling.md#reconciliation) found changes no webhook announced: the account's
   * webhooks may have gone silent. Data: account, provider, resource, how many, and the gap (the previous
   * walk's start to this walk's start).
   */
  'webhook/source:silent',
] as const;
export const OperationalEventType = z.enum(OPERATIONAL_EVENT_TYPES);
export type OperationalEventType = z.infer<typeof OperationalEventType>;

/** True for the hub's own event types (see {@link OPERATIONAL_EVENT_TYPES}). */
export function isOperationalEventType(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}

const RECORD_PATTERN = new RegExp(`^(\\*|${SEGMENT}/\\*|${SEGMENT}/${SEGMENT}:(\\*|created|updated|deleted))$`);
const OPERATIONAL_PATTERNS = new Set<string>(['webhook/*', 'webhook/endpoint:*', 'webhook/message:*', 'webhook/registration:*', 'webhook/source:*', 'integrated_account:*', ...OPERATIONAL_EVENT_TYPES]);

/**
 * A subscription pattern: an exact type, `hris/employees:*`, `hris/*` or `*`, or an operational type
 * or family. Wildcards stand for whole segments only, so `hris/emp*` is refused rather than silently
 * matching nothing.
 */
export const EventTypePattern = z
  .string()
  .refine((p) => RECORD_PATTERN.test(p) || OPERATIONAL_PATTERNS.has(p), {
    message: 'expected an event type, <category>/<resource>:*, <category>/* or *, or an operational type such as webhook/endpoint:disabled',
  });

/** The parts of a concrete event type. */
export interface ParsedEventType {
  category: string;
  resource: string;
  action: Action;
}

/** Types already parsed: a hub sees a few dozen, and parses one per event (the schema check cost ~0.2 µs). */
const parsedTypes = new Map<string, Readonly<ParsedEventType>>();
const PARSED_TYPES_MAX = 1_024;

/** Splits `hris/employees:created` into its parts (a frozen object, shared); returns undefined for anything else. */
export function parseEventType(type: string): Readonly<ParsedEventType> | undefined {
  const known = parsedTypes.get(type);
  if (known !== undefined) return known;
  if (!EventType.safeParse(type).success) return undefined;
  const slash = type.indexOf('/');
  const colon = type.indexOf(':');
  const parsed = Object.freeze({
    category: type.slice(0, slash),
    resource: type.slice(slash + 1, colon),
    action: type.slice(colon + 1) as Action,
  });
  // Tenant mappings could mint endless valid types: past the cap, new ones are parsed each time.
  if (parsedTypes.size < PARSED_TYPES_MAX) parsedTypes.set(type, parsed);
  return parsed;
}

/** True when `type` (concrete) is matched by `pattern` (see {@link EventTypePattern}). */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === type) return true;
  if (pattern === '*') return !isOperationalEventType(type);
  if (pattern.endsWith('/*')) return type.startsWith(pattern.slice(0, -1));
  if (pattern.endsWith(':*')) return type.startsWith(pattern.slice(0, -1));
  return false;
}
