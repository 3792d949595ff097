/**
 * BambooHR webhook bodies for the normalizer benchmark, shaped like `mappings/bamboohr/fixtures/`.
 * `id` makes each body (and so its body_sha256 event key) unique.
 */

/** An event-based delivery (`employee.updated`): one event. */
export function normalizeEventPayload(id: string): unknown {
  return {
    type: 'employee.updated',
    timestamp: '2026-01-31T18:42:00+0000',
    data: { companyId: '12345', employeeId: id, changedFields: ['firstName'] },
  };
}

const FIRST = ['Tefi', 'Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Katherine'];
const LAST = ['Adams', 'Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Backus', 'Johnson'];

/** A legacy field-based batch of 10 employees with every mapped field posted: ten `updated` events. */
export function normalizeBatchPayload(id: string): unknown {
  return {
    employees: FIRST.map((first, k) => ({
      id: `${id}-${k}`,
      changedFields: ['First name', 'Work Email'],
      fields: {
        'Employee #': { value: String(300 + k) },
        'First name': { value: first },
        'Last name': { value: LAST[k] },
        'Work Email': { value: `${first}.${LAST[k]}@Example.COM` },
        'Job Title': { value: 'Engineer' },
        Department: { value: 'R&D' },
      },
    })),
  };
}
