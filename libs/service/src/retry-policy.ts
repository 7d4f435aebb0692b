/** How often and how patiently a delivery (an e-mail, a push) is retried. */
export interface RetryPolicy {
  maxAttempts: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before attempt `attempt + 1`: doubling from `minDelayMs` up to `maxDelayMs`, with "equal jitter"
 * (half fixed, half random) so that deliveries failed by the same outage do not all come back at once.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
