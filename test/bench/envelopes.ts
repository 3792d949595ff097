import { randomBytes } from 'node:crypto';

/** Distinguishes this run's event ids from any earlier run's (the streams dedupe by id). */
export const runId = randomBytes(4).toString('hex');


/** Context of the envelopes: the hub's environment and account, or placeholders for the ceiling. */
export interface EnvelopeContext {
  environmentId: string;
  accountId: string;
}

/**
 * A valid EventEnvelope of ~600 bytes (the report gives the exact size), shaped as the normalizer makes
 * them for BambooHR: `remote_data` is the provider's payload.
 */
export function envelopeBody(context: EnvelopeContext, sequence: number, timestamp = new Date().toISOString(), record?: string): { id: string; body: string } {
  const hex = sequence.toString(16).padStart(8, '0');
  const id = `evt_${runId}${hex}`;
  const employeeId = record ?? `${runId}-${sequence}`;
  const envelope = {
    id,
    type: 'hris/employees:updated',
    timestamp,
    environment_id: context.environmentId,
    integrated_account_id: context.accountId,
    provider: 'bamboohr',
    category: 'hris',
    resource: 'employees',
    action: 'updated',
    record_id: employeeId,
    origin: 'webhook',
    mapping_version: 'bench-1',
    // Given a record, the event's place among that record's events (per-record ordering bench).
    ...(record === undefined ? {} : { sequence }),
    data: { id: `rec_${runId}${hex}`, remote_id: employeeId },
    remote_data: { companyId: '12345', employeeId, changedFields: CHANGED_FIELDS },
  };
  return { id, body: JSON.stringify(envelope) };
}
/**
 * Fields named in the envelope's `remote_data`, as many as bring a body to ~600 B. The ceiling POSTs
 * these same envelopes, so both phases cost the sink the same per request.
 */
const CHANGED_FIELDS = ['firstName', 'lastName', 'workEmail', 'jobTitle', 'department', 'location', 'division', 'supervisor', 'employmentStatus', 'payRate', 'hireDate'];

/** Headers as the hub sends them (Standard Webhooks), so the sink parses the same amount per request. */
export function deliveryHeaders(id: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Switchyard-Webhooks/0.1',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    // A fixed, correctly shaped signature: the sink does not verify, so computing one would only load the bench.
    'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  };
}

