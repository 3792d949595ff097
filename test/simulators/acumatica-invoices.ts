import type { AcumaticaCustomer } from './acumatica-api.js';

/** An AR document as Acumatica stores it (form AR301000; the simulator's own shape, served as `{value}` fields). */
export interface AcumaticaInvoice {
  noteId: string;
  /** `Invoice`, or another AR document type sharing the entity (`Credit Memo`). */
  type: 'Invoice' | 'Credit Memo';
  referenceNbr: string;
  customerId: string;
  date: string;
  dueDate: string;
  description: string | null;
  /** AR statuses (S: the Status list of AR301000 as the help pages show it). */
  status: 'On Hold' | 'Balanced' | 'Open' | 'Closed' | 'Voided';
  currency: string;
  detailTotal: number;
  taxTotal: number;
  amount: number;
  balance: number;
  lines: Array<{ lineId: string; inventoryId: string; description: string; qty: number; unitPrice: number; amount: number; account: string }>;
  created: string;
  modified: string;
}

const STATUSES: AcumaticaInvoice['status'][] = ['Open', 'Open', 'Closed', 'Balanced', 'On Hold', 'Voided'];

/** Deterministic AR documents: `AR000001`…, every 8th a credit memo (`CM…`), modified 45 minutes apart, for the seeded customers in turn. */
export function seedAcumaticaInvoices(count: number, customers: AcumaticaCustomer[]): AcumaticaInvoice[] {
  const base = Date.parse('2026-02-03T10:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const memo = i % 8 === 7;
    const status = STATUSES[i % STATUSES.length]!;
    const detailTotal = 100 + i * 5;
    const taxTotal = Math.round(detailTotal * 0.08 * 100) / 100;
    const amount = detailTotal + taxTotal;
    const balance = status === 'Closed' || status === 'Voided' ? 0 : i % STATUSES.length === 1 ? Math.round(amount * 50) / 100 : amount;
    return {
      noteId: `7c1d2e3f-0a1b-4c5d-8e9f-${String(i).padStart(12, '0')}`,
      type: memo ? 'Credit Memo' : 'Invoice',
      referenceNbr: `${memo ? 'CM' : 'AR'}${String(i + 1).padStart(6, '0')}`,
      customerId: customers[i % Math.max(1, customers.length)]?.customerId ?? 'C000001',
      date: '2026-02-03',
      dueDate: '2026-03-05',
      description: i % 3 ? `Order ${i + 1}` : null,
      status,
      currency: 'USD',
      detailTotal,
      taxTotal,
      amount,
      balance,
      lines: [{ lineId: `9a8b7c6d-0000-4000-8000-${String(i).padStart(12, '0')}`, inventoryId: 'CONSULTING', description: 'Consulting hours', qty: 4, unitPrice: detailTotal / 4, amount: detailTotal, account: '40000' }],
      created: new Date(base + i * 60_000).toISOString(),
      modified: new Date(base + i * 2_700_000).toISOString(),
    };
  });
}

/** The contract-based REST shape of `Invoice`: every field a `{value}`; `Details` only with `$expand=Details` (field names per the Default endpoint as community answers list them, S). */
export function invoiceEntity(d: AcumaticaInvoice, expand: string | undefined, rowNumber: number) {
  const v = (value: unknown) => (value === null ? {} : { value });
  return {
    id: d.noteId,
    rowNumber,
    note: { value: '' },
    Type: v(d.type),
    ReferenceNbr: v(d.referenceNbr),
    Customer: v(d.customerId),
    Date: v(`${d.date}T00:00:00+00:00`),
    DueDate: v(`${d.dueDate}T00:00:00+00:00`),
    Description: v(d.description),
    Status: v(d.status),
    CurrencyID: v(d.currency),
    DetailTotal: v(d.detailTotal),
    TaxTotal: v(d.taxTotal),
    Amount: v(d.amount),
    Balance: v(d.balance),
    Hold: v(d.status === 'On Hold'),
    CreatedDateTime: v(d.created.replace('Z', '+00:00')),
    LastModifiedDateTime: v(d.modified.replace('Z', '+00:00')),
    ...(expand?.split(',').includes('Details')
      ? {
          Details: d.lines.map((l, i) => ({
            id: l.lineId, rowNumber: i + 1, InventoryID: v(l.inventoryId), TransactionDescr: v(l.description), Qty: v(l.qty), UnitPrice: v(l.unitPrice), Amount: v(l.amount), Account: v(l.account),
          })),
        }
      : {}),
    custom: {},
  };
}

/**
 * OData `$filter` as the contract-based API takes it, the subset the hub sends: clauses joined by ` and `,
 * each `Field eq 'text'` or `LastModifiedDateTime gt datetimeoffset'<iso>'`. Anything else is a 400.
 */
export function invoiceFilterOf(filter: string | undefined): ((d: AcumaticaInvoice) => boolean) | string | undefined {
  if (filter === undefined) return undefined;
  const tests: Array<(d: AcumaticaInvoice) => boolean> = [];
  for (const clause of filter.split(/\s+and\s+/)) {
    const since = /^LastModifiedDateTime gt datetimeoffset'([^']+)'$/.exec(clause);
    const eq = /^(Type|Status|Customer) eq '([^']*)'$/.exec(clause);
    if (since && !Number.isNaN(Date.parse(since[1]!))) {
      const ms = Date.parse(since[1]!);
      tests.push((d) => Date.parse(d.modified) > ms);
    } else if (eq) {
      const field = ({ Type: 'type', Status: 'status', Customer: 'customerId' } as const)[eq[1] as 'Type' | 'Status' | 'Customer'];
      tests.push((d) => d[field] === eq[2]);
    } else return `Invalid $filter: ${filter.slice(0, 60)}`;
  }
  return (d) => tests.every((t) => t(d));
}
