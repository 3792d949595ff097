import { z } from 'zod';
import { Address, EmailAddress, IsoDate, IsoDateTime, Money, PhoneNumber, UnifiedBase } from './common.js';

/** Unified CRM contact: a person, usually at an account. */
export const CrmContact = UnifiedBase.extend({
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  title: z.string().nullish(),
  /** Provider id of the contact's account (company). */
  account_id: z.string().nullish(),
  /** Provider id of the owning user. */
  owner_id: z.string().nullish(),
  email_addresses: z.array(EmailAddress).nullish(),
  phone_numbers: z.array(PhoneNumber).nullish(),
  addresses: z.array(Address).nullish(),
  last_activity_at: IsoDateTime.nullish(),
});
export type CrmContact = z.infer<typeof CrmContact>;

/** Unified CRM account: a company or organization (HubSpot company, Pipedrive organization). */
export const CrmAccount = UnifiedBase.extend({
  name: z.string().nullish(),
  description: z.string().nullish(),
  industry: z.string().nullish(),
  website: z.string().nullish(),
  number_of_employees: z.number().int().nonnegative().nullish(),
  annual_revenue: Money.nullish(),
  /** Provider id of the owning user. */
  owner_id: z.string().nullish(),
  addresses: z.array(Address).nullish(),
  phone_numbers: z.array(PhoneNumber).nullish(),
  last_activity_at: IsoDateTime.nullish(),
});
export type CrmAccount = z.infer<typeof CrmAccount>;

/**
 * Unified CRM opportunity (deal). `stage` and `pipeline` are the provider's own labels (stages are
 * configured per portal); `status` is the normalized outcome consumers can switch on.
 */
export const CrmOpportunity = UnifiedBase.extend({
  name: z.string().nullish(),
  description: z.string().nullish(),
  amount: Money.nullish(),
  /** Provider id of the owning user. */
  owner_id: z.string().nullish(),
  /** Provider id of the account the deal is with. */
  account_id: z.string().nullish(),
  /** Provider ids of the contacts involved. */
  contact_ids: z.array(z.string()).nullish(),
  pipeline: z.string().nullish(),
  stage: z.string().nullish(),
  status: z.enum(['open', 'won', 'lost']).nullish(),
  /** Win probability, in percent. */
  probability: z.number().min(0).max(100).nullish(),
  close_date: IsoDate.nullish(),
  last_activity_at: IsoDateTime.nullish(),
});
export type CrmOpportunity = z.infer<typeof CrmOpportunity>;

/**
 * Unified CRM lead: a prospect not yet converted into a contact/account/opportunity. Lead statuses are
 * configurable per CRM; mappings fold them into `status` with `$enum` and a default.
 */
export const CrmLead = UnifiedBase.extend({
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  title: z.string().nullish(),
  /** The lead's company name (there is no account yet). */
  company: z.string().nullish(),
  /** Provider id of the owning user. */
  owner_id: z.string().nullish(),
  lead_source: z.string().nullish(),
  status: z.enum(['new', 'working', 'nurturing', 'qualified', 'unqualified', 'converted']).nullish(),
  email_addresses: z.array(EmailAddress).nullish(),
  phone_numbers: z.array(PhoneNumber).nullish(),
  addresses: z.array(Address).nullish(),
  converted_at: IsoDateTime.nullish(),
  /** Provider ids of the records the lead became. */
  converted_contact_id: z.string().nullish(),
  converted_account_id: z.string().nullish(),
  converted_opportunity_id: z.string().nullish(),
});
export type CrmLead = z.infer<typeof CrmLead>;

/**
 * Unified CRM activity: a call, email, meeting, task or note (HubSpot engagements, Salesforce
 * Task/Event, Pipedrive activities), linked to the records it concerns.
 */
export const CrmActivity = UnifiedBase.extend({
  type: z.enum(['call', 'email', 'meeting', 'task', 'note']).nullish(),
  subject: z.string().nullish(),
  body: z.string().nullish(),
  /** For calls and emails: who initiated it. */
  direction: z.enum(['inbound', 'outbound']).nullish(),
  status: z.enum(['planned', 'completed', 'cancelled']).nullish(),
  /** Provider id of the owning user. */
  owner_id: z.string().nullish(),
  account_id: z.string().nullish(),
  contact_ids: z.array(z.string()).nullish(),
  opportunity_id: z.string().nullish(),
  lead_id: z.string().nullish(),
  /** When it happens or happened (calls, meetings, emails). */
  start_time: IsoDateTime.nullish(),
  end_time: IsoDateTime.nullish(),
  /** For tasks. */
  due_date: IsoDate.nullish(),
  completed_at: IsoDateTime.nullish(),
});
export type CrmActivity = z.infer<typeof CrmActivity>;
