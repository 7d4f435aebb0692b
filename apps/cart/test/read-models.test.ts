import { beforeAll } from 'vitest';
import { describeCustomerReadModel, describeProductReadModel } from '@shop/service/test';
import { useTestDatabase } from '@shop/testing';
import { asCustomer, cartApp, newCustomer, type CartTestApp } from './cart-test-app';

let cart: CartTestApp;

beforeAll(async () => {
  cart = await cartApp(await useTestDatabase());
});

describeCustomerReadModel('cart', { keepsContact: true }, () => ({
  context: cart.context,
  requestAs: async (customerId) => cart.app.request('/cart', { headers: asCustomer(customerId) }),
}));

describeProductReadModel('cart', () => ({
  context: cart.context,
  // A new customer each time, so that no earlier line (its quantity, its currency) stands in the way.
  take: async (sku) =>
    cart.app.request('/cart/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...asCustomer(await newCustomer(cart)) },
      body: JSON.stringify({ product_sku: sku, quantity: 1 }),
    }),
}));
