// Money is integer minor units with a currency (DESIGN.md, Events); this is how people read it, in every e-mail and page.
const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let format = formats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en', { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format;
}

/**
 * Formats integer minor units for people: `formatMoney(4848, 'EUR')` is `€48.48`, `formatMoney(500, 'JPY')`
 * `¥500`. The amount is handed to Intl as an exact decimal string (`4848E-2`), never as a float.
 * Without a currency (an `order.cancelled` for an order this service never saw confirmed: that event carries
 * no currency) the amount is shown with two decimals and no symbol rather than in a guessed currency.
 */
export function formatMoney(cents: number, currency: string | null): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not an integer amount of minor units: ${cents}`);
  if (!currency) {
    const sign = cents < 0 ? '-' : '';
    const abs = Math.abs(cents);
    return `${sign}${Math.trunc(abs / 100).toLocaleString('en')}.${String(abs % 100).padStart(2, '0')}`;
  }
  const format = formatFor(currency);
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  // Intl.NumberFormat v3 takes decimal strings exactly; the typings still say number.
  return format.format(`${cents}E-${digits}` as unknown as number);
}
