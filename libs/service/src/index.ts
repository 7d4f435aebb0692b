export {
  createDeliveryFunction,
  type AttemptState,
  type DeliveryFunction,
  type DeliveryFunctionOptions,
  type FunctionDeps,
} from './delivery-function';
export { runService, type RunServiceOptions, type ServiceContext, type ServiceDeps } from './run-service';
export { createServiceApp, type AppContext, type IdentitySettings, type RateLimitSettings, type ServiceAppOptions } from './service-app';
export { retryDelayMs, type RetryPolicy } from './retry-policy';
export {
  createCheckoutReasker,
  defineReasker,
  reaskDelaySeconds,
  startCheckoutReasking,
  type CheckoutReasker,
  type CheckoutReaskerOptions,
  type PendingCheckoutTable,
  type DefinedReasker,
  type ReaskBackoff,
  type ReaskDeps,
  type ReaskerDefinition,
  type StoredRequest,
} from './checkout-reask';
