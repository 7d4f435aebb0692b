export { functionEnvSchema, type FunctionEnv } from './function-env';
export { ConfigError, loadConfig } from './load-config';
export { DEFAULT_NODE_ENV, isDevelopmentOrTest, nodeEnvSchema } from './node-env';
export { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN, serviceEnvSchema, type ServiceEnv } from './service-env';
export { checkoutRetryEnvSchema, type CheckoutRetryEnv } from './checkout-retry-env';
