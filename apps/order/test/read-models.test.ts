import { beforeAll } from 'vitest';
import { describeCustomerReadModel, describeProductReadModel } from '@shop/service/test';
import { json, useTestDatabase } from '@shop/testing';
import { asCustomer, JOHN, orderApp, type OrderTestApp } from './order-test-app';

let order: OrderTestApp;

beforeAll(async () => {
  order = await orderApp(await useTestDatabase());
});

describeCustomerReadModel('order', { keepsContact: true }, () => ({
  context: order.context,
  requestAs: async (customerId) => order.app.request('/orders', { headers: asCustomer(customerId) }),
}));

describeProductReadModel('order', () => ({
  context: order.context,
  take: async (sku) => order.app.request('/orders', json('POST', { items: [{ product_sku: sku, quantity: 1 }] }, asCustomer(JOHN))),
}));
