import { beforeAll } from 'vitest';
import { describeCustomerReadModel, testAppContext, type TestAppContext } from '@shop/service/test';
import { useTestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { pushHandlers } from '../src/events/handlers';

let context: TestAppContext;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  context = testAppContext('push', await useTestDatabase(), { handlers: pushHandlers() });
  app = createApp(context).app;
});

describeCustomerReadModel('push', { keepsContact: false }, () => ({
  context,
  requestAs: async (customerId) => app.request(`/notifications/${customerId}`, { headers: { 'X-Customer-Id': customerId } }),
}));
