import { describe, expect, it } from 'vitest';
import { UNIFIED_MODELS } from './index.js';

const base = {
  id: 'rec_1',
  remote_id: '42',
  custom_fields: { favourite_colour: 'teal' },
  remote_data: { id: 42 },
  remote_created_at: '2026-01-02T03:04:05Z',
  remote_updated_at: '2026-01-31T18:42:00+01:00',
};
const address = { type: 'work', street_1: '1 Main St', street_2: null, city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
const emails = [{ email_address: 'ada@example.com', email_address_type: 'work' }];
const phones = [{ phone_number: '+14155550100', phone_number_type: 'mobile' }];
const line = {
  remote_id: 'l1',
  description: 'Consulting',
  quantity: 2,
  unit_price: '100.00',
  total_amount: 200,
  tax_amount: '40.00',
  item_id: 'item_9',
  account_id: '4000',
  tax_rate_id: 'VAT20',
};

/** [model key, a record with every field set, an enum field and a value outside it]. */
const cases: Array<[string, Record<string, unknown>, string, string]> = [
  [
    'hris/employees',
    {
      employee_number: 'E-7',
      first_name: 'Ada',
      last_name: 'Lovelace',
      preferred_name: 'Ada',
      display_name: 'Ada Lovelace',
      work_email: 'ada@example.com',
      personal_email: null,
      mobile_phone: '+447700900123',
      work_phone: '+442079460000',
      job_title: 'Engineer',
      department: 'R&D',
      manager_id: '7',
      group_ids: ['g1', 'g2'],
      work_location_id: 'loc_1',
      home_location_id: null,
      employment_status: 'active',
      gender: 'female',
      date_of_birth: '1815-12-10',
      hire_date: '2020-01-06',
      start_date: '2024-03-01',
      termination_date: null,
    },
    'employment_status',
    'on_leave',
  ],
  [
    'hris/employments',
    {
      employee_id: '42',
      job_title: 'Engineer',
      employment_type: 'full_time',
      pay_rate: { amount: '120000.00', currency: 'USD' },
      pay_period: 'year',
      pay_frequency: 'semimonthly',
      flsa_status: 'exempt',
      effective_date: '2024-03-01',
      end_date: null,
    },
    'employment_type',
    'FULL_TIME',
  ],
  ['hris/groups', { name: 'Platform', type: 'team', parent_group_id: 'g0', is_active: true }, 'type', 'squad'],
  ['hris/locations', { name: 'HQ', type: 'work', phone_number: '+14155550100', address, time_zone: 'America/Chicago', is_active: true }, 'type', 'office'],
  [
    'hris/time_off',
    {
      employee_id: '42',
      approver_id: '7',
      status: 'approved',
      request_type: 'vacation',
      policy_name: 'PTO (US)',
      units: 'days',
      amount: 2.5,
      start_date: '2026-02-02',
      end_date: '2026-02-04',
      start_time: '2026-02-04T12:00:00Z',
      end_time: '2026-02-04T17:00:00Z',
      employee_note: 'Skiing',
    },
    'status',
    'pending',
  ],
  [
    'crm/contacts',
    {
      first_name: 'Grace',
      last_name: 'Hopper',
      title: 'Rear Admiral',
      account_id: 'a1',
      owner_id: 'u1',
      email_addresses: emails,
      phone_numbers: phones,
      addresses: [address],
      last_activity_at: '2026-01-31T18:42:00.000Z',
    },
    'email_addresses',
    'not-an-array',
  ],
  [
    'crm/accounts',
    {
      name: 'Acme',
      description: 'Anvils',
      industry: 'Manufacturing',
      website: 'https://acme.example',
      number_of_employees: 250,
      annual_revenue: { amount: 12_500_000, currency: 'USD' },
      owner_id: 'u1',
      addresses: [{ ...address, type: 'billing' }],
      phone_numbers: [{ phone_number: '+14155550100', phone_number_type: 'work' }],
      last_activity_at: '2026-01-31T18:42:00Z',
    },
    'addresses',
    'nowhere',
  ],
  [
    'crm/opportunities',
    {
      name: 'Acme renewal',
      description: null,
      amount: { amount: '50000', currency: 'EUR' },
      owner_id: 'u1',
      account_id: 'a1',
      contact_ids: ['c1'],
      pipeline: 'default',
      stage: 'Negotiation',
      status: 'open',
      probability: 60,
      close_date: '2026-03-31',
      last_activity_at: '2026-01-31T18:42:00Z',
    },
    'status',
    'closedwon',
  ],
  [
    'crm/leads',
    {
      first_name: 'Alan',
      last_name: 'Turing',
      title: 'Fellow',
      company: 'Bletchley',
      owner_id: 'u1',
      lead_source: 'Web',
      status: 'converted',
      email_addresses: emails,
      phone_numbers: phones,
      addresses: [address],
      converted_at: '2026-01-31T18:42:00Z',
      converted_contact_id: 'c9',
      converted_account_id: 'a9',
      converted_opportunity_id: 'o9',
    },
    'status',
    'Open - Not Contacted',
  ],
  [
    'crm/activities',
    {
      type: 'call',
      subject: 'Intro',
      body: 'Talked renewals',
      direction: 'outbound',
      status: 'completed',
      owner_id: 'u1',
      account_id: 'a1',
      contact_ids: ['c1'],
      opportunity_id: 'o1',
      lead_id: null,
      start_time: '2026-01-31T18:00:00Z',
      end_time: '2026-01-31T18:30:00Z',
      due_date: '2026-01-31',
      completed_at: '2026-01-31T18:30:00Z',
    },
    'type',
    'sms',
  ],
  [
    'accounting/contacts',
    {
      name: 'Acme Ltd',
      is_customer: true,
      is_supplier: false,
      email_address: 'billing@acme.example',
      phone_numbers: phones,
      addresses: [{ ...address, type: 'billing' }],
      tax_number: 'GB123456789',
      status: 'active',
      currency: 'GBP',
    },
    'status',
    'deleted',
  ],
  [
    'accounting/invoices',
    {
      type: 'accounts_receivable',
      contact_id: 'c1',
      number: 'INV-001',
      issue_date: '2026-01-01',
      due_date: '2026-01-31',
      paid_on_date: null,
      memo: 'Thanks',
      currency: 'GBP',
      exchange_rate: 1.17,
      sub_total: '200.00',
      total_discount: '0',
      total_tax_amount: '40.00',
      total_amount: '240.00',
      balance: '240.00',
      status: 'open',
      line_items: [line],
      purchase_order_ids: ['po1'],
    },
    'type',
    'ACCREC',
  ],
  [
    'accounting/purchase_orders',
    {
      vendor_id: 'v1',
      number: 'PO-7',
      status: 'authorized',
      issue_date: '2026-01-01',
      delivery_date: '2026-01-15',
      delivery_address: address,
      memo: null,
      currency: 'USD',
      exchange_rate: 1,
      total_amount: '200.00',
      line_items: [line],
    },
    'status',
    'approved',
  ],
];

describe('unified models', () => {
  it('register one schema per resource of DESIGN §5', () => {
    expect(Object.keys(UNIFIED_MODELS).sort()).toEqual(cases.map(([key]) => key).sort());
  });

  it.each(cases)('%s: a full record parses', (key, full) => {
    const result = UNIFIED_MODELS[key]!.safeParse({ ...base, ...full });
    expect(result.error?.issues).toBeUndefined();
  });

  it.each(cases)('%s: a thin record (id + remote_id) parses', (key) => {
    expect(UNIFIED_MODELS[key]!.safeParse({ id: 'rec_1', remote_id: '42' }).success).toBe(true);
  });

  it.each(cases)('%s: a value outside the model (%s) is refused', (key, full, field, value) => {
    const result = UNIFIED_MODELS[key]!.safeParse({ ...base, ...full, [field]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });

  it('refuses a record without remote_id', () => {
    expect(UNIFIED_MODELS['crm/contacts']!.safeParse({ id: 'rec_1' }).success).toBe(false);
  });

  it('publishes amounts as decimal strings, whatever the mapping gave', () => {
    const invoice = UNIFIED_MODELS['accounting/invoices']!.parse({ id: 'r', remote_id: '1', total_amount: 240.5, line_items: [{ unit_price: 10 }] });
    expect(invoice).toMatchObject({ total_amount: '240.5', line_items: [{ unit_price: '10' }] });
    const deal = UNIFIED_MODELS['crm/opportunities']!.parse({ id: 'r', remote_id: '1', amount: { amount: 1e3, currency: 'EUR' } });
    expect(deal).toMatchObject({ amount: { amount: '1000', currency: 'EUR' } });
    expect(UNIFIED_MODELS['accounting/invoices']!.safeParse({ id: 'r', remote_id: '1', total_amount: '1,240.50' }).success).toBe(false);
    expect(UNIFIED_MODELS['accounting/invoices']!.safeParse({ id: 'r', remote_id: '1', total_amount: 1e21 }).success).toBe(false);
  });

  it('refuses dates that are not ISO 8601 and currencies that are not ISO 4217', () => {
    const timeOff = UNIFIED_MODELS['hris/time_off']!;
    expect(timeOff.safeParse({ id: 'r', remote_id: '1', start_date: '02/04/2026' }).success).toBe(false);
    expect(timeOff.safeParse({ id: 'r', remote_id: '1', start_date: '2026-02-30' }).success).toBe(false);
    expect(timeOff.safeParse({ id: 'r', remote_id: '1', start_time: '2026-02-04 12:00' }).success).toBe(false);
    expect(UNIFIED_MODELS['accounting/invoices']!.safeParse({ id: 'r', remote_id: '1', currency: 'usd' }).success).toBe(false);
  });

  it('keeps accepting what existing employee mappings send', () => {
    const employee = { id: 'r', remote_id: '1', start_date: 'Jan 5th', termination_date: '', work_email: 'ADA@example.com' };
    expect(UNIFIED_MODELS['hris/employees']!.safeParse(employee).success).toBe(true);
  });
});
