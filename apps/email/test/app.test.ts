import { describe, expect, it } from 'vitest';
import { subscriptionsOf } from '@shop/contracts';
import { describeServiceBasics, testAppContext } from '@shop/service/test';
import { useTestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { emailRequestedHandler } from '../src/events/email-requested.handler';

describeServiceBasics('email', createApp);

describe('email handlers', () => {
  it('handle every topic the topology routes to email', async () => {
    const db = await useTestDatabase({ poolMax: 1 });
    expect(subscriptionsOf('email').map((s) => s.topic)).toEqual(['email.requested']);
    expect(testAppContext('email', db, { handlers: [emailRequestedHandler({ from: 'a@b.c' })] }).events.unhandledTopics()).toEqual([]);
  });
});
