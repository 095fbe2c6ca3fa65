const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses the `30s` / `15m` / `24h` / `7d` notation into whole seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_SECONDS];
  const seconds = Number(amount) * UNIT_SECONDS[unit];
  return seconds > 0 ? seconds : undefined;
}
