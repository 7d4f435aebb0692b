import { describe, expect, it } from 'vitest';
import { orderReference, renderNotification, type TemplateInput } from './templates';

const ORDER_ID = '2d904b6e-3f5c-4e70-b182-9cadbe2f3041';
const lines = [
  { product_sku: 'TSHIRT-RED-M', quantity: 2, unit_price_cents: 1999 },
  { product_sku: 'MUG-01', quantity: 1, unit_price_cents: 850 },
];

describe('renderNotification', () => {
  it('renders an order confirmation with every line, its amount and the total, in text and HTML', () => {
    const r = renderNotification({ type: 'order_confirmed', order_id: ORDER_ID, lines, total_cents: 4848, currency: 'EUR' }, { name: 'John Smith' });
    expect(r.email.subject).toBe('Your order 2D904B6E is confirmed');
    expect(r.email.text).toBe(
      [
        'Hello John Smith,',
        '',
        'Thank you for your order 2D904B6E. We have reserved everything and are getting it ready.',
        '',
        '  2 × TSHIRT-RED-M  at €19.99  €39.98',
        '  1 × MUG-01        at €8.50    €8.50',
        '  Total: €48.48',
        '',
        `Order number: ${ORDER_ID}`,
      ].join('\n'),
    );
    expect(r.email.html).toMatch(/^<!doctype html>/);
    expect(r.email.html).toContain('>€39.98</td>');
    expect(r.email.html).toContain('>€48.48</td>');
    expect(r.push).toEqual({ title: 'Order 2D904B6E confirmed', text: '3 items, total €48.48. Thank you!', url: `/orders/${ORDER_ID}` });
  });

  it('tells a customer whose reservation expired that the hold ran out, with no table of lines', () => {
    const r = renderNotification(
      { type: 'stock_rejected', request_id: ORDER_ID, cart_id: null, source: 'buy-now', reason: 'reservation_expired', lines: [] },
      { name: 'John Smith' },
    );
    expect(r.email.text).toBe(
      [
        'Hello John Smith,',
        '',
        'We held your items for a while, but the hold ran out before your order could be placed.',
        '',
        'Nothing was reserved or charged. You can try again with fewer items.',
      ].join('\n'),
    );
    expect(r.email.html).not.toContain('>Requested</th>');
    expect(r.push.text).toBe('We held your items for a while, but the hold ran out before your order could be placed.');
  });

  it('greets without a name when the customer is not known yet', () => {
    const r = renderNotification({ type: 'manual', subject: 'Hi', text: 'Text' }, { name: null });
    expect(r.email.text).toBe('Hello,\n\nText');
  });

  it('escapes everything that came from an event or a person in the HTML, but not in the text', () => {
    const evil = '<script>alert("x")</script>';
    const inputs: TemplateInput[] = [
      { type: 'order_cancelled', order_id: ORDER_ID, lines: [{ product_sku: evil, quantity: 1, unit_price_cents: 1 }], total_cents: 1, currency: 'EUR', reason: evil },
      { type: 'stock_rejected', request_id: ORDER_ID, cart_id: null, source: 'buy-now', reason: 'insufficient_stock', lines: [{ product_sku: evil, requested: 2, available: 1 }] },
      { type: 'manual', subject: evil, text: evil },
    ];
    for (const input of inputs) {
      const r = renderNotification(input, { name: evil });
      expect(r.email.html).not.toContain('<script>');
      expect(r.email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(r.email.text).toContain(evil);
    }
  });

  it('keeps the paragraphs and line breaks of a support agent’s text, and shortens it for push', () => {
    const text = `First line\nsecond line\n\n${'word '.repeat(80)}`;
    const r = renderNotification({ type: 'manual', subject: 'Your parcel', text }, { name: 'Jane' });
    expect(r.email.html).toContain('<p style="margin:0 0 16px">First line<br>second line</p>');
    expect(r.push.title).toBe('Your parcel');
    expect(r.push.text.length).toBeLessThanOrEqual(240);
    expect(r.push.text.endsWith('…')).toBe(true);
    expect(r.push).not.toHaveProperty('url');
  });

  it('renders an order in a currency without decimals', () => {
    const r = renderNotification(
      { type: 'order_confirmed', order_id: ORDER_ID, lines: [{ product_sku: 'A', quantity: 3, unit_price_cents: 500 }], total_cents: 1500, currency: 'JPY' },
      { name: null },
    );
    expect(r.email.text).toContain('3 × A  at ¥500  ¥1,500');
    expect(r.email.text).toContain('Total: ¥1,500');
  });

  it('refers to orders by the first block of their id', () => {
    expect(orderReference(ORDER_ID)).toBe('2D904B6E');
  });
});
