import { z } from 'zod';

/**
 * The requesters' "ask again" period (DESIGN.md, "Recovery: nothing stays stuck"), read by cart and order: a
 * pending checkout that heard no outcome for `CHECKOUT_RETRY_AFTER_SECONDS` publishes its order-requested again,
 * and the wait doubles after each re-ask up to `CHECKOUT_RETRY_MAX_SECONDS`.
 */
export const checkoutRetryEnvSchema = z
  .object({
    CHECKOUT_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3_600).default(20),
    CHECKOUT_RETRY_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  })
  .refine((env) => env.CHECKOUT_RETRY_MAX_SECONDS >= env.CHECKOUT_RETRY_AFTER_SECONDS, {
    path: ['CHECKOUT_RETRY_MAX_SECONDS'],
    message: 'must be at least CHECKOUT_RETRY_AFTER_SECONDS',
  });
export type CheckoutRetryEnv = z.infer<typeof checkoutRetryEnvSchema>;
