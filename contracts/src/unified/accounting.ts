import { z } from 'zod';
import { Address, CurrencyCode, DecimalAmount, IsoDate, PhoneNumber, UnifiedBase } from './common.js';

/**
 * Unified accounting contact: a customer, a supplier (vendor), or both (QuickBooks Customer/Vendor,
 * Xero Contact, NetSuite customer/vendor).
 */
export const AccountingContact = UnifiedBase.extend({
  name: z.string().nullish(),
  is_customer: z.boolean().nullish(),
  is_supplier: z.boolean().nullish(),
  email_address: z.string().nullish(),
  phone_numbers: z.array(PhoneNumber).nullish(),
  addresses: z.array(Address).nullish(),
  /** VAT number, EIN, ABN… as the provider holds it. */
  tax_number: z.string().nullish(),
  status: z.enum(['active', 'archived']).nullish(),
  /** Default currency of the contact. */
  currency: CurrencyCode.nullish(),
});
export type AccountingContact = z.infer<typeof AccountingContact>;

/**
 * One line of an invoice or purchase order. Amounts are decimal strings in the document's `currency`
 * (documents carry one currency; see {@link DecimalAmount}).
 */
export const AccountingLineItem = z.object({
  /** The provider's line id, when lines have one. */
  remote_id: z.string().nullish(),
  description: z.string().nullish(),
  quantity: z.number().nullish(),
  unit_price: DecimalAmount.nullish(),
  /** quantity × unit_price, after line discounts, before tax unless the provider says otherwise. */
  total_amount: DecimalAmount.nullish(),
  tax_amount: DecimalAmount.nullish(),
  /** Provider id of the item (product or service). */
  item_id: z.string().nullish(),
  /** Provider id of the ledger account the line is booked to. */
  account_id: z.string().nullish(),
  /** Provider id of the tax rate applied. */
  tax_rate_id: z.string().nullish(),
});
export type AccountingLineItem = z.infer<typeof AccountingLineItem>;

/**
 * Unified accounting invoice: a sales invoice (`accounts_receivable`) or a supplier bill
 * (`accounts_payable`). All amounts are decimal strings in `currency`.
 */
export const AccountingInvoice = UnifiedBase.extend({
  type: z.enum(['accounts_receivable', 'accounts_payable']).nullish(),
  /** Provider id of the customer or supplier (an accounting contact). */
  contact_id: z.string().nullish(),
  number: z.string().nullish(),
  issue_date: IsoDate.nullish(),
  due_date: IsoDate.nullish(),
  paid_on_date: IsoDate.nullish(),
  memo: z.string().nullish(),
  currency: CurrencyCode.nullish(),
  /** Units of the company's home currency per unit of `currency`. */
  exchange_rate: z.number().positive().nullish(),
  sub_total: DecimalAmount.nullish(),
  total_discount: DecimalAmount.nullish(),
  total_tax_amount: DecimalAmount.nullish(),
  total_amount: DecimalAmount.nullish(),
  /** Amount still due. */
  balance: DecimalAmount.nullish(),
  status: z.enum(['draft', 'submitted', 'open', 'partially_paid', 'paid', 'void']).nullish(),
  line_items: z.array(AccountingLineItem).nullish(),
  /** Provider ids of the purchase orders the invoice bills. */
  purchase_order_ids: z.array(z.string()).nullish(),
});
export type AccountingInvoice = z.infer<typeof AccountingInvoice>;

/** Unified accounting purchase order, sent to a supplier. All amounts are decimal strings in `currency`. */
export const AccountingPurchaseOrder = UnifiedBase.extend({
  /** Provider id of the supplier (an accounting contact). */
  vendor_id: z.string().nullish(),
  number: z.string().nullish(),
  status: z.enum(['draft', 'submitted', 'authorized', 'partially_received', 'billed', 'closed', 'deleted']).nullish(),
  issue_date: IsoDate.nullish(),
  delivery_date: IsoDate.nullish(),
  delivery_address: Address.nullish(),
  memo: z.string().nullish(),
  currency: CurrencyCode.nullish(),
  /** Units of the company's home currency per unit of `currency`. */
  exchange_rate: z.number().positive().nullish(),
  total_amount: DecimalAmount.nullish(),
  line_items: z.array(AccountingLineItem).nullish(),
});
export type AccountingPurchaseOrder = z.infer<typeof AccountingPurchaseOrder>;
