/**
 * The BambooHR webhook mapping (`mappings/bamboohr/webhook.jsonata`) written by hand in JavaScript,
 * for the normalizer benchmark's "hand-written" row: what compiled evaluation is measured against.
 * It produces the same events for the benchmark's payloads (the bench checks that before timing).
 */
import { toIsoDateTime } from '@switchyard/mapping';

const ACTIONS: Record<string, string> = { 'employee.created': 'created', 'employee.updated': 'updated', 'employee.deleted': 'deleted' };

type Fields = Record<string, { value?: unknown } | undefined>;

const str = (value: unknown) => (value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value));

/** `{payload, …}` → the mapped events, as the JSONata mapping returns them (JSON-equal). */
export function bamboohrByHand(input: { payload: any }): unknown {
  const payload = input.payload;
  if (payload.type !== undefined) {
    const action = ACTIONS[payload.type as string];
    if (!action) throw new Error(`unsupported BambooHR event type '${payload.type}'`);
    const id = str(payload.data?.employeeId);
    return [
      {
        type: `hris/employees:${action}`,
        record_id: id,
        occurred_at: toIsoDateTime(payload.timestamp),
        data: { remote_id: id },
        remote_data: payload.data,
        ...(action !== 'deleted' ? { enrich: true } : {}),
      },
    ];
  }
  if (payload.employees !== undefined) {
    return (payload.employees as Array<{ id: unknown; fields?: Fields }>).map((employee) => {
      const value = (name: string) => employee.fields?.[name]?.value;
      const email = value('Work Email');
      return {
        type: 'hris/employees:updated',
        record_id: str(employee.id),
        data: {
          remote_id: str(employee.id),
          employee_number: value('Employee #'),
          first_name: value('First name'),
          last_name: value('Last name'),
          work_email: email ? String(email).toLowerCase() : undefined,
          job_title: value('Job Title'),
          department: value('Department'),
        },
        remote_data: employee,
      };
    });
  }
  throw new Error("BambooHR payload has neither 'type' (event-based) nor 'employees' (field-based)");
}
