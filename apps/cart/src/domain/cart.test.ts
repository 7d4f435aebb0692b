import { describe, expect, it } from 'vitest';
import { cartIdFor, emptyCart, totalOf } from './cart';

describe('cart rules', () => {
  it('totals the lines as quantity × unit price, in minor units, and an empty cart as 0', () => {
    expect(totalOf([])).toBe(0);
    expect(totalOf([{ quantity: 2, unitPriceCents: 1_999 }, { quantity: 1, unitPriceCents: 1 }])).toBe(3_999);
  });

  it('names carts by customer and generation: stable, distinct per generation, a version-5 UUID', () => {
    const customer = '0b6c2c56-7a43-4b43-9d6d-2f4c1e3a9b10';
    expect(cartIdFor(customer, 0)).toBe(cartIdFor(customer.toUpperCase(), 0));
    expect(cartIdFor(customer, 1)).not.toBe(cartIdFor(customer, 0));
    expect(cartIdFor(customer, 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('shows a customer without a cart an empty open cart under the id its first cart will have', () => {
    const customer = '0b6c2c56-7a43-4b43-9d6d-2f4c1e3a9b10';
    expect(emptyCart(customer)).toMatchObject({ cartId: cartIdFor(customer, 0), status: 'open', items: [], currency: 'EUR', cartLocked: false });
  });
});
