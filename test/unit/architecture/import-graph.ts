import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** One import, export-from or dynamic import found in a source file. */
export interface ImportEdge {
  /** File that imports, relative to the repository root with `/` separators (`src/broker/broker.ts`). */
  readonly file: string;
  /** 1-based line of the specifier. */
  readonly line: number;
  /** The specifier as written (`../lib/clock.js`, `better-sqlite3`). */
  readonly specifier: string;
  /** The imported file relative to the repository root, or undefined for a package. */
  readonly target: string | undefined;
}

/** Folders of src/mqtt that are units of their own; everything else is its first folder. */
const MQTT_UNITS = ['codec', 'topic', 'protocol', 'transport'];

/** Every .ts file under `dir`, relative to `root`, sorted. */
export function sourceFiles(root: string, dir = 'src'): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
        found.push(toPosix(relative(root, child)));
    }
  };
  walk(join(root, dir));
  return found.sort();
}

/** The unit a src file belongs to: `mqtt/codec`, `broker`, or the root file name (`server.ts`). */
export function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'src') throw new Error(`not under src/: ${file}`);
  if (parts.length === 2) return parts[1] as string;
  if (parts[1] === 'mqtt' && parts.length > 3 && MQTT_UNITS.includes(parts[2] as string))
    return `mqtt/${parts[2]}`;
  return parts[1] as string;
}

/** All imports of one file (static, type-only, export-from and dynamic with a literal). */
export function importsOf(root: string, file: string): ImportEdge[] {
  const text = readFileSync(join(root, file), 'utf8');
  // preProcessFile sees `import type` and `export … from` too; its positions give the line.
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((ref) => {
    const line = text.slice(0, ref.pos).split('\n').length;
    return { file, line, specifier: ref.fileName, target: resolveSpecifier(root, file, ref.fileName) };
  });
}

/** Every import edge of every .ts file under src/. */
export function importGraph(root: string): ImportEdge[] {
  return sourceFiles(root).flatMap((file) => importsOf(root, file));
}

function resolveSpecifier(root: string, file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(root, dirname(file), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base];
  const hit = candidates.find((candidate) => existsSync(candidate) && candidate.endsWith('.ts'));
  return toPosix(relative(root, hit ?? base));
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Unit-level edges between different units, each with the file imports that make it. */
export function unitEdges(edges: readonly ImportEdge[]): Map<string, Map<string, ImportEdge[]>> {
  const units = new Map<string, Map<string, ImportEdge[]>>();
  for (const edge of edges) {
    if (edge.target === undefined || !edge.target.startsWith('src/')) continue;
    const from = unitOf(edge.file);
    const to = unitOf(edge.target);
    if (from === to) continue;
    const targets = units.get(from) ?? new Map<string, ImportEdge[]>();
    units.set(from, targets);
    targets.set(to, [...(targets.get(to) ?? []), edge]);
  }
  return units;
}

/** Strongly connected components with more than one unit (Tarjan), each sorted. */
export function unitCycles(graph: Map<string, Map<string, ImportEdge[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (unit: string): void => {
    index.set(unit, counter);
    low.set(unit, counter);
    counter += 1;
    stack.push(unit);
    onStack.add(unit);
    for (const next of graph.get(unit)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(unit, Math.min(low.get(unit) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(unit, Math.min(low.get(unit) as number, index.get(next) as number));
      }
    }
    if (low.get(unit) !== index.get(unit)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== unit);
    if (component.length > 1) components.push(component.sort());
  };
  for (const unit of [...graph.keys()].sort()) if (!index.has(unit)) visit(unit);
  return components;
}

/** `file:line imports 'specifier'` for a report line. */
export function describe(edge: ImportEdge): string {
  return `${edge.file}:${edge.line} imports '${edge.specifier}'`;
}
