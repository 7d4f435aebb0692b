import { describe, expect, it } from 'vitest';
import { formatMoney } from './money';

describe('formatMoney', () => {
  it('formats cents in the currency, with its own number of decimals', () => {
    expect(formatMoney(4848, 'EUR')).toBe('€48.48');
    expect(formatMoney(1999, 'USD')).toBe('$19.99');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(0, 'EUR')).toBe('€0.00');
    expect(formatMoney(123456789, 'GBP')).toBe('£1,234,567.89');
  });

  it('is exact for amounts a float would round wrongly', () => {
    expect(formatMoney(1005, 'EUR')).toBe('€10.05');
    expect(formatMoney(9_007_199_254_740_991, 'EUR')).toBe('€90,071,992,547,409.91');
  });

  it('shows two decimals and no symbol when the currency is unknown', () => {
    expect(formatMoney(4848, null)).toBe('48.48');
    expect(formatMoney(5, null)).toBe('0.05');
    expect(formatMoney(123456, null)).toBe('1,234.56');
  });

  it('refuses a fractional amount', () => {
    expect(() => formatMoney(19.99, 'EUR')).toThrow(RangeError);
  });
});
