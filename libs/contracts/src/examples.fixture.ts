import type { PayloadOf, TopicName } from './topics';

/** Test data: one valid v1 payload per topic, typed by the contract so it cannot drift from it. */
export const CART_ID = '0b7e2f4c-1d3a-4c5e-9f60-7a8b9c0d1e2f';
export const REQUEST_ID = '1c8f3a5d-2e4b-4d6f-a071-8b9cad1e2f30';
export const CUSTOMER_ID = '550e8400-e29b-41d4-a716-446655440000';
export const ORDER_ID = '2d904b6e-3f5c-4e70-b182-9cadbe2f3041';
export const RESERVATION_ID = '3ea15c7f-4061-4f81-8293-adbecf304152';
export const NOTIFICATION_ID = '4fb26d80-5172-4092-93a4-becfd0415263';

const items = [
  { product_sku: 'TSHIRT-RED-M', quantity: 2, unit_price_cents: 1999 },
  { product_sku: 'MUG-01', quantity: 1, unit_price_cents: 850 },
];

export const EXAMPLES: { [T in TopicName]: PayloadOf<T> } = {
  'order-requested': {
    request_id: REQUEST_ID,
    source: 'cart',
    cart_id: CART_ID,
    customer_id: CUSTOMER_ID,
    items,
    currency: 'EUR',
    requested_at: '2026-11-24T18:00:00.000Z',
  },
  'stock-available': {
    request_id: REQUEST_ID,
    source: 'cart',
    cart_id: CART_ID,
    customer_id: CUSTOMER_ID,
    reservation_id: RESERVATION_ID,
    items,
    currency: 'EUR',
    expires_at: '2026-11-24T18:15:00.000Z',
  },
  'stock.rejected': {
    request_id: REQUEST_ID,
    source: 'cart',
    cart_id: CART_ID,
    customer_id: CUSTOMER_ID,
    reason: 'insufficient_stock',
    details: [{ product_sku: 'TSHIRT-RED-M', requested: 2, available: 1 }],
  },
  'stock.changed': { sku: 'TSHIRT-RED-M', available: 0, version: 7 },
  'order.created': {
    order_id: ORDER_ID,
    request_id: REQUEST_ID,
    source: 'cart',
    cart_id: CART_ID,
    customer_id: CUSTOMER_ID,
    reservation_id: RESERVATION_ID,
    items,
    total_cents: 4848,
    currency: 'EUR',
    status: 'confirmed',
    created_at: '2026-11-24T18:00:01.250Z',
  },
  'order.cancelled': {
    order_id: ORDER_ID,
    cart_id: CART_ID,
    customer_id: CUSTOMER_ID,
    reservation_id: RESERVATION_ID,
    items,
    reason: 'customer changed their mind',
    cancelled_at: '2026-11-24T19:00:00Z',
  },
  'reservation.expired': {
    reservation_id: RESERVATION_ID,
    request_id: REQUEST_ID,
    order_id: ORDER_ID,
    customer_id: CUSTOMER_ID,
    items,
    expired_at: '2026-11-24T18:15:30.000Z',
  },
  'product.upserted': {
    sku: 'MUG-01',
    name: 'Mug',
    description: '',
    price_cents: 850,
    currency: 'EUR',
    active: true,
  },
  'product.deleted': { sku: 'MUG-01' },
  'customer.upserted': { customer_id: CUSTOMER_ID, name: 'John Smith', email: 'john.smith@example.com' },
  'customer.deleted': { customer_id: CUSTOMER_ID },
  'email.requested': {
    notification_id: NOTIFICATION_ID,
    customer_id: CUSTOMER_ID,
    to: 'john.smith@example.com',
    subject: 'Your order is confirmed',
    text: 'Thank you for your order.',
    html: '<p>Thank you for your order.</p>',
  },
  'email.delivered': { notification_id: NOTIFICATION_ID, attempt: 1, message_id: '<abc@mail.example.com>' },
  'email.failed': { notification_id: NOTIFICATION_ID, attempt: 3, error: 'connection refused' },
  'push.requested': {
    notification_id: NOTIFICATION_ID,
    customer_id: CUSTOMER_ID,
    title: 'Order confirmed',
    text: 'Thank you for your order.',
    url: '/orders/2d904b6e-3f5c-4e70-b182-9cadbe2f3041',
  },
  'push.delivered': { notification_id: NOTIFICATION_ID, attempt: 1 },
  'push.failed': { notification_id: NOTIFICATION_ID, attempt: 2, error: '410 Gone' },
};
