const MIN_SECRET_BYTES = 32;

// Values that appear in docs and examples: a server signing with one of them would accept
// tokens forged by anyone who read the same page. The words are long enough that a random
// secret from npm run gen-secret never contains one by chance.
const PLACEHOLDER_SECRET =
  /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?(jwt[-_ ]?)?secret|placeholder|example|not[-_ ]?a[-_ ]?secret/i;

/** The problems of one signing secret, each prefixed with the variable's name. */
export function checkSecret(name: string, secret: string | undefined, required: boolean): string[] {
  if (secret === undefined) {
    return required
      ? [`${name}: required when NODE_ENV=production (generate one with npm run gen-secret)`]
      : [];
  }
  const problems: string[] = [];
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    problems.push(`${name}: must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (PLACEHOLDER_SECRET.test(secret)) {
    problems.push(`${name}: looks like a placeholder; generate one with npm run gen-secret`);
  }
  return problems;
}
