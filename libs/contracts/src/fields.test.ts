import { describe, expect, it } from 'vitest';
import {
  AmountCents,
  AvailableUnits,
  EmailAddress,
  ExpirationTime,
  HttpUrl,
  LineQuantity,
  MAX_AVAILABLE,
  MAX_EPOCH_MS,
  MAX_INT4,
  MAX_LINE_QUANTITY,
  Quantity,
  Sku,
  StorableString,
  text,
} from './fields';
import { ProductUpsertedV1 } from './events/product-upserted.v1';
import { StockChangedV1 } from './events/stock-changed.v1';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('storable text', () => {
  it.each([
    ['U+0000', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00b'],
    ['a reversed pair', '\udc00\ud800'],
  ])('refuses %s wherever text is taken', (_label, value) => {
    for (const schema of [StorableString, text(100), text(100, 0), Sku]) expect(ok(schema, value)).toBe(false);
    expect(ok(HttpUrl, `https://push.example/${value}`)).toBe(false);
  });

  it('accepts any other text, surrogate pairs included', () => {
    for (const schema of [StorableString, text(100), Sku]) expect(ok(schema, 'Tee 😀 ü')).toBe(true);
  });

  it('trims before bounding, and refuses empty required text', () => {
    expect(text(3).parse('  abc  ')).toBe('abc');
    expect(ok(text(3), ' abcd ')).toBe(false);
    expect(ok(text(3), '   ')).toBe(false);
    expect(text(3, 0).parse('   ')).toBe('');
  });
});

describe('bounded numbers', () => {
  it.each([
    ['AmountCents', AmountCents, 0, MAX_INT4],
    ['AvailableUnits', AvailableUnits, 0, MAX_AVAILABLE],
    ['LineQuantity', LineQuantity, 1, MAX_LINE_QUANTITY],
    ['Quantity', Quantity, 1, MAX_AVAILABLE],
  ])('%s takes integers from its least to its most, and nothing else', (_name, schema, least, most) => {
    expect(ok(schema, least)).toBe(true);
    expect(ok(schema, most)).toBe(true);
    for (const bad of [least - 1, most + 1, 1.5, 1e300, Infinity, Number.NaN, '1', null]) expect(ok(schema, bad)).toBe(false);
  });

  it('keeps what a release adds back to available within a 32-bit column for two full restocks held at once', () => {
    expect(MAX_AVAILABLE * 2).toBeLessThanOrEqual(MAX_INT4);
  });

  it('takes an expirationTime that a Date can hold, or null', () => {
    expect(ok(ExpirationTime, null)).toBe(true);
    expect(ok(ExpirationTime, MAX_EPOCH_MS)).toBe(true);
    expect(new Date(MAX_EPOCH_MS).getTime()).toBe(MAX_EPOCH_MS);
    for (const bad of [MAX_EPOCH_MS + 1, 1.5, -1, '1']) expect(ok(ExpirationTime, bad)).toBe(false);
  });
});

describe('EmailAddress', () => {
  it('lower-cases and trims, and refuses what is not an address', () => {
    expect(EmailAddress.parse(' Jo@Example.COM ')).toBe('jo@example.com');
    for (const bad of ['jo', 'jo@\u0000.com', `${'a'.repeat(250)}@example.com`]) expect(ok(EmailAddress, bad)).toBe(false);
  });
});

describe('event payloads', () => {
  it('refuse text PostgreSQL could not store, and units beyond its columns', () => {
    const product = { sku: 'TEE', name: 'Tee', description: '', price_cents: 1, currency: 'EUR', active: true };
    expect(ok(ProductUpsertedV1, product)).toBe(true);
    expect(ok(ProductUpsertedV1, { ...product, name: 'T\u0000' })).toBe(false);
    expect(ok(ProductUpsertedV1, { ...product, price_cents: MAX_INT4 + 1 })).toBe(false);
    expect(ok(StockChangedV1, { sku: 'TEE', available: MAX_INT4, version: 1 })).toBe(true);
    expect(ok(StockChangedV1, { sku: 'TEE', available: MAX_INT4 + 1, version: 1 })).toBe(false);
  });
});
