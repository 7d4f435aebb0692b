/** Test kit for services: an app context over a test database, and the checks every service must pass. */
export { testAppContext, type TestAppContext } from './app-context';
export { describeServiceBasics } from './service-basics';
export { wireMessage, type WireMessageOptions } from './wire-message';
export {
  describeCustomerReadModel,
  describeProductReadModel,
  type CustomerReadModelHarness,
  type ProductReadModelHarness,
  type ReadModelHarness,
} from './read-model-suite';
