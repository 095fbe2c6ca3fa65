/** The text as a literal inside a regular expression: never a pattern a client could write. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
