import { z } from 'zod';
import { UnifiedBase } from './common.js';

/**
 * Unified HRIS employee. Thin webhooks (BambooHR event-based, HiBob, Gusto) only know `remote_id`
 * until the record is fetched, so every descriptive field is optional.
 */
export const HrisEmployee = UnifiedBase.extend({
  employee_number: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  display_name: z.string().nullish(),
  work_email: z.string().nullish(),
  personal_email: z.string().nullish(),
  mobile_phone: z.string().nullish(),
  job_title: z.string().nullish(),
  department: z.string().nullish(),
  manager_id: z.string().nullish(),
  employment_status: z.enum(['active', 'pending', 'inactive', 'terminated']).nullish(),
  start_date: z.string().nullish(),
  termination_date: z.string().nullish(),
});
export type HrisEmployee = z.infer<typeof HrisEmployee>;
