import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE, type ErrorSpec } from '../../src/core/errors';

/** The README's error table as code → status, read from its rows. */
function documentedCodes(): Map<string, number> {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = /^### Errors\n([\s\S]*?)\n#{2,3} /m.exec(readme)?.[1] ?? '';
  const codes = new Map<string, number>();
  for (const row of section.split('\n')) {
    const cells = /^\|\s*(\d{3})\s*\|([^|]*)\|/.exec(row);
    if (!cells?.[1] || cells[2] === undefined) continue;
    for (const [, code] of cells[2].matchAll(/`([a-z_]+)`/g)) {
      codes.set(code as string, Number(cells[1]));
    }
  }
  return codes;
}

describe('the error catalogue', () => {
  const catalogue = new Map(
    Object.entries(ERROR_CATALOGUE).map(([code, spec]: [string, ErrorSpec]) => [code, spec.status]),
  );

  it('lists exactly the codes of the README error table, with the same statuses', () => {
    const documented = documentedCodes();
    expect(documented.size).toBeGreaterThan(20);
    expect([...documented.entries()].sort()).toEqual([...catalogue.entries()].sort());
  });

  it('gives every 401 a challenge and no other status one', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE) as [string, ErrorSpec][]) {
      expect([code, spec.status === 401]).toEqual([code, spec.challenge !== undefined]);
    }
  });
});
