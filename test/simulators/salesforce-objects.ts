/** The sObjects the Salesforce simulator serves. */
export type SObjectType = 'Contact' | 'Account' | 'Lead' | 'Opportunity' | 'Task' | 'Event';

/** An sObject's key prefix, its fields (canonical API names), the ones a create needs, and the ones only Salesforce sets. */
export interface SObjectSchema {
  prefix: string;
  fields: readonly string[];
  required: readonly string[];
  readOnly: readonly string[];
}

const SYSTEM = ['Id', 'CreatedDate', 'LastModifiedDate'];

/**
 * A subset of each object's fields (developer.salesforce.com object reference: Contact, Account, Lead,
 * Opportunity, Task, Event). `IsClosed`/`IsWon` follow `StageName`, Task `IsClosed` follows `Status`,
 * Task/Event `AccountId` follows `WhatId`/`WhoId`: Salesforce derives them, so writes may not set them.
 */
export const SCHEMA: Record<SObjectType, SObjectSchema> = {
  Contact: { prefix: '003', fields: ['Id', 'FirstName', 'LastName', 'Email', 'AccountId', 'Tier__c', 'CreatedDate', 'LastModifiedDate'], required: ['LastName'], readOnly: SYSTEM },
  Account: { prefix: '001', fields: ['Id', 'Name', 'Industry', 'CreatedDate', 'LastModifiedDate'], required: ['Name'], readOnly: SYSTEM },
  Lead: {
    prefix: '00Q',
    fields: ['Id', 'FirstName', 'LastName', 'Title', 'Company', 'Email', 'Phone', 'MobilePhone', 'Street', 'City', 'State', 'PostalCode', 'CountryCode', 'LeadSource', 'Status', 'IsConverted', 'ConvertedDate', 'ConvertedContactId', 'ConvertedAccountId', 'ConvertedOpportunityId', 'OwnerId', 'CreatedDate', 'LastModifiedDate'],
    required: ['LastName', 'Company'],
    readOnly: [...SYSTEM, 'IsConverted', 'ConvertedDate', 'ConvertedContactId', 'ConvertedAccountId', 'ConvertedOpportunityId'],
  },
  Opportunity: {
    prefix: '006',
    fields: ['Id', 'Name', 'Description', 'Amount', 'StageName', 'Probability', 'CloseDate', 'IsClosed', 'IsWon', 'AccountId', 'OwnerId', 'CreatedDate', 'LastModifiedDate'],
    required: ['Name', 'StageName', 'CloseDate'],
    readOnly: [...SYSTEM, 'IsClosed', 'IsWon'],
  },
  Task: {
    prefix: '00T',
    fields: ['Id', 'Subject', 'Description', 'Status', 'Priority', 'TaskSubtype', 'CallType', 'ActivityDate', 'WhoId', 'WhatId', 'AccountId', 'OwnerId', 'IsClosed', 'CompletedDateTime', 'CreatedDate', 'LastModifiedDate'],
    required: [],
    readOnly: [...SYSTEM, 'IsClosed', 'AccountId', 'CompletedDateTime'],
  },
  Event: {
    prefix: '00U',
    fields: ['Id', 'Subject', 'Description', 'StartDateTime', 'EndDateTime', 'DurationInMinutes', 'WhoId', 'WhatId', 'AccountId', 'OwnerId', 'CreatedDate', 'LastModifiedDate'],
    required: [],
    readOnly: [...SYSTEM, 'AccountId'],
  },
};

/** Fields Salesforce derives from others on every write (see {@link SCHEMA}). */
export function derived(type: SObjectType, fields: Record<string, unknown>, records: ReadonlyMap<string, { type: SObjectType; fields: Record<string, unknown> }>): Record<string, unknown> {
  if (type === 'Opportunity') return { IsClosed: /^Closed/.test(String(fields.StageName ?? '')), IsWon: fields.StageName === 'Closed Won' };
  if (type === 'Task' || type === 'Event') {
    const what = records.get(String(fields.WhatId ?? ''));
    const account = what?.type === 'Account' ? what.fields.Id : what?.fields.AccountId ?? null;
    return type === 'Task' ? { AccountId: account, IsClosed: fields.Status === 'Completed', CompletedDateTime: fields.Status === 'Completed' ? (fields.CompletedDateTime ?? fields.LastModifiedDate ?? null) : null } : { AccountId: account };
  }
  return {};
}

const OWNER = '005Dn000000OWNERAAA';
const STAGES = ['Prospecting', 'Qualification', 'Proposal/Price Quote', 'Closed Won', 'Closed Lost'];

/** The i-th seeded row (1-based) of the newer objects, pointing at the seeded accounts and contacts by id. */
export function seedObject(type: 'Lead' | 'Opportunity' | 'Task' | 'Event', i: number, at: { created: string; modified: string }, refs: { accounts: string[]; contacts: string[] }): Record<string, unknown> {
  const account = refs.accounts[i % Math.max(1, refs.accounts.length)] ?? null;
  const contact = refs.contacts[i % Math.max(1, refs.contacts.length)] ?? null;
  const base = { OwnerId: OWNER, CreatedDate: at.created, LastModifiedDate: at.modified };
  switch (type) {
    case 'Lead':
      return { FirstName: `Lea${i}`, LastName: `Lead${i}`, Title: 'VP Sales', Company: `Prospect ${i}`, Email: `lea.${i}@example.com`, Phone: null, LeadSource: 'Web', Status: i % 10 === 0 ? 'Closed - Converted' : i % 2 ? 'Working - Contacted' : 'Open - Not Contacted', IsConverted: i % 10 === 0, ConvertedDate: i % 10 === 0 ? '2026-02-01' : null, ConvertedContactId: i % 10 === 0 ? contact : null, ConvertedAccountId: i % 10 === 0 ? account : null, ConvertedOpportunityId: null, ...base };
    case 'Opportunity': {
      const StageName = STAGES[i % STAGES.length]!;
      return { Name: `Opportunity ${i}`, Description: null, Amount: 1000 * i, StageName, Probability: StageName === 'Closed Won' ? 100 : StageName === 'Closed Lost' ? 0 : 20, CloseDate: '2026-12-15', IsClosed: /^Closed/.test(StageName), IsWon: StageName === 'Closed Won', AccountId: account, ...base };
    }
    case 'Task':
      return { Subject: `Call ${i}`, Description: null, Status: i % 3 === 0 ? 'Completed' : 'Not Started', Priority: 'Normal', TaskSubtype: i % 2 ? 'Call' : 'Task', CallType: i % 2 ? 'Outbound' : null, ActivityDate: '2026-05-20', WhoId: contact, WhatId: account, AccountId: account, IsClosed: i % 3 === 0, CompletedDateTime: i % 3 === 0 ? at.modified : null, ...base };
    case 'Event':
      return { Subject: `Meeting ${i}`, Description: null, StartDateTime: '2026-05-21T15:00:00.000+0000', EndDateTime: '2026-05-21T16:00:00.000+0000', DurationInMinutes: 60, WhoId: contact, WhatId: account, AccountId: account, ...base };
  }
}
