const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses the `30s` / `15m` / `24h` / `7d` notation into whole seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_SECONDS];
  const seconds = Number(amount) * UNIT_SECONDS[unit];
  return seconds > 0 ? seconds : undefined;
}

const UNIT_MILLISECONDS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Parses `250ms`, `1s`, `2m` or `1h` into milliseconds; undefined when malformed. */
export function parseMilliseconds(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MILLISECONDS];
  const milliseconds = Number(amount) * UNIT_MILLISECONDS[unit];
  return milliseconds > 0 ? milliseconds : undefined;
}
