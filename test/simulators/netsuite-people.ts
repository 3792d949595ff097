import type { SuiteQlTable } from './netsuite-suiteql.js';

type Ref = { id: string; refName: string };

/**
 * An employee as NetSuite holds it (the record service's shape, `/record/v1/employee/{id}`): camelCase body
 * fields, selects as `{id, refName}`, checkboxes as booleans, dates `YYYY-MM-DD`, custom fields
 * (`custentity…`) beside the standard ones, empty fields left out. SuiteQL reads it through the `employee` table.
 */
export interface NetSuiteEmployee {
  id: string;
  entityId: string;
  firstName: string;
  lastName: string;
  email?: string;
  phone?: string;
  mobilePhone?: string;
  title?: string;
  department?: Ref;
  supervisor?: Ref;
  location?: Ref;
  /** Internal ids `m`, `f`, `ns` (S: the select's ids as SuiteQL shows them in community answers). */
  gender?: Ref;
  birthDate?: string;
  hireDate?: string;
  releaseDate?: string;
  isInactive: boolean;
  custentity_badge?: string;
  dateCreated: string;
  lastModifiedDate: string;
}

/** A contact (record type and SuiteQL table `contact`): a person at a customer (`company`). */
export interface NetSuiteContact {
  id: string;
  entityId: string;
  firstName: string;
  lastName: string;
  title?: string;
  company?: Ref;
  email?: string;
  phone?: string;
  mobilePhone?: string;
  isInactive: boolean;
  custentity_linkedin?: string;
  dateCreated: string;
  lastModifiedDate: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Deterministic employees (ids from 301; every tenth inactive, every twentieth of those released) and contacts (ids from 801, at customers from 101). */
export function seedNetSuitePeople(counts: { employees: number; contacts: number; customers: number }) {
  const epoch = Date.UTC(2024, 0, 1);
  const departments = [{ id: '7', refName: 'R&D' }, { id: '8', refName: 'Sales' }];
  const employees = new Map<string, NetSuiteEmployee>();
  for (let i = 1; i <= counts.employees; i += 1) {
    const id = String(300 + i);
    const inactive = i % 10 === 0;
    employees.set(id, {
      id, entityId: `EMP-${id}`, firstName: `Ada${i}`, lastName: 'Lovelace', ...(i % 6 ? { email: `Ada${i}@Example.com` } : {}),
      phone: '+1 415 555 0100', ...(i % 2 ? { mobilePhone: '(415) 555-0199' } : {}), title: i === 1 ? 'CEO' : 'Engineer',
      department: departments[i % 2]!, ...(i === 1 ? {} : { supervisor: { id: '301', refName: 'EMP-301 Ada1 Lovelace' } }), location: { id: '3', refName: 'HQ' },
      gender: i % 3 === 0 ? { id: 'm', refName: 'Male' } : { id: 'f', refName: 'Female' }, birthDate: '1990-12-10', hireDate: '2022-03-01',
      ...(inactive && i % 20 === 0 ? { releaseDate: '2025-06-30' } : {}), isInactive: inactive, ...(i % 4 ? {} : { custentity_badge: `B-${i}` }),
      dateCreated: iso(epoch), lastModifiedDate: iso(epoch + i * 11 * 60_000),
    });
  }
  const contacts = new Map<string, NetSuiteContact>();
  for (let i = 1; i <= counts.contacts; i += 1) {
    const id = String(800 + i);
    const customer = String(101 + ((i - 1) % Math.max(1, counts.customers)));
    contacts.set(id, {
      id, entityId: `Grace${i} Hopper`, firstName: `Grace${i}`, lastName: 'Hopper', title: 'Buyer', company: { id: customer, refName: `Customer ${customer}` },
      ...(i % 5 ? { email: `grace${i}@customer.example` } : {}), phone: '+44 20 7946 0000', isInactive: false, ...(i % 3 ? {} : { custentity_linkedin: `in/grace${i}` }),
      dateCreated: iso(epoch), lastModifiedDate: iso(epoch + i * 7 * 60_000),
    });
  }
  return { employees, contacts };
}

/** SuiteQL tables `employee` and `contact` over the seeded people (SuiteQL spells columns lower case). */
export function suiteQlPeopleTables(employees: Map<string, NetSuiteEmployee>, contacts: Map<string, NetSuiteContact>): Record<string, SuiteQlTable> {
  const person = { id: 'id', entityid: 'entityId', firstname: 'firstName', lastname: 'lastName', email: 'email', phone: 'phone', mobilephone: 'mobilePhone', title: 'title', isinactive: 'isInactive', datecreated: 'dateCreated', lastmodifieddate: 'lastModifiedDate' };
  return {
    employee: {
      rows: () => employees.values() as unknown as Iterable<Record<string, unknown>>,
      columns: { ...person, department: 'department', supervisor: 'supervisor', location: 'location', gender: 'gender', birthdate: 'birthDate', hiredate: 'hireDate', releasedate: 'releaseDate', custentity_badge: 'custentity_badge' },
    },
    contact: { rows: () => contacts.values() as unknown as Iterable<Record<string, unknown>>, columns: { ...person, company: 'company', custentity_linkedin: 'custentity_linkedin' } },
  };
}
