import { createHash } from 'node:crypto';

/** One Dataverse table the simulator serves: its entity set, primary key, columns and what a create needs. */
export interface DataverseTable {
  /** Logical name (`contact`), used in error messages and `@odata.context`. */
  logical: string;
  key: string;
  columns: readonly string[];
  /** Columns a create must set (ApplicationRequired); the error code for a missing one is (S). */
  required: readonly string[];
  /** Single-valued navigation properties a write may bind (`parentcustomerid_account@odata.bind`), to the lookup column they set and the entity set they point at. */
  binds: Readonly<Record<string, { column: string; set: string }>>;
  /** Whether the Web API takes writes on the entity set (`activitypointers` is read-only). */
  writable: boolean;
}

const OWNER = '7c5b2a10-0b53-4c49-9d3e-0000000000aa';
const AUDIT = ['_ownerid_value', 'createdon', 'modifiedon', 'versionnumber'] as const;

/**
 * The tables (learn.microsoft.com/power-apps/developer/data-platform/reference/entities/{contact,account,
 * lead,opportunity,activitypointer}): a subset of each one's columns with their logical names; lookups read
 * as `_<name>_value` and are written with `<name>@odata.bind`. `activitypointers` is the read-only view over
 * every activity type (task, phonecall, appointment, email) with `activitytypecode`.
 */
export const TABLES: Record<string, DataverseTable> = {
  contacts: { logical: 'contact', key: 'contactid', columns: ['contactid', 'firstname', 'lastname', 'fullname', 'emailaddress1', 'createdon', 'modifiedon', 'versionnumber'], required: ['lastname'], binds: {}, writable: true },
  accounts: {
    logical: 'account', key: 'accountid',
    columns: ['accountid', 'name', 'description', 'websiteurl', 'numberofemployees', 'revenue', 'telephone1', 'address1_line1', 'address1_city', 'address1_stateorprovince', 'address1_postalcode', 'address1_country', ...AUDIT],
    required: ['name'], binds: {}, writable: true,
  },
  leads: {
    logical: 'lead', key: 'leadid',
    columns: ['leadid', 'subject', 'firstname', 'lastname', 'jobtitle', 'companyname', 'emailaddress1', 'telephone1', 'mobilephone', 'statecode', 'statuscode', 'address1_city', 'address1_country', ...AUDIT],
    required: ['lastname'], binds: {}, writable: true,
  },
  opportunities: {
    logical: 'opportunity', key: 'opportunityid',
    columns: ['opportunityid', 'name', 'description', 'estimatedvalue', 'estimatedclosedate', 'closeprobability', 'stepname', 'statecode', '_parentaccountid_value', '_parentcontactid_value', ...AUDIT],
    required: ['name'], binds: { parentaccountid: { column: '_parentaccountid_value', set: 'accounts' }, parentcontactid: { column: '_parentcontactid_value', set: 'contacts' } }, writable: true,
  },
  activitypointers: {
    logical: 'activitypointer', key: 'activityid',
    columns: ['activityid', 'activitytypecode', 'subject', 'description', 'statecode', 'scheduledstart', 'scheduledend', 'actualend', '_regardingobjectid_value', ...AUDIT],
    required: [], binds: {}, writable: false,
  },
};

/** A GUID derived from a label, so seeds are stable across runs. */
export function guid(label: string): string {
  const hex = createHash('sha256').update(label).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const SEED_EPOCH = Date.UTC(2024, 0, 1);
const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Esi', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jon'];
const TYPES = ['task', 'phonecall', 'appointment', 'email'];

/** The i-th seeded row (1-based) of a table; contacts keep the shape the original contacts-only simulator had. */
export function seedRow(set: string, i: number): Record<string, unknown> {
  const audit = { _ownerid_value: OWNER, createdon: iso(SEED_EPOCH), modifiedon: iso(SEED_EPOCH + i * 11 * 60_000), versionnumber: 1_000 + i };
  const first = FIRST[i % FIRST.length]!;
  switch (set) {
    case 'contacts':
      return { contactid: guid(`contact-${i}`), firstname: first, lastname: `Contact${i}`, fullname: `${first} Contact${i}`, emailaddress1: i % 20 ? `${first.toLowerCase()}.${i}@example.com` : null, createdon: audit.createdon, modifiedon: audit.modifiedon, versionnumber: audit.versionnumber };
    case 'accounts':
      return { accountid: guid(`account-${i}`), name: `Fabrikam ${i}`, description: null, websiteurl: `fabrikam${i}.example.com`, numberofemployees: 10 * i, revenue: 1000 * i, telephone1: '+1 425 555 0100', address1_line1: `${i} Pike St`, address1_city: 'Seattle', address1_stateorprovince: 'WA', address1_postalcode: '98101', address1_country: 'US', ...audit };
    case 'leads':
      return { leadid: guid(`lead-${i}`), subject: `Interest ${i}`, firstname: first, lastname: `Lead${i}`, jobtitle: 'Buyer', companyname: `Prospect ${i}`, emailaddress1: `${first.toLowerCase()}.lead${i}@example.com`, telephone1: null, mobilephone: null, statecode: i % 5 === 0 ? 1 : 0, statuscode: i % 5 === 0 ? 3 : i % 2 ? 2 : 1, address1_city: 'Redmond', address1_country: 'US', ...audit };
    case 'opportunities':
      return { opportunityid: guid(`opportunity-${i}`), name: `Opportunity ${i}`, description: null, estimatedvalue: 5000 + i, estimatedclosedate: '2026-10-31', closeprobability: i % 4 === 0 ? 100 : 40, stepname: i % 4 === 0 ? 'Close' : 'Propose', statecode: i % 4 === 0 ? 1 : i % 7 === 0 ? 2 : 0, _parentaccountid_value: guid(`account-${(i % 30) + 1}`), _parentcontactid_value: guid(`contact-${i}`), ...audit };
    default:
      return { activityid: guid(`activity-${i}`), activitytypecode: TYPES[i % TYPES.length], subject: `Follow-up ${i}`, description: null, statecode: i % 3 === 0 ? 1 : 0, scheduledstart: '2026-06-01T09:00:00Z', scheduledend: '2026-06-01T09:30:00Z', actualend: i % 3 === 0 ? '2026-06-01T09:30:00Z' : null, _regardingobjectid_value: guid(`opportunity-${i}`), ...audit };
  }
}
