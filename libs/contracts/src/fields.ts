import { z } from 'zod';

/**
 * The field schemas every HTTP body and every event payload builds on, so a value one service accepts is one
 * every other service can store. The bounds are PostgreSQL's: `text` cannot hold U+0000, `integer` is 32-bit.
 */

/** The largest PostgreSQL `integer`. */
export const MAX_INT4 = 2_147_483_647;

/**
 * The most units of a SKU an admin may declare available. Reservations take units out of `available` and a
 * cancel or an expiry puts them back, so `available` plus every unit held by open reservations is what a
 * release can bring back into the 32-bit column. With at most 10⁹ declared at a time, overflowing it takes
 * more than a whole second restock (10⁹ more units) held by open reservations at once: over a million open
 * orders of the maximum line (1,000 units) of one SKU. `stock.changed` may still report up to `MAX_INT4`.
 */
export const MAX_AVAILABLE = 1_000_000_000;

/** The most units of one SKU a cart line or a buy-now line may ask for; the totals stay far from `MAX_INT4`. */
export const MAX_LINE_QUANTITY = 1_000;

/**
 * The largest time a JavaScript `Date` can hold (ms since the epoch, ±8.64e15, ECMA-262 §21.4.1.1); a larger
 * `expirationTime` cannot become a `timestamptz`.
 */
export const MAX_EPOCH_MS = 8.64e15;

const NUL = '\u0000';

/**
 * True when PostgreSQL stores `value` as sent: no U+0000 (text columns refuse it) and no lone surrogate
 * (the driver would silently store U+FFFD instead).
 */
export function isStorableText(value: string): boolean {
  return !value.includes(NUL) && value.isWellFormed();
}

/** Why `value` is not storable text, or undefined when it is. */
export function unstorableTextReason(value: string): string | undefined {
  if (value.includes(NUL)) return 'must not contain the character U+0000';
  if (!value.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** Any string PostgreSQL stores as sent (see `isStorableText`); no trimming, no length bounds. */
export const StorableString = z.string().superRefine((value, ctx) => {
  const reason = unstorableTextReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason, input: value });
});

/**
 * Text a person typed: trimmed, then `min`–`max` characters, storable. `min` defaults to 1 (required text);
 * pass 0 for text that may be empty.
 */
export function text(max: number, min = 1) {
  const bounded = z.string().trim().max(max, `must be at most ${max} characters`);
  return (min > 0 ? bounded.min(min, 'must not be empty') : bounded).pipe(StorableString);
}

/** A catalog SKU: 1–64 characters, no leading or trailing whitespace, no line breaks, storable. */
export const Sku = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:.*\S)?$/u, { error: 'must not start or end with whitespace or contain line breaks' })
  .refine(isStorableText, { error: 'must not contain U+0000 or lone surrogates' });

/** An ISO 4217 currency code, upper case (`EUR`). */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, { error: 'must be a three-letter upper-case currency code' });

/** Money in integer minor units (`*_cents`); never a float, never beyond a 32-bit column. */
export const AmountCents = z.int('must be a whole number of minor units').min(0, 'cannot be negative').max(MAX_INT4, `must be at most ${MAX_INT4}`);

/** A number of units on an order line in an event: positive, and never more than could be available. */
export const Quantity = z.int('must be a positive integer').min(1, 'must be a positive integer').max(MAX_AVAILABLE, `must be at most ${MAX_AVAILABLE}`);

/** A number of units a customer asks for on one line (cart or buy now). */
export const LineQuantity = z
  .int('must be a positive integer')
  .min(1, 'must be a positive integer')
  .max(MAX_LINE_QUANTITY, `must be at most ${MAX_LINE_QUANTITY}`);

/** Units an admin declares available for a SKU (see `MAX_AVAILABLE`). */
export const AvailableUnits = z
  .int('must be a whole number of units')
  .min(0, 'cannot be negative')
  .max(MAX_AVAILABLE, `must be at most ${MAX_AVAILABLE}`);

/** A count of units as stored (`available`, `requested` in events): what a 32-bit column holds. */
export const StoredUnits = z.int().min(0).max(MAX_INT4);

/** A browser's `PushSubscription.expirationTime`: null, or ms since the epoch that a `Date` can hold. */
export const ExpirationTime = z
  .int('must be an integer number of milliseconds since the epoch')
  .min(0, 'cannot be negative')
  .max(MAX_EPOCH_MS, `must be at most ${MAX_EPOCH_MS} (the largest date)`)
  .nullable();

/** An e-mail address as stored: trimmed, lower-cased (compared case-insensitively), at most 254 characters. */
export const EmailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an e-mail address' }))
  .pipe(z.string().max(254, 'must be at most 254 characters'));

/** An absolute http(s) URL of at most 2,048 characters, storable. */
export const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2_048, 'must be at most 2048 characters')
  .refine(isStorableText, { error: 'must not contain U+0000 or lone surrogates' });

/** An RFC 3339 timestamp in UTC (`2026-11-24T18:00:00.000Z`); offsets other than `Z` are refused. */
export const UtcTimestamp = z.iso.datetime({ error: 'must be an RFC 3339 UTC timestamp ending in Z' });
