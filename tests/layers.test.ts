import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// Top to bottom. A file may import its own layer and the layers below it, never one above.
const LAYERS = [
  ['server', 'server-cluster', 'cli'],
  ['app'],
  ['http'],
  ['context'],
  ['config'],
  ['core'],
  ['models'],
  ['db'],
  ['logger'],
];

const srcRoot = join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a file: its folder under src/, or its own name for a top-level file. */
function layerOf(file: string): number {
  const name = (relative(srcRoot, file).split(sep)[0] as string).replace(/\.ts$/, '');
  const rank = LAYERS.findIndex((layer) => layer.includes(name));
  if (rank < 0) throw new Error(`${name} belongs to no layer: add it to LAYERS`);
  return rank;
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((match) =>
    join(file, '..', match[1] as string),
  );
}

describe('the layers of src/', () => {
  it('has no import pointing up a layer', () => {
    const upward: string[] = [];
    for (const file of sourceFiles(srcRoot)) {
      for (const target of relativeImports(file)) {
        if (layerOf(`${target}.ts`) < layerOf(file)) {
          upward.push(`${relative(srcRoot, file)} → ${relative(srcRoot, target)}`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('sees the imports it checks', () => {
    const imports = sourceFiles(srcRoot).flatMap(relativeImports);
    expect(imports.length).toBeGreaterThan(100);
  });
});

describe('what src/ loads', () => {
  // A value import would load the embedded database, its query engine and
  // mongodb-memory-server in every process given MONGO_URI too, a cluster's workers included.
  it('loads the embedded database only where it starts one', () => {
    const imports = sourceFiles(srcRoot).flatMap((file) =>
      [
        ...readFileSync(file, 'utf8').matchAll(
          /^(?:import|export)\s+(type\s)?(?:[^;']*?from\s+)?'@keycard\/embedded-mongo'/gms,
        ),
      ].map((match) => `${relative(srcRoot, file)}: ${match[1] ? 'types' : 'values'}`),
    );
    expect(imports).toEqual(['server.ts: types']);
    const server = readFileSync(join(srcRoot, 'server.ts'), 'utf8');
    expect(server.match(/await import\('@keycard\/embedded-mongo'\)/g)).toHaveLength(1);
  });
});
