import type { z } from 'zod';

/** One line per problem, `path: message`, joined with `; `: short enough for a log field or a dead letter. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
