import { describe, expect, it } from 'vitest';
import { EventTypePattern, eventTypeMatches, parseEventType } from './event-type.js';

describe('event types', () => {
  it('parses a concrete type into category, resource and action', () => {
    expect(parseEventType('hris/employees:created')).toEqual({ category: 'hris', resource: 'employees', action: 'created' });
    expect(parseEventType('hris/employees:renamed')).toBeUndefined();
    expect(parseEventType('hris.employees.created')).toBeUndefined();
  });

  it('matches exact, resource, category and catch-all patterns', () => {
    const type = 'hris/employees:updated';
    expect(eventTypeMatches('hris/employees:updated', type)).toBe(true);
    expect(eventTypeMatches('hris/employees:*', type)).toBe(true);
    expect(eventTypeMatches('hris/*', type)).toBe(true);
    expect(eventTypeMatches('*', type)).toBe(true);
    expect(eventTypeMatches('hris/employees:created', type)).toBe(false);
    expect(eventTypeMatches('hris/employments:*', type)).toBe(false);
    expect(eventTypeMatches('crm/*', type)).toBe(false);
  });

  it('refuses partial wildcards instead of matching nothing silently', () => {
    expect(EventTypePattern.safeParse('hris/emp*').success).toBe(false);
    expect(EventTypePattern.safeParse('hris/employees:*').success).toBe(true);
  });
});

describe('operational event types', () => {
  it('reach only subscriptions that name them, never the catch-all', () => {
    expect(eventTypeMatches('*', 'webhook/endpoint:disabled')).toBe(false);
    expect(eventTypeMatches('webhook/*', 'webhook/endpoint:disabled')).toBe(true);
    expect(eventTypeMatches('webhook/endpoint:*', 'webhook/endpoint:disabled')).toBe(true);
    expect(eventTypeMatches('webhook/endpoint:*', 'webhook/message:attempts_exhausted')).toBe(false);
    expect(eventTypeMatches('integrated_account:*', 'integrated_account:created')).toBe(true);
    expect(eventTypeMatches('webhook/message:attempts_exhausted', 'webhook/message:attempts_exhausted')).toBe(true);
  });

  it('are valid subscription patterns, while made-up ones are not', () => {
    for (const p of ['webhook/*', 'webhook/endpoint:disabled', 'integrated_account:*']) expect(EventTypePattern.safeParse(p).success, p).toBe(true);
    for (const p of ['webhook/endpoint:exploded', 'integrated_account:renamed']) expect(EventTypePattern.safeParse(p).success, p).toBe(false);
  });
});
