import { beforeAll } from 'vitest';
import { describeCustomerReadModel } from '@shop/service/test';
import { useTestDatabase } from '@shop/testing';
import { notificationHarness, type NotificationHarness } from './notification-test-kit';

let h: NotificationHarness;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
});

describeCustomerReadModel('notification', { keepsContact: true }, () => ({
  context: h.context,
  requestAs: async (customerId) => h.app.request('/notifications', { headers: { 'X-Customer-Id': customerId } }),
}));
