import type { z } from 'zod';
import { AccountingContact, AccountingInvoice, AccountingPurchaseOrder } from './accounting.js';
import { CrmAccount, CrmActivity, CrmContact, CrmLead, CrmOpportunity } from './crm.js';
import { HrisEmployee, HrisEmployment, HrisGroup, HrisLocation, HrisTimeOff } from './hris.js';
import { modelCheck, modelParse } from './model-check.js';

export { modelCheck, modelParse } from './model-check.js';
export { Address, CurrencyCode, DecimalAmount, EmailAddress, IsoDate, IsoDateTime, Money, PhoneNumber, UnifiedBase } from './common.js';
export { AccountingContact, AccountingInvoice, AccountingLineItem, AccountingPurchaseOrder } from './accounting.js';
export { CrmAccount, CrmActivity, CrmContact, CrmLead, CrmOpportunity } from './crm.js';
export { HrisEmployee, HrisEmployment, HrisGroup, HrisLocation, HrisTimeOff } from './hris.js';

/**
 * The schema of each unified resource, keyed `<category>/<resource>` as in event types
 * (`hris/time_off:created` → `hris/time_off`). Normalized events are validated against the schema of
 * their type before they are published; a resource missing here is refused.
 */
export const UNIFIED_MODELS: Readonly<Record<string, z.ZodType>> = {
  'hris/employees': HrisEmployee,
  'hris/employments': HrisEmployment,
  'hris/groups': HrisGroup,
  'hris/locations': HrisLocation,
  'hris/time_off': HrisTimeOff,
  'crm/contacts': CrmContact,
  'crm/accounts': CrmAccount,
  'crm/opportunities': CrmOpportunity,
  'crm/leads': CrmLead,
  'crm/activities': CrmActivity,
  'accounting/contacts': AccountingContact,
  'accounting/invoices': AccountingInvoice,
  'accounting/purchase_orders': AccountingPurchaseOrder,
};

/**
 * Per resource, `true` only when `UNIFIED_MODELS[key].safeParse(record)` would succeed ({@link modelCheck}):
 * the unified API checks each record with it and runs zod only on `false`.
 */
export const UNIFIED_MODEL_CHECKS: Readonly<Record<string, (record: unknown) => boolean>> = Object.fromEntries(
  Object.entries(UNIFIED_MODELS).map(([key, schema]) => [key, modelCheck(schema)]),
);

/**
 * Per resource, what `UNIFIED_MODELS[key].parse(record)` returns, or `undefined` when zod must decide
 * ({@link modelParse}): the normalizer builds each event's `data` with it and runs zod only on `undefined`.
 */
export const UNIFIED_MODEL_PARSERS: Readonly<Record<string, (record: unknown) => Record<string, unknown> | undefined>> = Object.fromEntries(
  Object.entries(UNIFIED_MODELS).map(([key, schema]) => [key, modelParse(schema)]),
);
