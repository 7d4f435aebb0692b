// Domain errors belong to no HTTP library: they live in @shop/contracts, and the edge maps them (problem.ts).
export { DomainError, fail, isDomainError, type DomainErrorOptions, type ErrorKind, type FieldError } from '@shop/contracts';
