const FIRST_RETRY_SECONDS = 1;
const LONGEST_RETRY_SECONDS = 300;

/** After the n-th failed attempt: 1 s, 2 s, 4 s … and never more than 5 minutes. */
export function retryDelaySeconds(failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // Capped before the power grows past what a Date can hold.
  if (exponent >= 30) return LONGEST_RETRY_SECONDS;
  return Math.min(FIRST_RETRY_SECONDS * 2 ** exponent, LONGEST_RETRY_SECONDS);
}
