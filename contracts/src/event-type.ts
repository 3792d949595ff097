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
 * A subscription pattern: an exact type, `hris/employees:*`, `hris/*` or `*`.
 * Wildcards stand for whole segments only, so `hris/emp*` is refused rather than silently matching nothing.
 */
export const EventTypePattern = z
  .string()
  .regex(
    new RegExp(`^(\\*|${SEGMENT}/\\*|${SEGMENT}/${SEGMENT}:(\\*|created|updated|deleted))$`),
    'expected an event type, <category>/<resource>:*, <category>/* or *',
  );

/** The parts of a concrete event type. */
export interface ParsedEventType {
  category: string;
  resource: string;
  action: Action;
}

/** Splits `hris/employees:created` into its parts; returns undefined for anything else. */
export function parseEventType(type: string): ParsedEventType | undefined {
  if (!EventType.safeParse(type).success) return undefined;
  const slash = type.indexOf('/');
  const colon = type.indexOf(':');
  return {
    category: type.slice(0, slash),
    resource: type.slice(slash + 1, colon),
    action: type.slice(colon + 1) as Action,
  };
}

/** True when `type` (concrete) is matched by `pattern` (see {@link EventTypePattern}). */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  if (pattern.endsWith('/*')) return type.startsWith(pattern.slice(0, -1));
  if (pattern.endsWith(':*')) return type.startsWith(pattern.slice(0, -1));
  return false;
}
