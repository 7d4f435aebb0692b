import type { z } from 'zod';
import { formatIssues } from './format-issues';

/**
 * Thrown when our own code is about to publish something the contract forbids: a payload that fails its
 * schema, attributes that fail theirs, or a service publishing a topic it does not own. It is a bug in the
 * producer, never a condition to retry.
 */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
  constructor(
    readonly topic: string,
    readonly part: 'topic' | 'producer' | 'payload' | 'attributes',
    readonly issues: readonly z.core.$ZodIssue[],
    detail: string = formatIssues(issues),
  ) {
    super(`cannot publish ${topic}: invalid ${part}: ${detail}`);
  }
}
