/**
 * Fails when the modules under a folder import each other in a cycle (type-only imports included: a cycle
 * of types is still a tangle of responsibilities). Usage: `tsx scripts/check-cycles.ts src`.
 * Small enough to own; it reads relative `import`/`export … from` specifiers, which is all our code uses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

const graph = new Map<string, string[]>();
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(SPECIFIER)].map((match) =>
    resolve(dirname(file), (match[1] ?? '').replace(/\.js$/, '.ts')),
  );
  graph.set(file, targets);
}

// Depth-first search with colours: reaching a grey node again closes a cycle.
const colour = new Map<string, 'grey' | 'black'>();
const cycles: string[][] = [];
function visit(node: string, path: string[]): void {
  colour.set(node, 'grey');
  for (const next of graph.get(node) ?? []) {
    if (colour.get(next) === 'grey') cycles.push([...path.slice(path.indexOf(next)), node, next]);
    else if (!colour.has(next) && graph.has(next)) visit(next, [...path, node]);
  }
  colour.set(node, 'black');
}
for (const node of graph.keys()) if (!colour.has(node)) visit(node, []);

if (cycles.length > 0) {
  for (const cycle of cycles) {
    const names = [...new Set(cycle)].map((file) => relative(process.cwd(), file));
    console.error(`import cycle: ${names.join(' → ')} → ${names[0]}`);
  }
  console.error(`${cycles.length} import cycle(s): move the shared piece into its own module`);
  process.exit(1);
}
console.log(`no import cycles among ${graph.size} modules in ${relative(process.cwd(), root) || '.'}`);
