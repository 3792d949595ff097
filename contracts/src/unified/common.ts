import { z } from 'zod';

/**
 * Fields every unified model carries.
 *
 * Conventions shared by every model:
 * - descriptive fields are optional and nullable: thin webhooks only know `remote_id` until the record
 *   is fetched, and `null` means the provider said "empty" where absence means "not known";
 * - references to other records (`employee_id`, `account_id`, …) carry the provider's id of that
 *   record (its `remote_id`), since a webhook mapping knows nothing else;
 * - enum values are lower-case snake_case; a provider value outside the enum must be mapped (`$enum`)
 *   or the event is refused, so consumers can switch on them exhaustively;
 * - dates are ISO 8601: {@link IsoDate} for calendar dates, {@link IsoDateTime} for instants.
 */
export const UnifiedBase = z.object({
  /** Switchyard's stable id for the record: the same remote record always gets the same id. */
  id: z.string(),
  /** The provider's id for the record. */
  remote_id: z.string().min(1),
  /** Provider fields outside the unified model, by provider field name. */
  custom_fields: z.record(z.string(), z.unknown()).optional(),
  /** The provider's raw object, when asked for. */
  remote_data: z.unknown().optional(),
  remote_created_at: z.string().datetime({ offset: true }).nullish(),
  remote_updated_at: z.string().datetime({ offset: true }).nullish(),
});

/** A calendar date, `YYYY-MM-DD` (no time zone: the provider's local date, as `$isoDate` keeps it). */
export const IsoDate = z.iso.date();

/** An instant, ISO 8601 with seconds and `Z` or an offset (`$isoDateTime` produces UTC). */
export const IsoDateTime = z.iso.datetime({ offset: true });

/** An ISO 4217 currency code, upper case (`USD`, `EUR`). */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD');

/**
 * A money amount as a decimal string. Numbers are accepted and written as strings, so consumers never
 * see binary floating point rounding (`"1234.50"` stays `"1234.50"`); exponent forms are refused.
 */
export const DecimalAmount = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .pipe(z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal amount such as 1234.50'));

/**
 * Money: a decimal-string amount and its currency. `currency` is null when the provider leaves it
 * implicit (a CRM deal in the portal's default currency); mappings build it with `$money`.
 */
export const Money = z.object({
  amount: DecimalAmount,
  currency: CurrencyCode.nullish(),
});
export type Money = z.infer<typeof Money>;

/** A postal address. `country` is ISO 3166-1 alpha-2 when the provider allows it to be known. */
export const Address = z.object({
  type: z.enum(['billing', 'shipping', 'home', 'work', 'other']).nullish(),
  street_1: z.string().nullish(),
  street_2: z.string().nullish(),
  city: z.string().nullish(),
  state: z.string().nullish(),
  postal_code: z.string().nullish(),
  country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 code such as US').nullish(),
});
export type Address = z.infer<typeof Address>;

/** An email address with its kind (`$email` lower-cases and checks the shape). */
export const EmailAddress = z.object({
  email_address: z.string(),
  email_address_type: z.enum(['work', 'personal', 'other']).nullish(),
});
export type EmailAddress = z.infer<typeof EmailAddress>;

/** A phone number with its kind (`$phone` produces E.164 where it can). */
export const PhoneNumber = z.object({
  phone_number: z.string(),
  phone_number_type: z.enum(['work', 'home', 'mobile', 'fax', 'other']).nullish(),
});
export type PhoneNumber = z.infer<typeof PhoneNumber>;
