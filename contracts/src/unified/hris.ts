import { z } from 'zod';
import { Address, IsoDate, IsoDateTime, Money, UnifiedBase } from './common.js';

/**
 * Unified HRIS employee. Thin webhooks (BambooHR event-based, HiBob, Gusto) only know `remote_id`
 * until the record is fetched, so every descriptive field is optional.
 *
 * `start_date` and `termination_date` predate {@link IsoDate} and accept any string for compatibility
 * with existing mappings; write them with `$isoDate` all the same.
 */
export const HrisEmployee = UnifiedBase.extend({
  employee_number: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  /** The name the person goes by, when it differs from `first_name`. */
  preferred_name: z.string().nullish(),
  display_name: z.string().nullish(),
  work_email: z.string().nullish(),
  personal_email: z.string().nullish(),
  mobile_phone: z.string().nullish(),
  work_phone: z.string().nullish(),
  job_title: z.string().nullish(),
  department: z.string().nullish(),
  /** Provider id of the manager (an employee). */
  manager_id: z.string().nullish(),
  /** Provider ids of the groups (teams, departments, cost centres) the employee belongs to. */
  group_ids: z.array(z.string()).nullish(),
  /** Provider ids of the employee's locations. */
  work_location_id: z.string().nullish(),
  home_location_id: z.string().nullish(),
  employment_status: z.enum(['active', 'pending', 'inactive', 'terminated']).nullish(),
  gender: z.enum(['female', 'male', 'non_binary', 'other', 'not_disclosed']).nullish(),
  date_of_birth: IsoDate.nullish(),
  /** First hire; `start_date` is the start of the current employment (they differ for rehires). */
  hire_date: IsoDate.nullish(),
  start_date: z.string().nullish(),
  termination_date: z.string().nullish(),
});
export type HrisEmployee = z.infer<typeof HrisEmployee>;

/**
 * Unified HRIS employment: one position an employee holds, with its pay. An employee may have several
 * (concurrent jobs, or history); `effective_date` orders them.
 */
export const HrisEmployment = UnifiedBase.extend({
  /** Provider id of the employee. */
  employee_id: z.string().nullish(),
  job_title: z.string().nullish(),
  employment_type: z.enum(['full_time', 'part_time', 'intern', 'contractor', 'freelance', 'temporary', 'seasonal']).nullish(),
  /** Pay per `pay_period` (an hourly rate, a yearly salary…). */
  pay_rate: Money.nullish(),
  pay_period: z.enum(['hour', 'day', 'week', 'every_two_weeks', 'semimonthly', 'month', 'quarter', 'every_six_months', 'year']).nullish(),
  /** How often the employee is paid, independent of how the rate is expressed. */
  pay_frequency: z
    .enum(['weekly', 'biweekly', 'semimonthly', 'monthly', 'quarterly', 'semiannually', 'annually', 'thirteen_monthly', 'pro_rata'])
    .nullish(),
  /** US Fair Labor Standards Act classification. */
  flsa_status: z.enum(['exempt', 'salaried_nonexempt', 'nonexempt', 'owner']).nullish(),
  effective_date: IsoDate.nullish(),
  end_date: IsoDate.nullish(),
});
export type HrisEmployment = z.infer<typeof HrisEmployment>;

/** Unified HRIS group: a team, department, cost centre or business unit; groups may nest. */
export const HrisGroup = UnifiedBase.extend({
  name: z.string().nullish(),
  type: z.enum(['team', 'department', 'cost_center', 'business_unit', 'group']).nullish(),
  /** Provider id of the enclosing group. */
  parent_group_id: z.string().nullish(),
  is_active: z.boolean().nullish(),
});
export type HrisGroup = z.infer<typeof HrisGroup>;

/** Unified HRIS location: an office or site (`work`), or an employee's home address (`home`). */
export const HrisLocation = UnifiedBase.extend({
  name: z.string().nullish(),
  type: z.enum(['work', 'home']).nullish(),
  phone_number: z.string().nullish(),
  address: Address.nullish(),
  /** IANA time zone, e.g. `Europe/Paris`. */
  time_zone: z.string().nullish(),
  is_active: z.boolean().nullish(),
});
export type HrisLocation = z.infer<typeof HrisLocation>;

/**
 * Unified HRIS time off request. Dates are inclusive calendar dates; partial days also carry
 * `start_time`/`end_time`. `amount` is in `units`.
 */
export const HrisTimeOff = UnifiedBase.extend({
  /** Provider id of the employee asking. */
  employee_id: z.string().nullish(),
  /** Provider id of the approver (an employee). */
  approver_id: z.string().nullish(),
  status: z.enum(['requested', 'approved', 'declined', 'cancelled', 'deleted']).nullish(),
  request_type: z.enum(['vacation', 'sick', 'personal', 'parental', 'bereavement', 'jury_duty', 'volunteer', 'unpaid', 'other']).nullish(),
  /** The provider's name for the policy or type, e.g. "PTO (US)". */
  policy_name: z.string().nullish(),
  units: z.enum(['hours', 'days']).nullish(),
  amount: z.number().nonnegative().nullish(),
  start_date: IsoDate.nullish(),
  end_date: IsoDate.nullish(),
  start_time: IsoDateTime.nullish(),
  end_time: IsoDateTime.nullish(),
  employee_note: z.string().nullish(),
});
export type HrisTimeOff = z.infer<typeof HrisTimeOff>;
